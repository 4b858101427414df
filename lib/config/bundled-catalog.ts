import { isDeepStrictEqual } from 'node:util';
import type { EventCatalog } from '../../lambda/core/event-catalog';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import type { ConfigProblem } from './config-error';

/** Where Lambda code gets the catalog: a JSON module esbuild bundles into each function. */
export const BUNDLED_CATALOG_FILE = 'lambda/core/event-catalog.generated.json';

/**
 * The generated JSON module's content for a catalog. Lambda functions cannot
 * read config/ in AWS, so `npm run catalog` writes this next to the code.
 */
export function bundledCatalogDocument(catalog: EventCatalog): Record<string, unknown> {
  return {
    $comment: 'Generated from config/event-types.yaml by `npm run catalog`; do not edit.',
    types: catalog.types,
  };
}

/**
 * A problem when the catalog bundled into the Lambda functions is not the
 * one in config/event-types.yaml (synth refuses to deploy a stale copy).
 */
export function staleBundledCatalog(catalog: EventCatalog): ConfigProblem | undefined {
  if (isDeepStrictEqual(JSON.parse(JSON.stringify(catalog.types)), PLATFORM_EVENT_CATALOG.types)) return undefined;
  return {
    file: BUNDLED_CATALOG_FILE,
    field: '(file)',
    message: 'is out of date with config/event-types.yaml; run `npm run catalog` and commit the result',
  };
}
