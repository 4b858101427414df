import { shortDigest } from './sharding';

/**
 * Physical names. Each is derived only from the environment, the shard and
 * the partner's own ids, so names (and the IAM and queue policies that match
 * them by prefix) never change because another partner was added.
 */
export const PROJECT = 'partner-platform';
export const TAG_PREFIX = 'partner-platform';
/** EventBridge allows 64 characters for rule, connection and destination names. */
const MAX_EVENTS_NAME = 64;

export function platformStackName(env: string): string {
  return `${PROJECT}-${env}`;
}

export function platformBusName(env: string): string {
  return `${PROJECT}-${env}`;
}

export function shardLabel(shard: number): string {
  return `shard-${String(shard).padStart(3, '0')}`;
}

export function shardStackName(env: string, shard: number): string {
  return `${PROJECT}-${env}-${shardLabel(shard)}`;
}

export function shardBusName(env: string, shard: number): string {
  return `${PROJECT}-${env}-${shardLabel(shard)}`;
}

/** Prefix of every EventBridge name in the environment's shards: `pp-<env>-s`. */
export function shardsNamePrefix(env: string): string {
  return `pp-${env}-s`;
}

/** Prefix of every EventBridge name a shard owns; its IAM and DLQ policies match it. */
export function shardNamePrefix(env: string, shard: number): string {
  return `${shardsNamePrefix(env)}${String(shard).padStart(3, '0')}`;
}

/** Name of a webhook's connection, API destination and rule. */
export function webhookResourceName(env: string, shard: number, orgId: string, webhookId: string): string {
  const prefix = shardNamePrefix(env, shard);
  const digest = shortDigest(`${orgId}/${webhookId}`);
  const room = MAX_EVENTS_NAME - prefix.length - digest.length - 2;
  const readable = `${orgId}-${webhookId}`.slice(0, room).replace(/-+$/, '');
  return `${prefix}-${readable}-${digest}`;
}

export function routeRuleName(env: string, shard: number, slot: number): string {
  return `${shardNamePrefix(env, shard)}-route-${slot}`;
}

/** Secrets Manager name of a webhook's secret; handlers are granted the prefix only. */
export function webhookSecretName(env: string, orgId: string, webhookId: string): string {
  return `${webhookSecretPrefix(env)}${orgId}/${webhookId}`;
}

export function webhookSecretPrefix(env: string): string {
  return `${PROJECT}/${env}/webhooks/`;
}

/** Prefix of the per-partner secrets the initial API key is written to once, for pickup. */
export function pickupSecretPrefix(env: string): string {
  return `${PROJECT}/${env}/pickup/`;
}

/** The onboarding provider's framework function; shard stacks build its ARN from this name. */
export function onboardingProviderFunctionName(env: string): string {
  return `${PROJECT}-${env}-onboarding-provider`;
}

/** Prefix of the partner portal's secrets (OIDC client secret, session signing secret). */
export function portalSecretPrefix(env: string): string {
  return `${PROJECT}/${env}/portal/`;
}
