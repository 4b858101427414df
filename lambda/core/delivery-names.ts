/**
 * Physical EventBridge and Secrets Manager names, shared by the synth
 * (lib/config/naming.ts re-exports them) and the provisioner. Each is derived
 * only from the environment, the shard and the partner's own ids, so names
 * (and the IAM and queue policies that match them by prefix) never change
 * because another partner was added. No AWS imports.
 */
import { shortDigest } from './sharding';

export const PROJECT = 'partner-platform';
/** EventBridge allows 64 characters for rule, connection and destination names. */
const MAX_EVENTS_NAME = 64;
/**
 * Marks a name as provisioner-owned. orgIds start with a letter or digit, so
 * no config webhook's name (`<prefix>-<orgId>-...`) can start this way, and
 * the reconcile can tell its own resources from a template's by name alone.
 */
export const RUNTIME_NAME_MARK = '_';

export function platformBusName(env: string): string {
  return `${PROJECT}-${env}`;
}

export function shardLabel(shard: number): string {
  return `shard-${String(shard).padStart(3, '0')}`;
}

export function shardBusName(env: string, shard: number): string {
  return `${PROJECT}-${env}-${shardLabel(shard)}`;
}

/** Prefix of every shard bus name in the environment. */
export function shardBusNamePrefix(env: string): string {
  return `${PROJECT}-${env}-shard-`;
}

/** Prefix of every EventBridge name in the environment's shards: `pp-<env>-s`. */
export function shardsNamePrefix(env: string): string {
  return `pp-${env}-s`;
}

/** Prefix of every EventBridge name a shard owns; its IAM and DLQ policies match it. */
export function shardNamePrefix(env: string, shard: number): string {
  return `${shardsNamePrefix(env)}${String(shard).padStart(3, '0')}`;
}

function boundedName(prefix: string, orgId: string, webhookId: string): string {
  const digest = shortDigest(`${orgId}/${webhookId}`);
  const room = MAX_EVENTS_NAME - prefix.length - digest.length - 2;
  const readable = `${orgId}-${webhookId}`.slice(0, room).replace(/-+$/, '');
  return `${prefix}-${readable}-${digest}`;
}

/** Name of a config webhook's connection, API destination and rule (the template's). */
export function webhookResourceName(env: string, shard: number, orgId: string, webhookId: string): string {
  return boundedName(shardNamePrefix(env, shard), orgId, webhookId);
}

/** Prefix of the provisioner's webhook resources in a shard. */
export function runtimeWebhookNamePrefix(env: string, shard: number): string {
  return `${shardNamePrefix(env, shard)}-${RUNTIME_NAME_MARK}`;
}

/** Name of a run-time webhook's connection, API destination and rule (the provisioner's). */
export function runtimeWebhookResourceName(env: string, shard: number, orgId: string, webhookId: string): string {
  return boundedName(runtimeWebhookNamePrefix(env, shard), orgId, webhookId);
}

export function routeRuleName(env: string, shard: number, slot: number): string {
  return `${shardNamePrefix(env, shard)}-route-${slot}`;
}

/** Prefix of the provisioner's routing rules on the platform bus; under `-route-`, so the shard's DLQ policy covers them. */
export function runtimeRouteNamePrefix(env: string, shard: number): string {
  return `${shardNamePrefix(env, shard)}-route-rt`;
}

/** A provisioner-owned routing rule: the run-time tenants of one slot of a shard. */
export function runtimeRouteRuleName(env: string, shard: number, slot: number): string {
  return `${runtimeRouteNamePrefix(env, shard)}${slot}`;
}

/** The shard's invocation role: named, so the provisioner's `iam:PassRole` can name it without a cross-stack export. */
export function shardInvocationRoleName(env: string, shard: number): string {
  return `${shardNamePrefix(env, shard)}-invoke`;
}

/** The shard's dead-letter queue: named, so run-time targets can point at it. */
export function shardDeadLetterQueueName(env: string, shard: number): string {
  return `${shardNamePrefix(env, shard)}-dlq`;
}

/** Secrets Manager name of a webhook's secret; handlers are granted the prefix only. */
export function webhookSecretName(env: string, orgId: string, webhookId: string): string {
  return `${webhookSecretPrefix(env)}${orgId}/${webhookId}`;
}

export function webhookSecretPrefix(env: string): string {
  return `${PROJECT}/${env}/webhooks/`;
}
