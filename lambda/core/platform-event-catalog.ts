/**
 * The platform's event catalog as the Lambda functions see it: generated from
 * config/event-types.yaml into event-catalog.json (`npm run catalog`) and
 * bundled by esbuild, because a function in AWS cannot read config/. Synth
 * and a test fail when the JSON is stale.
 */
import type { EventCatalog, EventTypeEntry } from './event-catalog';
import generated from './event-catalog.json';

export const PLATFORM_EVENT_CATALOG: EventCatalog = {
  types: generated.types as readonly EventTypeEntry[],
};
