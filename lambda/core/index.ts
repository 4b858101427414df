/**
 * The domain core's public API: the rules for keys, webhooks and URLs, with
 * no AWS imports, so handlers stay thin adapters and tests need no mocks.
 */
export * from './api-keys';
export * from './clock';
export * from './data-model';
export * from './errors';
export * from './event-catalog';
export * from './random';
export * from './url-policy';
export * from './verification';
export * from './webhooks';
