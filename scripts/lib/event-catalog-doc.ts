/**
 * docs/event-catalog.md, rendered from the catalog and the environments'
 * delivery settings: what a partner needs to receive and test events.
 */
import { ALL_EVENTS, catalogSources, type EventCatalog } from '../../lambda/core/event-catalog';
import { WEBHOOK_SECRET_HEADER } from '../../lambda/shared/webhook-headers';
import { ENVIRONMENT_NAMES, EVENT_TYPES_PATH } from '../../lambda/core/contracts';
import { HOUR_MS, MINUTE_MS } from '../../lambda/core/clock';
import {
  CHALLENGE_FIELD,
  CHALLENGE_TYPE,
  MAX_CHALLENGE_RESPONSE_BYTES,
  buildChallenge,
} from '../../lambda/core/verification';
import { FIRST_RETRY_DELAY_MS, MAX_RETRY_DELAY_MS, VERIFICATION_WINDOW_MS } from '../../lambda/core/webhooks';
import { DEFAULT_CHALLENGE_TIMEOUT_MS } from '../../lambda/verification/send-challenge';
import type { EnvironmentConfig } from '../../lib/config/environment-schema';
import { readEnvironment, readEventCatalog } from '../../lib/config/load-config';

export const EVENT_CATALOG_DOC = 'docs/event-catalog.md';

const json = (value: unknown) => ['```json', JSON.stringify(value, null, 2), '```'].join('\n');
const anchor = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
const hours = (seconds: number) => (seconds % 3600 === 0 ? `${seconds / 3600} h` : `${seconds} s`);

function envelope(catalog: EventCatalog): Record<string, unknown> {
  const type = catalog.types[0];
  return {
    version: '0',
    id: '6f1c3f7e-0d2b-4a57-9a53-3c1d2f0b9e41',
    'detail-type': type.name,
    source: type.source,
    account: '123456789012',
    time: '2026-04-02T10:00:00Z',
    region: 'eu-west-1',
    resources: [],
    detail: type.example,
  };
}

function deliverySection(environments: readonly EnvironmentConfig[]): string[] {
  return [
    '## Delivery',
    '',
    'Each event is an HTTP `POST` of the EventBridge envelope above (`Content-Type: application/json`)',
    'from an EventBridge API destination. Every request carries your webhook secret in the',
    `\`${WEBHOOK_SECRET_HEADER}\` header: compare it with the secret you were given (in constant time)`,
    'and refuse requests without it. The secret is never in the body.',
    '',
    '| your endpoint answers | what happens |',
    '| --- | --- |',
    '| 2xx within 5 s | delivered; never sent again |',
    '| 5xx, 429, 401, 407, 409, a timeout or no connection | retried with backoff until the event is too old or the attempts run out (below), then dead-lettered |',
    '| any other 4xx (400, 403, 404, 410, ...) | not retried: dead-lettered at once |',
    '',
    "Dead-lettered events are kept in the platform's dead-letter queue for your partner stack and can",
    'be replayed once your endpoint is fixed. Deliveries are at least once and not ordered: use the',
    'envelope `id` to drop duplicates.',
    '',
    '| environment | retried for at most | retry attempts |',
    '| --- | --- | --- |',
    ...environments.map(
      (env) => `| ${env.name} | ${hours(env.delivery.maxEventAgeSeconds)} | ${env.delivery.retryAttempts} |`,
    ),
    '',
  ];
}

/** The receiver contract of the verification challenge, from the constants the verifier checks with. */
function verificationSection(catalog: EventCatalog): string[] {
  const example = buildChallenge({
    orgId: String(catalog.types[0].example.partnerId ?? 'acme-corp'),
    webhookId: 'wh_3kT9xQ2mZ7pL',
    random: (size) => new Uint8Array(size).map((_, index) => (index * 7 + 3) % 256),
  });
  return [
    '## Verifying your endpoint',
    '',
    'A new webhook URL, and every changed one, is `pending` until it answers a verification',
    'challenge; until then the previous verified URL (if any) keeps receiving. The platform POSTs',
    `a JSON body signed with Standard Webhooks headers`,
    '(`webhook-id`, `webhook-timestamp`, `webhook-signature`; the key is `whsec_` + base64 of your',
    "secret's UTF-8 bytes):",
    '',
    json(example),
    '',
    `Check the signature, then answer within ${DEFAULT_CHALLENGE_TIMEOUT_MS / 1000} s with a 2xx whose body is the \`${CHALLENGE_FIELD}\``,
    'value, either of:',
    '',
    `- the bare value: \`${example.challenge}\` (surrounding whitespace is ignored), or`,
    `- JSON: \`${JSON.stringify({ [CHALLENGE_FIELD]: example.challenge })}\` (other fields are ignored).`,
    '',
    `Any other answer does not verify: an empty 200, \`ok\`, the value in another field, a body over`,
    `${MAX_CHALLENGE_RESPONSE_BYTES} bytes, a redirect (never followed) or a non-2xx status. The webhook's \`lastError\` says`,
    `which. Failed challenges are retried with backoff (${FIRST_RETRY_DELAY_MS / MINUTE_MS} min, doubling up to ${MAX_RETRY_DELAY_MS / HOUR_MS} h) for`,
    `${VERIFICATION_WINDOW_MS / HOUR_MS} h, then the webhook is \`failed\` until its URL is set again. Requests with \`type\``,
    `\`${CHALLENGE_TYPE}\` are challenges, never events.`,
    '',
  ];
}

function typeSection(catalog: EventCatalog, index: number): string[] {
  const type = catalog.types[index];
  return [
    `### ${type.name}`,
    '',
    `Source \`${type.source}\`. ${type.description}`,
    '',
    'Schema of `detail` (JSON Schema draft-07):',
    '',
    json(type.schema),
    '',
    'Example `detail`:',
    '',
    json(type.example),
    '',
  ];
}

export function renderEventCatalogDoc(catalog: EventCatalog, environments: readonly EnvironmentConfig[]): string {
  const lines = [
    '<!-- Generated from config/event-types.yaml by `npm run catalog`; do not edit. -->',
    '',
    '# Event catalog',
    '',
    'The events the platform delivers to partner webhooks. A webhook subscribes to a list of the',
    `detail-types below, or to \`["${ALL_EVENTS}"]\` for every one of them. Each type comes from one`,
    'source only, and you receive only events whose `detail.partnerId` is your orgId.',
    '',
    `Sources: ${catalogSources(catalog)
      .map((source) => `\`${source}\``)
      .join(', ')}. Fields not listed in a schema may be added at any time: ignore what you do not know.`,
    '',
    `The same catalog is served as JSON at \`GET ${EVENT_TYPES_PATH}\` (no API key needed; cacheable, with an`,
    'ETag), and the partner portal\'s Events page can send any type\'s example to your own webhook ("Send test event").',
    '',
    '| detail-type | source | what it means |',
    '| --- | --- | --- |',
    ...catalog.types.map(
      (type) => `| [${type.name}](#${anchor(type.name)}) | \`${type.source}\` | ${type.description} |`,
    ),
    '',
    '## The envelope you receive',
    '',
    json(envelope(catalog)),
    '',
    ...deliverySection(environments),
    ...verificationSection(catalog),
    '## Types',
    '',
    ...catalog.types.flatMap((_, index) => typeSection(catalog, index)),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The document for a repository's catalog and every environment (through the config loader). */
export function currentEventCatalogDoc(rootDir: string): string {
  const environments = ENVIRONMENT_NAMES.map((name) => readEnvironment(rootDir, name));
  return renderEventCatalogDoc(readEventCatalog(rootDir), environments);
}
