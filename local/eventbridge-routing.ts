/**
 * What the delivery engine routes by, compiled from the local EventBridge
 * store: the enabled rules with an event pattern, each target resolved to a
 * bus or to an API destination with its connection's headers. Template and
 * run-time resources are compiled alike, so a rule the provisioner put on a
 * shard bus delivers exactly as a template's rule does.
 */
import type { EventPattern } from '../lib/event-pattern/match';
import type { EventBridgeStore, RuleRecord, TargetRecord } from './eventbridge-store';
import { nameFromArn } from './eventbridge-validation';

export interface RetryPolicy {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
}

export interface ApiDestinationModel {
  readonly name: string;
  readonly arn: string;
  /** The endpoint the destination has. */
  readonly endpoint: string;
  /** Where requests go (the endpoint after the local runtime's `urlOverrides`). */
  readonly url: string;
  readonly httpMethod: string;
  readonly rateLimitPerSecond?: number;
  readonly apiKeyName?: string;
  readonly apiKeyValue?: string;
  /** The connection's invocation headers (secret or not). */
  readonly headers: Readonly<Record<string, string>>;
}

interface TargetBase {
  readonly id: string;
  readonly retryPolicy: RetryPolicy;
  /** The id dead letters are listed under (see {@link EventBridgeStore.queueId}). */
  readonly deadLetterQueue?: string;
}

export type TargetModel =
  | (TargetBase & { readonly kind: 'bus'; readonly busName: string })
  | (TargetBase & { readonly kind: 'api-destination'; readonly destination: ApiDestinationModel })
  /** An ARN that names no bus or API destination here (deleted, or a Lambda, SQS, ... target). */
  | (TargetBase & { readonly kind: 'unresolved'; readonly arn: string });

export interface RuleModel {
  /** `stack/logicalId` of a template's rule, `bus/name` of a run-time one. */
  readonly id: string;
  readonly name: string;
  readonly busName: string;
  readonly origin: RuleRecord['origin'];
  readonly pattern: EventPattern;
  readonly targets: readonly TargetModel[];
}

/** Buses and rules, as the engine routes them. */
export interface RoutingModel {
  readonly buses: readonly string[];
  /** The bus producers put on: the one whose template rules route to other buses. */
  readonly platformBus: string;
  readonly rules: readonly RuleModel[];
  readonly deadLetterQueues: readonly string[];
}

/** EventBridge's defaults when a target sets no retry policy. */
const DEFAULT_RETRY: RetryPolicy = { maximumRetryAttempts: 185, maximumEventAgeSeconds: 86_400 };

export function compileRoutingModel(
  store: EventBridgeStore,
  platformBus: string,
  urlOverrides: Readonly<Record<string, string>> = {},
): RoutingModel {
  const queues = new Set(store.queues.values());
  const rules: RuleModel[] = [];
  for (const rule of store.listRules()) {
    if (rule.EventPattern === undefined || rule.State === 'DISABLED') continue;
    const targets = rule.Targets.map((target) => compileTarget(store, target, urlOverrides));
    for (const target of targets) if (target.deadLetterQueue !== undefined) queues.add(target.deadLetterQueue);
    rules.push({
      id: rule.templateId ?? `${rule.EventBusName}/${rule.Name}`,
      name: rule.Name,
      busName: rule.EventBusName,
      origin: rule.origin,
      pattern: JSON.parse(rule.EventPattern) as EventPattern,
      targets,
    });
  }
  return { buses: [...store.buses], platformBus, rules, deadLetterQueues: [...queues].sort() };
}

/** The bus producers publish to: the template rules' routing source (rules with a bus target). */
export function platformBusOf(store: EventBridgeStore): string | undefined {
  const routing = store
    .listRules()
    .find((rule) => rule.origin === 'template' && rule.Targets.some((target) => target.Arn.includes(':event-bus/')));
  return routing?.EventBusName ?? [...store.buses].find((bus) => bus !== 'default');
}

function compileTarget(
  store: EventBridgeStore,
  target: TargetRecord,
  urlOverrides: Readonly<Record<string, string>>,
): TargetModel {
  const base: TargetBase = {
    id: target.Id,
    retryPolicy: {
      maximumRetryAttempts: Number(target.RetryPolicy?.MaximumRetryAttempts ?? DEFAULT_RETRY.maximumRetryAttempts),
      maximumEventAgeSeconds: Number(
        target.RetryPolicy?.MaximumEventAgeInSeconds ?? DEFAULT_RETRY.maximumEventAgeSeconds,
      ),
    },
    ...(target.DeadLetterConfig?.Arn === undefined
      ? {}
      : { deadLetterQueue: store.queueId(target.DeadLetterConfig.Arn) }),
  };
  if (target.Arn.includes(':event-bus/')) {
    const busName = nameFromArn(target.Arn, 'event-bus');
    if (store.buses.has(busName)) return { ...base, kind: 'bus', busName };
  }
  const destination = store.apiDestinations.get(nameFromArn(target.Arn, 'api-destination'));
  if (!target.Arn.includes(':api-destination/') || destination?.ApiDestinationArn !== target.Arn) {
    return { ...base, kind: 'unresolved', arn: target.Arn };
  }
  const named = store.connections.get(nameFromArn(destination.ConnectionArn, 'connection'));
  const connection = named?.ConnectionArn === destination.ConnectionArn ? named : undefined;
  const apiKey = connection?.AuthParameters.ApiKeyAuthParameters;
  const headers = Object.fromEntries(
    (connection?.AuthParameters.InvocationHttpParameters?.HeaderParameters ?? []).map((h) => [h.Key, h.Value ?? '']),
  );
  return {
    ...base,
    kind: 'api-destination',
    destination: {
      name: destination.Name,
      arn: destination.ApiDestinationArn,
      endpoint: destination.InvocationEndpoint,
      url: urlOverrides[destination.InvocationEndpoint] ?? destination.InvocationEndpoint,
      httpMethod: destination.HttpMethod,
      ...(destination.InvocationRateLimitPerSecond === undefined
        ? {}
        : { rateLimitPerSecond: destination.InvocationRateLimitPerSecond }),
      ...(apiKey === undefined ? {} : { apiKeyName: apiKey.ApiKeyName, apiKeyValue: apiKey.ApiKeyValue }),
      headers,
    },
  };
}
