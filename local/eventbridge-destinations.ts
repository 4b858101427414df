/**
 * The connection and API destination operations of the local EventBridge
 * control plane, with AWS's request and response shapes. A connection's
 * secret values (API key, secret header values) are kept for delivery and
 * never returned: Describe shows the key's name only, as AWS does.
 *
 * One local difference: an API destination may point at plain http (the
 * local receivers); AWS accepts https only. The URL rules that matter are
 * the platform's own, checked before any call reaches here.
 */
import { randomUUID } from 'node:crypto';
import { alreadyExists, invalid, limitExceeded, notFound } from './eventbridge-errors';
import type {
  ApiDestinationRecord,
  ConnectionAuthParameters,
  ConnectionRecord,
  EventBridgeStore,
} from './eventbridge-store';
import {
  epochSeconds,
  type Input,
  nameFromArn,
  optionalString,
  paginate,
  requiredString,
  resourceName,
} from './eventbridge-validation';

export type Operation = (input: Input) => unknown;

const AUTHORIZATION_TYPES = new Set(['API_KEY', 'BASIC', 'OAUTH_CLIENT_CREDENTIALS']);
const HTTP_METHODS = new Set(['POST', 'GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'DELETE']);

export function connectionOperations(store: EventBridgeStore): Record<string, Operation> {
  return {
    CreateConnection: (input) => createConnection(store, input),
    UpdateConnection: (input) => updateConnection(store, input),
    DescribeConnection: (input) => describeConnection(existingConnection(store, input)),
    DeleteConnection: (input) => {
      const current = existingConnection(store, input);
      store.deleteConnection('DeleteConnection', current);
      return { ...connectionSummary(current), ConnectionState: 'DELETING' };
    },
    ListConnections: (input) => listConnections(store, input),
  };
}

export function apiDestinationOperations(store: EventBridgeStore): Record<string, Operation> {
  return {
    CreateApiDestination: (input) => createApiDestination(store, input),
    UpdateApiDestination: (input) => updateApiDestination(store, input),
    DescribeApiDestination: (input) => {
      const d = existingDestination(store, input);
      return { ...destinationDetails(d), ...optional('Description', d.Description) };
    },
    DeleteApiDestination: (input) => {
      store.deleteApiDestination('DeleteApiDestination', existingDestination(store, input));
      return {};
    },
    ListApiDestinations: (input) => listApiDestinations(store, input),
  };
}

function existingConnection(store: EventBridgeStore, input: Input): ConnectionRecord {
  const name = resourceName(input);
  const found = store.connections.get(name);
  if (!found) throw notFound(`Connection '${name}'`);
  return found;
}

function connectionSummary(c: ConnectionRecord) {
  return {
    ConnectionArn: c.ConnectionArn,
    ConnectionState: c.ConnectionState,
    CreationTime: c.CreationTime,
    LastModifiedTime: c.LastModifiedTime,
    LastAuthorizedTime: c.LastAuthorizedTime,
  };
}

function createConnection(store: EventBridgeStore, input: Input) {
  const name = resourceName(input);
  if (store.connections.has(name)) throw alreadyExists(`Connection '${name}'`);
  assertRoom(store.connections.size, store.limits.connectionsPerAccount, 'connections');
  const now = epochSeconds();
  const record: ConnectionRecord = {
    Name: name,
    ConnectionArn: store.resourceArn('connection', name, randomUUID()),
    ...optional('Description', optionalString(input, 'Description')),
    AuthorizationType: authorizationType(input),
    AuthParameters: authParameters(input, true),
    ConnectionState: 'AUTHORIZED',
    SecretArn: `arn:aws:secretsmanager:${store.region}:${store.account}:secret:events!connection/${name}/${randomUUID()}`,
    CreationTime: now,
    LastModifiedTime: now,
    LastAuthorizedTime: now,
    origin: 'runtime',
  };
  store.putConnection('CreateConnection', record);
  const { LastAuthorizedTime: _authorized, ...created } = connectionSummary(record);
  return created;
}

function updateConnection(store: EventBridgeStore, input: Input) {
  const current = existingConnection(store, input);
  const update = input.AuthParameters === undefined ? {} : authParameters(input, false);
  const now = epochSeconds();
  const record: ConnectionRecord = {
    ...current,
    ...optional('Description', optionalString(input, 'Description') ?? current.Description),
    AuthorizationType: input.AuthorizationType === undefined ? current.AuthorizationType : authorizationType(input),
    AuthParameters: mergeAuth(current.AuthParameters, update),
    LastModifiedTime: now,
    LastAuthorizedTime: now,
  };
  store.putConnection('UpdateConnection', record, current);
  return connectionSummary(record);
}

function describeConnection(c: ConnectionRecord) {
  return {
    ConnectionArn: c.ConnectionArn,
    Name: c.Name,
    ...optional('Description', c.Description),
    ConnectionState: c.ConnectionState,
    AuthorizationType: c.AuthorizationType,
    SecretArn: c.SecretArn,
    AuthParameters: withoutSecretValues(c.AuthParameters),
    CreationTime: c.CreationTime,
    LastModifiedTime: c.LastModifiedTime,
    LastAuthorizedTime: c.LastAuthorizedTime,
  };
}

function listConnections(store: EventBridgeStore, input: Input) {
  const prefix = optionalString(input, 'NamePrefix') ?? '';
  const state = optionalString(input, 'ConnectionState');
  const all = [...store.connections.values()]
    .filter((c) => c.Name.startsWith(prefix) && (state === undefined || c.ConnectionState === state))
    .sort((a, b) => a.Name.localeCompare(b.Name));
  const page = paginate(all, input);
  return {
    Connections: page.items.map((c) => ({
      Name: c.Name,
      AuthorizationType: c.AuthorizationType,
      ...connectionSummary(c),
    })),
    ...optional('NextToken', page.nextToken),
  };
}

function existingDestination(store: EventBridgeStore, input: Input): ApiDestinationRecord {
  const name = resourceName(input);
  const found = store.apiDestinations.get(name);
  if (!found) throw notFound(`An api-destination '${name}'`);
  return found;
}

function connectionArnOf(store: EventBridgeStore, input: Input): string {
  const arn = requiredString(input, 'ConnectionArn');
  const connection = store.connections.get(nameFromArn(arn, 'connection'));
  if (!connection || connection.ConnectionArn !== arn) throw notFound(`Connection '${arn}'`);
  return arn;
}

function destinationSummary(d: ApiDestinationRecord) {
  return {
    ApiDestinationArn: d.ApiDestinationArn,
    ApiDestinationState: d.ApiDestinationState,
    CreationTime: d.CreationTime,
    LastModifiedTime: d.LastModifiedTime,
  };
}

function destinationDetails(d: ApiDestinationRecord) {
  return {
    ...destinationSummary(d),
    Name: d.Name,
    ConnectionArn: d.ConnectionArn,
    InvocationEndpoint: d.InvocationEndpoint,
    HttpMethod: d.HttpMethod,
    ...optional('InvocationRateLimitPerSecond', d.InvocationRateLimitPerSecond),
  };
}

function createApiDestination(store: EventBridgeStore, input: Input) {
  const name = resourceName(input);
  if (store.apiDestinations.has(name)) throw alreadyExists(`An api-destination '${name}'`);
  assertRoom(store.apiDestinations.size, store.limits.apiDestinationsPerAccount, 'api-destinations');
  const now = epochSeconds();
  const record: ApiDestinationRecord = {
    Name: name,
    ApiDestinationArn: store.resourceArn('api-destination', name, randomUUID()),
    ...optional('Description', optionalString(input, 'Description')),
    ConnectionArn: connectionArnOf(store, input),
    InvocationEndpoint: endpoint(requiredString(input, 'InvocationEndpoint')),
    HttpMethod: httpMethod(requiredString(input, 'HttpMethod')),
    ...optional('InvocationRateLimitPerSecond', rateLimit(input.InvocationRateLimitPerSecond)),
    ApiDestinationState: 'ACTIVE',
    CreationTime: now,
    LastModifiedTime: now,
    origin: 'runtime',
  };
  store.putApiDestination('CreateApiDestination', record);
  return destinationSummary(record);
}

function updateApiDestination(store: EventBridgeStore, input: Input) {
  const current = existingDestination(store, input);
  const given = (field: string) => input[field] !== undefined;
  const record: ApiDestinationRecord = {
    ...current,
    ...optional('Description', optionalString(input, 'Description') ?? current.Description),
    ConnectionArn: given('ConnectionArn') ? connectionArnOf(store, input) : current.ConnectionArn,
    InvocationEndpoint: given('InvocationEndpoint')
      ? endpoint(requiredString(input, 'InvocationEndpoint'))
      : current.InvocationEndpoint,
    HttpMethod: given('HttpMethod') ? httpMethod(requiredString(input, 'HttpMethod')) : current.HttpMethod,
    ...optional(
      'InvocationRateLimitPerSecond',
      given('InvocationRateLimitPerSecond')
        ? rateLimit(input.InvocationRateLimitPerSecond)
        : current.InvocationRateLimitPerSecond,
    ),
    LastModifiedTime: epochSeconds(),
  };
  store.putApiDestination('UpdateApiDestination', record, current);
  return destinationSummary(record);
}

function listApiDestinations(store: EventBridgeStore, input: Input) {
  const prefix = optionalString(input, 'NamePrefix') ?? '';
  const connection = optionalString(input, 'ConnectionArn');
  const all = [...store.apiDestinations.values()]
    .filter((d) => d.Name.startsWith(prefix) && (connection === undefined || d.ConnectionArn === connection))
    .sort((a, b) => a.Name.localeCompare(b.Name));
  const page = paginate(all, input);
  return { ApiDestinations: page.items.map(destinationDetails), ...optional('NextToken', page.nextToken) };
}

/** `{ [key]: value }` when the value is present, `{}` otherwise. */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/** AWS's LimitExceededException once an account quota is reached. */
function assertRoom(used: number, limit: number, what: string): void {
  if (used >= limit)
    throw limitExceeded(`The requested resource exceeds the maximum number allowed: ${limit} ${what}.`);
}

function authorizationType(input: Input): string {
  const type = requiredString(input, 'AuthorizationType');
  if (!AUTHORIZATION_TYPES.has(type))
    throw invalid(`AuthorizationType must be one of ${[...AUTHORIZATION_TYPES].join(', ')}`);
  return type;
}

function authParameters(input: Input, creating: boolean): ConnectionAuthParameters {
  const value = input.AuthParameters;
  if (value === undefined && !creating) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(
      "1 validation error detected: Value at 'authParameters' failed to satisfy constraint: Member must not be null",
    );
  }
  const parameters = value as ConnectionAuthParameters;
  const apiKey = parameters.ApiKeyAuthParameters;
  if (creating && input.AuthorizationType === 'API_KEY') {
    if (!apiKey || typeof apiKey.ApiKeyName !== 'string' || typeof apiKey.ApiKeyValue !== 'string') {
      throw invalid('ApiKeyAuthParameters with ApiKeyName and ApiKeyValue are required for AuthorizationType API_KEY');
    }
  }
  return parameters;
}

/** UpdateConnection changes the parts it names; the key's value stays when only its name is given. */
function mergeAuth(current: ConnectionAuthParameters, update: ConnectionAuthParameters): ConnectionAuthParameters {
  const apiKey =
    update.ApiKeyAuthParameters === undefined
      ? current.ApiKeyAuthParameters
      : {
          ApiKeyName: update.ApiKeyAuthParameters.ApiKeyName ?? current.ApiKeyAuthParameters?.ApiKeyName,
          ApiKeyValue: update.ApiKeyAuthParameters.ApiKeyValue ?? current.ApiKeyAuthParameters?.ApiKeyValue,
        };
  return { ...current, ...update, ...optional('ApiKeyAuthParameters', apiKey) };
}

function withoutSecretValues(parameters: ConnectionAuthParameters): Record<string, unknown> {
  const headers = parameters.InvocationHttpParameters?.HeaderParameters;
  return {
    ...optional(
      'ApiKeyAuthParameters',
      parameters.ApiKeyAuthParameters && { ApiKeyName: parameters.ApiKeyAuthParameters.ApiKeyName },
    ),
    ...optional(
      'InvocationHttpParameters',
      headers && {
        HeaderParameters: headers.map((h) => (h.IsValueSecret ? { Key: h.Key, IsValueSecret: true } : h)),
      },
    ),
  };
}

function endpoint(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(`InvocationEndpoint '${url}' is not a valid URL`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw invalid('InvocationEndpoint must be an HTTPS URL');
  return url;
}

function httpMethod(method: string): string {
  if (!HTTP_METHODS.has(method)) throw invalid(`HttpMethod must be one of ${[...HTTP_METHODS].join(', ')}`);
  return method;
}

function rateLimit(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const rate = Number(value);
  if (!Number.isInteger(rate) || rate < 1 || rate > 300) {
    throw invalid('InvocationRateLimitPerSecond must be between 1 and 300');
  }
  return rate;
}
