/**
 * A local stand-in for the REST API, built from the synthesized platform
 * template rather than from the route table: the resources and methods
 * (path, HTTP method, operation name), which Lambda function each method
 * integrates with, the REQUEST authorizer (identity source header, result
 * TTL), the request validator's required headers, and the gateway responses
 * (status and JSON body of a refusal). A route that is missing or wired to
 * the wrong function in the template is missing or wrong here too.
 *
 * Functions are looked up by their `POWERTOOLS_SERVICE_NAME`, so the local
 * runtime supplies the real handler for each service (`admin-api`,
 * `partner-api`, `partner-authorizer`) built over local dependencies.
 *
 * Behaviour copied from API Gateway: an unknown path or method is a
 * MISSING_AUTHENTICATION_TOKEN refusal (403 unless the template sets it; the
 * platform's says 404 `not_found`); a missing required header is
 * BAD_REQUEST_PARAMETERS; a missing identity source or an authorizer that
 * throws "Unauthorized" is UNAUTHORIZED; a Deny policy is ACCESS_DENIED;
 * authorizer answers are cached per identity source value for the
 * template's TTL; the proxy event carries `resource`, `pathParameters` and
 * the authorizer's `context`; and one access-log line per request in the
 * stage's format (lambda/core/access-log.ts), with the authorizer's context
 * whether the answer came from the authorizer or from its cache.
 */
import { randomUUID } from 'node:crypto';
import type {
  APIGatewayAuthorizerResult,
  APIGatewayProxyEvent,
  APIGatewayProxyResult,
  APIGatewayRequestAuthorizerEvent,
} from 'aws-lambda';
import {
  type CfnResourceJson,
  type CloudAssemblyView,
  referencedResource,
  resourcesOfType,
  type StackArtifact,
} from './cloud-assembly';
import { compilePath } from '../lambda/api/router';
import { type AccessLogLine, formatAccessLogLine } from '../lambda/core/access-log';

export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
export type RequestAuthorizer = (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

export interface ApiMethodModel {
  readonly operationName: string;
  readonly httpMethod: string;
  /** The resource path with `{param}` segments, e.g. `/tenants/{orgId}/webhooks`. */
  readonly resourcePath: string;
  /** `POWERTOOLS_SERVICE_NAME` of the integrated function. */
  readonly service: string;
  readonly requiredHeaders: readonly string[];
  readonly authorizer?: AuthorizerModel;
}

export interface AuthorizerModel {
  readonly name: string;
  readonly service: string;
  /** Lower-case header name of `method.request.header.X`. */
  readonly identityHeader: string;
  readonly ttlSeconds: number;
}

export interface GatewayResponseModel {
  readonly statusCode?: number;
  readonly body?: string;
}

export interface ApiModel {
  readonly stackName: string;
  readonly apiName: string;
  readonly stage: string;
  readonly methods: readonly ApiMethodModel[];
  /** By response type (UNAUTHORIZED, ACCESS_DENIED, DEFAULT_4XX, ...). */
  readonly gatewayResponses: Readonly<Record<string, GatewayResponseModel>>;
}

export interface GatewayRequest {
  readonly method: string;
  /** Path and query, e.g. `/tenants?limit=5`. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly sourceIp?: string;
}

export interface GatewayResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** The statuses API Gateway gives each response type when the template sets none. */
const DEFAULT_STATUS: Readonly<Record<string, number>> = {
  UNAUTHORIZED: 401,
  ACCESS_DENIED: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  BAD_REQUEST_PARAMETERS: 400,
  AUTHORIZER_FAILURE: 500,
  INTEGRATION_FAILURE: 504,
  THROTTLED: 429,
};

/** Reads the one REST API of the assembly. */
export function loadApiModel(assembly: CloudAssemblyView): ApiModel {
  const withApi = assembly.stacks.filter(
    (stack) => resourcesOfType(stack.template, 'AWS::ApiGateway::RestApi').length > 0,
  );
  if (withApi.length !== 1) {
    throw new Error(`expected one stack with a REST API in ${assembly.dir}, found ${withApi.length}`);
  }
  const stack = withApi[0];
  const [[, restApi]] = resourcesOfType(stack.template, 'AWS::ApiGateway::RestApi');
  const resources = new Map(resourcesOfType(stack.template, 'AWS::ApiGateway::Resource'));
  const pathOf = (resourceId: unknown): string => {
    const referenced = referencedResource(assembly, stack, resourceId);
    if (referenced === undefined || referenced.resource.Type !== 'AWS::ApiGateway::Resource') return '';
    const own = resources.get(referenced.logicalId);
    return `${pathOf(own?.Properties?.ParentId)}/${String(own?.Properties?.PathPart)}`;
  };
  const serviceOf = (value: unknown, where: string): string => {
    const fn = functionIn(assembly, stack, value);
    const service = fn?.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME;
    if (typeof service !== 'string') throw new Error(`${where}: cannot tell which function it invokes`);
    return service;
  };
  const authorizers = new Map<string, AuthorizerModel>();
  for (const [logicalId, authorizer] of resourcesOfType(stack.template, 'AWS::ApiGateway::Authorizer')) {
    const props = authorizer.Properties ?? {};
    const source = String(props.IdentitySource ?? '');
    const header = /^method\.request\.header\.(.+)$/.exec(source)?.[1];
    if (props.Type !== 'REQUEST' || header === undefined) {
      throw new Error(`authorizer ${logicalId}: only REQUEST authorizers on one header are supported (${source})`);
    }
    authorizers.set(logicalId, {
      name: String(props.Name ?? logicalId),
      service: serviceOf(props.AuthorizerUri, `authorizer ${logicalId}`),
      identityHeader: header.toLowerCase(),
      ttlSeconds: Number(props.AuthorizerResultTtlInSeconds ?? 300),
    });
  }
  const methods: ApiMethodModel[] = resourcesOfType(stack.template, 'AWS::ApiGateway::Method')
    .filter(([, method]) => method.Properties?.HttpMethod !== 'OPTIONS')
    .map(([logicalId, method]) => {
      const props = method.Properties ?? {};
      const authorizerRef = referencedResource(assembly, stack, props.AuthorizerId);
      const authorizer = authorizerRef ? authorizers.get(authorizerRef.logicalId) : undefined;
      if (props.AuthorizationType === 'CUSTOM' && authorizer === undefined) {
        throw new Error(`method ${logicalId}: CUSTOM authorization without a known authorizer`);
      }
      return {
        operationName: String(props.OperationName ?? logicalId),
        httpMethod: String(props.HttpMethod),
        resourcePath: pathOf(props.ResourceId) || '/',
        service: serviceOf(props.Integration?.Uri, `method ${logicalId}`),
        requiredHeaders: Object.entries(props.RequestParameters ?? {})
          .filter(([name, required]) => required === true && name.startsWith('method.request.header.'))
          .map(([name]) => name.slice('method.request.header.'.length).toLowerCase()),
        ...(authorizer === undefined ? {} : { authorizer }),
      };
    });
  const gatewayResponses: Record<string, GatewayResponseModel> = {};
  for (const [, response] of resourcesOfType(stack.template, 'AWS::ApiGateway::GatewayResponse')) {
    const props = response.Properties ?? {};
    gatewayResponses[String(props.ResponseType)] = {
      ...(props.StatusCode === undefined ? {} : { statusCode: Number(props.StatusCode) }),
      ...(props.ResponseTemplates?.['application/json'] === undefined
        ? {}
        : { body: String(props.ResponseTemplates['application/json']) }),
    };
  }
  const stages = resourcesOfType(stack.template, 'AWS::ApiGateway::Stage');
  return {
    stackName: stack.stackName,
    apiName: String(restApi.Properties?.Name ?? 'api'),
    stage: String(stages[0]?.[1].Properties?.StageName ?? 'local'),
    methods,
    gatewayResponses,
  };
}

/** The Lambda function behind an integration or authorizer URI (`Fn::GetAtt [fn, Arn]` inside a join). */
function functionIn(assembly: CloudAssemblyView, stack: StackArtifact, value: unknown): CfnResourceJson | undefined {
  let found: CfnResourceJson | undefined;
  const visit = (part: unknown): void => {
    if (found !== undefined || part === null || typeof part !== 'object') return;
    const referenced = referencedResource(assembly, stack, part);
    if (referenced?.resource.Type === 'AWS::Lambda::Function') {
      found = referenced.resource;
      return;
    }
    Object.values(part as Record<string, unknown>).forEach(visit);
  };
  visit(value);
  return found;
}

export interface LocalApiGatewayOptions {
  readonly model: ApiModel;
  /** Handlers by service name; a method whose service has none answers 502. */
  readonly functions: Readonly<Record<string, ProxyHandler>>;
  readonly authorizers: Readonly<Record<string, RequestAuthorizer>>;
  /** @default Date.now */
  readonly now?: () => number;
  /** Receives each request's access-log line, formatted as the stage writes it. @default none */
  readonly onAccessLog?: (line: string) => void;
}

/** What one request leaves for its access-log line while it is handled. */
interface RequestTrace {
  readonly requestId: string;
  readonly receivedAt: number;
  method?: ApiMethodModel;
  authorizerContext?: Record<string, unknown>;
}

interface CompiledMethod {
  readonly method: ApiMethodModel;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

interface CachedDecision {
  readonly until: number;
  readonly result: APIGatewayAuthorizerResult | 'unauthorized';
}

export class LocalApiGateway {
  private readonly compiled: CompiledMethod[];
  private readonly cache = new Map<string, CachedDecision>();
  private readonly now: () => number;
  private authorizerCalls = 0;

  constructor(private readonly options: LocalApiGatewayOptions) {
    this.now = options.now ?? Date.now;
    // Literal segments before parameters, as API Gateway prefers the most specific resource.
    this.compiled = options.model.methods
      .map((method) => ({ method, ...compilePath(method.resourcePath) }))
      .sort((a, b) => specificity(b.method.resourcePath) - specificity(a.method.resourcePath));
  }

  /** How many times an authorizer function ran (requests answered from the cache do not count). */
  get authorizerInvocations(): number {
    return this.authorizerCalls;
  }

  /** Forgets cached authorizer answers (API Gateway's "flush authorizer cache"). */
  flushAuthorizerCache(): void {
    this.cache.clear();
  }

  async handle(request: GatewayRequest): Promise<GatewayResponse> {
    const trace: RequestTrace = { requestId: randomUUID(), receivedAt: this.now() };
    const response = await this.respond(request, trace);
    this.options.onAccessLog?.(formatAccessLogLine(this.accessLogLine(request, trace, response)));
    return response;
  }

  private accessLogLine(request: GatewayRequest, trace: RequestTrace, response: GatewayResponse): AccessLogLine {
    const context = trace.authorizerContext ?? {};
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    return {
      requestId: trace.requestId,
      requestTimeEpoch: String(trace.receivedAt),
      apiId: 'local',
      stage: this.options.model.stage,
      httpMethod: request.method.toUpperCase(),
      resourcePath: trace.method?.resourcePath ?? '',
      status: String(response.statusCode),
      responseLatency: String(Math.max(0, this.now() - trace.receivedAt)),
      orgId: text(context.orgId),
      keyId: text(context.keyId),
      keyEnvironment: text(context.environment),
    };
  }

  private async respond(request: GatewayRequest, trace: RequestTrace): Promise<GatewayResponse> {
    const url = new URL(request.url, 'http://localhost');
    const headers = lowerCaseKeys(request.headers);
    const method = request.method.toUpperCase();
    const candidates = this.compiled.filter((entry) => entry.pattern.test(url.pathname));
    const hit = candidates.find((entry) => entry.method.httpMethod === method || entry.method.httpMethod === 'ANY');
    if (hit === undefined) return this.refusal('MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token');
    trace.method = hit.method;
    const values = hit.pattern.exec(url.pathname)!;
    const pathParameters = Object.fromEntries(hit.names.map((name, index) => [name, values[index + 1]]));

    if (hit.method.requiredHeaders.some((name) => (headers[name] ?? '') === '')) {
      return this.refusal('BAD_REQUEST_PARAMETERS', 'Missing required request parameters');
    }
    const requestContext = this.requestContext(hit.method, trace, request.sourceIp ?? '127.0.0.1');
    let authorizerContext: Record<string, unknown> | undefined;
    if (hit.method.authorizer !== undefined) {
      const decision = await this.authorize(hit.method, headers, url, pathParameters, requestContext);
      if (decision === 'unauthorized') return this.refusal('UNAUTHORIZED', 'Unauthorized');
      if (decision === 'failure') return this.refusal('AUTHORIZER_FAILURE', 'Authorizer failure');
      if (!allows(decision)) return this.refusal('ACCESS_DENIED', 'Forbidden');
      authorizerContext = { ...decision.context, principalId: decision.principalId };
      trace.authorizerContext = authorizerContext;
    }
    const handler = this.options.functions[hit.method.service];
    if (handler === undefined) return this.refusal('DEFAULT_5XX', `No local handler for ${hit.method.service}`, 502);
    const query = url.searchParams.size === 0 ? null : Object.fromEntries(url.searchParams);
    const event: APIGatewayProxyEvent = {
      httpMethod: method,
      path: url.pathname,
      resource: hit.method.resourcePath,
      pathParameters: hit.names.length === 0 ? null : pathParameters,
      queryStringParameters: query,
      multiValueQueryStringParameters: query === null ? null : multiValue(url.searchParams),
      headers: { ...request.headers },
      multiValueHeaders: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, [value]])),
      body: request.body === undefined || request.body === '' ? null : request.body,
      isBase64Encoded: false,
      stageVariables: null,
      requestContext: {
        ...requestContext,
        ...(authorizerContext === undefined ? {} : { authorizer: authorizerContext }),
      } as APIGatewayProxyEvent['requestContext'],
    };
    try {
      const result = await handler(event);
      return {
        statusCode: result.statusCode,
        headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([name, value]) => [name, String(value)])),
        body: result.body,
      };
    } catch {
      // A function error reaches API Gateway clients as a bare 502, never the error itself.
      return this.refusal('DEFAULT_5XX', 'Internal server error', 502);
    }
  }

  private async authorize(
    method: ApiMethodModel,
    headers: Record<string, string>,
    url: URL,
    pathParameters: Record<string, string>,
    requestContext: Record<string, unknown>,
  ): Promise<APIGatewayAuthorizerResult | 'unauthorized' | 'failure'> {
    const authorizer = method.authorizer!;
    const identity = headers[authorizer.identityHeader];
    // API Gateway refuses without calling the authorizer when the identity source is missing.
    if (identity === undefined || identity === '') return 'unauthorized';
    const cacheKey = `${authorizer.name}\n${identity}`;
    const cached = this.cache.get(cacheKey);
    if (cached !== undefined && cached.until > this.now()) return cached.result;
    const fn = this.options.authorizers[authorizer.service];
    if (fn === undefined) return 'failure';
    this.authorizerCalls++;
    const event = {
      type: 'REQUEST',
      methodArn: this.methodArn(method),
      resource: method.resourcePath,
      path: url.pathname,
      httpMethod: method.httpMethod,
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
      pathParameters,
      queryStringParameters: Object.fromEntries(url.searchParams),
      multiValueQueryStringParameters: multiValue(url.searchParams),
      stageVariables: {},
      requestContext,
    } as unknown as APIGatewayRequestAuthorizerEvent;
    let result: APIGatewayAuthorizerResult | 'unauthorized';
    try {
      result = await fn(event);
    } catch (error) {
      if (!(error instanceof Error) || error.message !== 'Unauthorized') return 'failure';
      result = 'unauthorized';
    }
    if (authorizer.ttlSeconds > 0)
      this.cache.set(cacheKey, { until: this.now() + authorizer.ttlSeconds * 1000, result });
    return result;
  }

  private methodArn(method: ApiMethodModel): string {
    return `arn:aws:execute-api:us-east-1:000000000000:local/${this.options.model.stage}/${method.httpMethod}${method.resourcePath}`;
  }

  private requestContext(method: ApiMethodModel, trace: RequestTrace, sourceIp: string): Record<string, unknown> {
    return {
      accountId: '000000000000',
      apiId: 'local',
      stage: this.options.model.stage,
      requestId: trace.requestId,
      resourcePath: method.resourcePath,
      httpMethod: method.httpMethod,
      operationName: method.operationName,
      requestTimeEpoch: trace.receivedAt,
      identity: { sourceIp },
    };
  }

  private refusal(type: string, message: string, fallbackStatus?: number): GatewayResponse {
    const configured = this.options.model.gatewayResponses[type];
    const family = (fallbackStatus ?? DEFAULT_STATUS[type] ?? 400) >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX';
    const fallback = this.options.model.gatewayResponses[family];
    const statusCode = configured?.statusCode ?? fallbackStatus ?? DEFAULT_STATUS[type] ?? fallback?.statusCode ?? 400;
    const body = configured?.body ?? fallback?.body ?? JSON.stringify({ message });
    return {
      statusCode,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': errorType(type) },
      body,
    };
  }
}

function allows(result: APIGatewayAuthorizerResult): boolean {
  const statements = (result.policyDocument?.Statement ?? []) as Array<{ Effect?: string }>;
  return statements.length > 0 && statements.every((statement) => statement.Effect === 'Allow');
}

function errorType(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
}

function specificity(resourcePath: string): number {
  return resourcePath.split('/').filter((segment) => segment !== '' && !segment.startsWith('{')).length;
}

function lowerCaseKeys(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}

function multiValue(params: URLSearchParams): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  params.forEach((value, name) => (result[name] ??= []).push(value));
  return result;
}
