/**
 * Seeds the local EventBridge store with what the synthesized templates
 * declare: every bus, connection (its API key resolved from the local secret
 * store), API destination and rule with its targets, each with a local ARN
 * that stays the same across restarts (derived from `stack/logicalId`), so
 * Describe and List show the templates' resources as AWS would after a deploy.
 *
 * {@link localArnOf} turns a template value (`Ref`, `Fn::GetAtt ... Arn`, an
 * ARN built with `Fn::Join`) into the local ARN; the local runtime uses it
 * for the functions' environment too (bus, queue and role ARNs).
 */
import { createHash } from 'node:crypto';
import {
  allRules,
  type CloudAssemblyView,
  referencedResource,
  renderValue,
  resourcesOfType,
  type ResourceRef,
  type StackArtifact,
} from './cloud-assembly';
import type {
  ApiDestinationRecord,
  ConnectionRecord,
  EventBridgeStore,
  RuleRecord,
  TargetRecord,
} from './eventbridge-store';

/** Secret values by secret logical id, `stack/logicalId` or secret name. */
export type LocalSecretStore = Readonly<Record<string, string>>;

/** Names a template resource gets when its `Name` property is absent, as CloudFormation would generate one. */
const physicalName = (stack: StackArtifact, logicalId: string, name: unknown): string =>
  typeof name === 'string' ? name : `${stack.stackName}-${logicalId}`;

/** A UUID-shaped id that depends only on the template resource. */
function stableId(templateId: string): string {
  const hex = createHash('sha256').update(templateId).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The local ARN (or name, for a `Ref` to a bus) of a template value; undefined when it designates nothing known. */
export function localArnOf(
  store: EventBridgeStore,
  assembly: CloudAssemblyView,
  stack: StackArtifact,
  value: unknown,
): string | undefined {
  const ref = referencedResource(assembly, stack, value);
  if (ref === undefined) {
    if (value === undefined) return undefined;
    return renderValue(value)
      .replace('${AWS::Partition}', 'aws')
      .replace('${AWS::Region}', store.region)
      .replace('${AWS::AccountId}', store.account);
  }
  const props = ref.resource.Properties ?? {};
  const templateId = `${ref.stack.stackName}/${ref.logicalId}`;
  const isArn = !('Ref' in (value as object)) || ref.resource.Type !== 'AWS::Events::EventBus';
  switch (ref.resource.Type) {
    case 'AWS::Events::EventBus': {
      const name = physicalName(ref.stack, ref.logicalId, props.Name);
      return isArn ? store.busArn(name) : name;
    }
    case 'AWS::SQS::Queue':
      return store.queueArn(physicalName(ref.stack, ref.logicalId, props.QueueName));
    case 'AWS::IAM::Role':
      return store.roleArn(physicalName(ref.stack, ref.logicalId, props.RoleName));
    case 'AWS::Events::Connection':
      return store.resourceArn('connection', physicalName(ref.stack, ref.logicalId, props.Name), stableId(templateId));
    case 'AWS::Events::ApiDestination':
      return store.resourceArn(
        'api-destination',
        physicalName(ref.stack, ref.logicalId, props.Name),
        stableId(templateId),
      );
    default:
      return undefined;
  }
}

/** Adds the templates' buses, connections, destinations and rules to the store; registers the DLQs' ids. */
export function seedFromTemplates(
  store: EventBridgeStore,
  assembly: CloudAssemblyView,
  secrets: LocalSecretStore,
): void {
  for (const stack of assembly.stacks) {
    for (const [logicalId, bus] of resourcesOfType(stack.template, 'AWS::Events::EventBus')) {
      store.buses.add(physicalName(stack, logicalId, bus.Properties?.Name));
    }
    for (const [logicalId, queue] of resourcesOfType(stack.template, 'AWS::SQS::Queue')) {
      const arn = store.queueArn(physicalName(stack, logicalId, queue.Properties?.QueueName));
      store.queues.set(arn, `${stack.stackName}/${logicalId}`);
    }
  }
  for (const stack of assembly.stacks) {
    for (const [logicalId, resource] of resourcesOfType(stack.template, 'AWS::Events::Connection')) {
      store.seed(templateConnection(store, assembly, { stack, logicalId, resource }, secrets));
    }
    for (const [logicalId, resource] of resourcesOfType(stack.template, 'AWS::Events::ApiDestination')) {
      store.seed(templateDestination(store, assembly, { stack, logicalId, resource }));
    }
  }
  for (const rule of allRules(assembly)) store.seed(templateRule(store, assembly, rule));
}

function templateConnection(
  store: EventBridgeStore,
  assembly: CloudAssemblyView,
  { stack, logicalId, resource }: ResourceRef,
  secrets: LocalSecretStore,
): ConnectionRecord {
  const templateId = `${stack.stackName}/${logicalId}`;
  const props = resource.Properties ?? {};
  const name = physicalName(stack, logicalId, props.Name);
  const apiKey = props.AuthParameters?.ApiKeyAuthParameters;
  return {
    Name: name,
    ConnectionArn: localArnOf(store, assembly, stack, { 'Fn::GetAtt': [logicalId, 'Arn'] })!,
    ...(typeof props.Description === 'string' ? { Description: props.Description } : {}),
    AuthorizationType: String(props.AuthorizationType ?? 'API_KEY'),
    AuthParameters: apiKey
      ? {
          ApiKeyAuthParameters: {
            ApiKeyName: String(apiKey.ApiKeyName),
            ApiKeyValue: resolveSecretValue(assembly, stack, apiKey.ApiKeyValue, secrets, templateId),
          },
        }
      : {},
    ConnectionState: 'AUTHORIZED',
    SecretArn: `arn:aws:secretsmanager:${store.region}:${store.account}:secret:events!connection/${name}/${stableId(templateId)}`,
    CreationTime: 0,
    LastModifiedTime: 0,
    LastAuthorizedTime: 0,
    origin: 'template',
    templateId,
  };
}

function templateDestination(
  store: EventBridgeStore,
  assembly: CloudAssemblyView,
  { stack, logicalId, resource }: ResourceRef,
): ApiDestinationRecord {
  const props = resource.Properties ?? {};
  return {
    Name: physicalName(stack, logicalId, props.Name),
    ApiDestinationArn: localArnOf(store, assembly, stack, { 'Fn::GetAtt': [logicalId, 'Arn'] })!,
    ...(typeof props.Description === 'string' ? { Description: props.Description } : {}),
    ConnectionArn: localArnOf(store, assembly, stack, props.ConnectionArn) ?? '',
    InvocationEndpoint: renderValue(props.InvocationEndpoint),
    HttpMethod: String(props.HttpMethod ?? 'POST'),
    ...(typeof props.InvocationRateLimitPerSecond === 'number'
      ? { InvocationRateLimitPerSecond: props.InvocationRateLimitPerSecond }
      : {}),
    ApiDestinationState: 'ACTIVE',
    CreationTime: 0,
    LastModifiedTime: 0,
    origin: 'template',
    templateId: `${stack.stackName}/${logicalId}`,
  };
}

function templateRule(
  store: EventBridgeStore,
  assembly: CloudAssemblyView,
  rule: ReturnType<typeof allRules>[number],
): RuleRecord {
  const props = rule.resource.Properties ?? {};
  const name = physicalName(rule.stack, rule.logicalId, props.Name);
  const pattern = props.EventPattern;
  const targets = ((props.Targets ?? []) as Array<Record<string, any>>).map((target): TargetRecord => ({
    Id: String(target.Id),
    Arn: localArnOf(store, assembly, rule.stack, target.Arn) ?? renderValue(target.Arn),
    ...(target.RoleArn === undefined ? {} : { RoleArn: localArnOf(store, assembly, rule.stack, target.RoleArn) }),
    ...(target.RetryPolicy === undefined ? {} : { RetryPolicy: target.RetryPolicy }),
    ...(target.DeadLetterConfig === undefined
      ? {}
      : { DeadLetterConfig: { Arn: localArnOf(store, assembly, rule.stack, target.DeadLetterConfig.Arn) } }),
  }));
  return {
    Name: name,
    Arn: store.ruleArn(rule.busName, name),
    EventBusName: rule.busName,
    ...(pattern === undefined ? {} : { EventPattern: typeof pattern === 'string' ? pattern : JSON.stringify(pattern) }),
    ...(props.ScheduleExpression === undefined ? {} : { ScheduleExpression: renderValue(props.ScheduleExpression) }),
    State: String(props.State ?? 'ENABLED'),
    ...(typeof props.Description === 'string' ? { Description: props.Description } : {}),
    CreatedBy: store.account,
    Targets: targets,
    origin: 'template',
    templateId: `${rule.stack.stackName}/${rule.logicalId}`,
  };
}

/** `{{resolve:secretsmanager:ID:SecretString:jsonKey:...}}` with `Ref`s kept as logical ids. */
function resolveSecretValue(
  assembly: CloudAssemblyView,
  stack: StackArtifact,
  value: unknown,
  secrets: LocalSecretStore,
  where: string,
): string {
  if (typeof value === 'string' && !value.includes('{{resolve:')) return value;
  const candidates: string[] = [];
  const flatten = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const referenced = referencedResource(assembly, stack, part);
    if (referenced?.resource.Type === 'AWS::SecretsManager::Secret') {
      candidates.push(referenced.logicalId, `${referenced.stack.stackName}/${referenced.logicalId}`);
      const name = referenced.resource.Properties?.Name;
      if (typeof name === 'string') candidates.push(name);
      return referenced.logicalId;
    }
    const record = part as Record<string, any>;
    if (record && Array.isArray(record['Fn::Join'])) {
      const [separator, parts] = record['Fn::Join'];
      return (parts as unknown[]).map(flatten).join(String(separator));
    }
    return renderValue(part);
  };
  const text = flatten(value);
  const match = /^\{\{resolve:secretsmanager:(.+?):SecretString:([^:]*):?[^}]*\}\}$/.exec(text);
  if (!match) throw new Error(`${where}: unsupported secret value ${text}`);
  candidates.push(match[1]);
  const key = candidates.find((candidate) => secrets[candidate] !== undefined);
  if (key === undefined) {
    throw new Error(
      `${where}: no local secret for ${[...new Set(candidates)].join(' / ')}; add it to the local secret store`,
    );
  }
  const secret = secrets[key];
  if (!match[2]) return secret;
  const field = (JSON.parse(secret) as Record<string, unknown>)[match[2]];
  if (typeof field !== 'string') throw new Error(`${where}: secret ${key} has no JSON key ${match[2]}`);
  return field;
}
