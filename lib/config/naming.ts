import { PROJECT, shardLabel } from '../../lambda/core/delivery-names';

/**
 * Physical names. The ones the provisioner needs too live in
 * lambda/core/delivery-names.ts and are re-exported here; the rest are the
 * synth's own. Each is derived only from the environment, the shard and the
 * partner's own ids.
 */
export {
  PROJECT,
  platformBusName,
  routeRuleName,
  runtimeRouteRuleName,
  shardBusName,
  shardDeadLetterQueueName,
  shardInvocationRoleName,
  shardLabel,
  shardNamePrefix,
  shardsNamePrefix,
  webhookResourceName,
  webhookSecretName,
  webhookSecretPrefix,
} from '../../lambda/core/delivery-names';
export const TAG_PREFIX = 'partner-platform';

export function platformStackName(env: string): string {
  return `${PROJECT}-${env}`;
}

export function shardStackName(env: string, shard: number): string {
  return `${PROJECT}-${env}-${shardLabel(shard)}`;
}

/** Prefix of the per-partner secrets the initial API key is written to once, for pickup. */
export function pickupSecretPrefix(env: string): string {
  return `${PROJECT}/${env}/pickup/`;
}

/** The onboarding provider's framework function; shard stacks build its ARN from this name. */
export function onboardingProviderFunctionName(env: string): string {
  return `${PROJECT}-${env}-onboarding-provider`;
}

/** The DLQ consumer function; each shard stack's queue mapping names it (no cross-stack export). */
export function deadLetterConsumerFunctionName(env: string): string {
  return `${PROJECT}-${env}-dlq-consumer`;
}

/** Prefix of the partner portal's secrets (OIDC client secret, session signing secret). */
export function portalSecretPrefix(env: string): string {
  return `${PROJECT}/${env}/portal/`;
}

/**
 * The SNS topic the platform stack creates for CloudWatch alarms when
 * `alarms.topicArn` is not set; shard stacks build its ARN from this name
 * (no cross-stack export).
 */
export function alarmTopicName(env: string): string {
  return `${PROJECT}-${env}-alarms`;
}

/** Prefix of the platform stack's alarm names; shard alarms start with the shard's name prefix. */
export function platformAlarmPrefix(env: string): string {
  return `${PROJECT}-${env}`;
}
