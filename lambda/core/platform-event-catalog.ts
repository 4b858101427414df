/**
 * The platform's event catalog as the Lambda functions see it: generated from
 * config/event-types.yaml into event-catalog.generated.json (`npm run catalog`) and
 * bundled by esbuild, because a function in AWS cannot read config/. Synth
 * and a test fail when the JSON is stale. (Not `event-catalog.json`: Node's
 * require would resolve `./event-catalog` to it before the .ts module.)
 */
import type { EventCatalog, EventTypeEntry } from './event-catalog';
import generated from './event-catalog.generated.json';

export const PLATFORM_EVENT_CATALOG: EventCatalog = {
  types: generated.types as readonly EventTypeEntry[],
};
