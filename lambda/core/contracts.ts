/**
 * Contracts that more than one layer states: the config schema (lib/config),
 * the API route schemas (lambda/api), the portal, the constructs and the
 * local runtime all import them from here, so a rule cannot drift between
 * the doors. Plain values only: no AWS, no zod, no CDK (lib/ may import
 * lambda/, never the other way round).
 */

/** The shortest and longest orgId: one letter or digit followed by 1-62 more characters. */
export const ORG_ID_MIN_LENGTH = 2;
export const ORG_ID_MAX_LENGTH = 63;

/**
 * THE orgId rule: lower-case letters, digits and dashes, starting with a
 * letter or digit. Every door (partner file, admin API, portal) accepts
 * exactly these ids, so an id registered at run time can later get a file.
 */
export const ORG_ID_PATTERN = new RegExp(`^[a-z0-9][a-z0-9-]{${ORG_ID_MIN_LENGTH - 1},${ORG_ID_MAX_LENGTH - 1}}$`);

/** The rule in words, for hints next to an input. */
export const ORG_ID_RULE = `${ORG_ID_MIN_LENGTH}-${ORG_ID_MAX_LENGTH} lower-case letters, digits and dashes, starting with a letter or digit (e.g. acme-corp)`;

/** What a validator says when an id breaks the rule. */
export const ORG_ID_MESSAGE = `must be ${ORG_ID_RULE}`;

/**
 * The rule as an HTML `pattern` attribute (anchored by the browser; the
 * dash escaped because browsers compile patterns with the `v` flag).
 */
export const ORG_ID_HTML_PATTERN = `[a-z0-9][a-z0-9\\-]{${ORG_ID_MIN_LENGTH - 1},${ORG_ID_MAX_LENGTH - 1}}`;

/** The longest organization name any door accepts. */
export const ORG_NAME_MAX_LENGTH = 128;

/** The partner file that declares an org's config webhooks: the one place to change them. */
export function partnerFilePath(orgId: string): string {
  return `partners/${orgId}.yaml`;
}

export function isValidOrgId(orgId: string): boolean {
  return ORG_ID_PATTERN.test(orgId);
}

/**
 * The CloudFormation type of a partner's onboarding custom resource: the
 * constructs declare it, the local runtime replays it and the audit lists it.
 */
export const ONBOARDING_RESOURCE_TYPE = 'Custom::PartnerOnboarding';

/**
 * The header a partner sends its API key in. HTTP header names are
 * case-insensitive; this is the documented spelling, and readers compare
 * in lower case.
 */
export const PARTNER_KEY_HEADER = 'X-API-Key';

/** The header an admin sends the shared admin API key in (beside `Authorization: Bearer <JWT>`). */
export const ADMIN_KEY_HEADER = 'X-Admin-API-Key';

/**
 * How long API Gateway caches the authorizer's answer per key (lib/platform-api.ts
 * may only lower it). Revocation must bite within it.
 */
export const PARTNER_AUTHORIZER_CACHE_SECONDS = 30;

/** The environments a deploy can target; `-c env=NAME` picks one, and handlers check ENVIRONMENT_NAME against it. */
export const ENVIRONMENT_NAMES = ['dev', 'stage', 'nonprod', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/**
 * The public partner route that returns the event catalog: routes.ts declares
 * it and refusals of an unknown event type point to it.
 */
export const EVENT_TYPES_PATH = '/v1/partner/event-types';

/** CloudWatch namespace of every handler's Powertools metrics; the service name is a dimension. */
export const METRICS_NAMESPACE = 'PartnerPlatform';

/** The DLQ consumer's count of dead letters it could not record (retried by SQS); the platform alarms on it. */
export const DEAD_LETTERS_RETRIED_METRIC = 'DeadLettersRetried';

/**
 * The variable that carries the environment's key policy (`apiKey.maxActivePerEnvironment`)
 * to every function bound to the platform tables (lib/platform-function.ts sets it,
 * lambda/repositories/platform-repositories.ts reads it).
 */
export const KEY_POLICY_ENV = 'API_KEY_MAX_ACTIVE_PER_ENVIRONMENT';
/** Usage ingestion: access-log lines counted as key requests, and lines skipped (not key requests). */
export const USAGE_LINES_COUNTED_METRIC = 'UsageLinesCounted';
export const USAGE_LINES_SKIPPED_METRIC = 'UsageLinesSkipped';
