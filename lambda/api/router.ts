/**
 * The router both API handlers (and the local runtime) dispatch with: it
 * finds the route for an API Gateway proxy event, authenticates the caller,
 * validates path, query and body with the route's schemas, runs the route's
 * handler and turns any error into the documented JSON error.
 *
 * Authentication runs before validation, so an anonymous caller learns
 * nothing about what a valid request would look like; `public` routes skip it.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { HttpError, cacheableJsonResponse, jsonResponse, toErrorResponse } from './http';
import type { RouteHandlers, RouteSpec } from './route-table';

/** Larger bodies are refused before parsing; every documented body is far smaller. */
export const MAX_BODY_BYTES = 16 * 1024;

export type ApiEvent = Pick<
  APIGatewayProxyEvent,
  'httpMethod' | 'path' | 'headers' | 'body' | 'isBase64Encoded' | 'queryStringParameters' | 'requestContext'
> &
  Partial<Pick<APIGatewayProxyEvent, 'resource' | 'pathParameters'>>;

export interface RouterOptions<Table extends Record<string, RouteSpec>, Caller> {
  readonly routes: Table;
  readonly handlers: RouteHandlers<Table, Caller>;
  /** Throws a DomainError (UnauthorizedError, ForbiddenError) to refuse the call. */
  readonly authenticate: (event: ApiEvent, route: RouteSpec) => Promise<Caller>;
  readonly logger?: Pick<Logger, 'error' | 'info'>;
}

export type ApiRouter = (event: ApiEvent) => Promise<APIGatewayProxyResult>;

interface CompiledRoute {
  readonly id: string;
  readonly spec: RouteSpec;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

export function compilePath(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment);
      if (param === null) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1]);
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}/?$`), names };
}

const NO_INPUT = z.strictObject({});

export function createRouter<Table extends Record<string, RouteSpec>, Caller>(
  options: RouterOptions<Table, Caller>,
): ApiRouter {
  const compiled: CompiledRoute[] = Object.entries(options.routes).map(([id, spec]) => ({
    id,
    spec,
    ...compilePath(spec.path),
  }));
  const handlers = options.handlers as unknown as Record<string, (input: unknown) => Promise<unknown>>;

  return async (event) => {
    let routeId: string | undefined;
    try {
      const { route, params } = match(compiled, event);
      routeId = route.id;
      const caller = route.spec.auth === 'public' ? undefined : await options.authenticate(event, route.spec);
      const input = {
        params: parse(route.spec.params ?? NO_INPUT, params, 'path'),
        query: parse(route.spec.query ?? NO_INPUT, event.queryStringParameters ?? {}, 'query'),
        body: parseBody(route.spec, event),
        caller,
        origin: originOf(event),
      };
      const result = await handlers[route.id](input);
      if (route.spec.cacheSeconds === undefined) return jsonResponse(route.spec.status, result);
      return cacheableJsonResponse(route.spec.status, result, route.spec.cacheSeconds, event.headers);
    } catch (error) {
      const { response, unexpected } = toErrorResponse(error);
      if (unexpected) {
        options.logger?.error('request failed', {
          route: routeId,
          outcome: 'error',
          error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
        });
      }
      return response;
    }
  };
}

function match(routes: readonly CompiledRoute[], event: ApiEvent): { route: CompiledRoute; params: object } {
  const method = event.httpMethod.toUpperCase();
  // API Gateway names the resource; the local runtime may only give the path.
  const byResource = routes.find((route) => route.spec.path === event.resource && route.spec.method === method);
  if (byResource !== undefined) return { route: byResource, params: decodeParams(event.pathParameters ?? {}) };
  let pathMatched = false;
  for (const route of routes) {
    const found = route.pattern.exec(event.path);
    if (found === null) continue;
    pathMatched = true;
    if (route.spec.method !== method) continue;
    const params = Object.fromEntries(route.names.map((name, index) => [name, safeDecode(found[index + 1])]));
    return { route, params };
  }
  if (pathMatched) throw new HttpError('method_not_allowed', `${method} is not allowed on ${event.path}`);
  throw new HttpError('not_found', 'No such route');
}

function decodeParams(params: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(params).map(([name, value]) => [name, value && safeDecode(value)]));
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw new HttpError('bad_request', 'The path is not validly encoded');
  }
}

function parseBody(route: RouteSpec, event: ApiEvent): unknown {
  const raw = event.body === null || event.body === undefined ? '' : event.body;
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  if (Buffer.byteLength(text, 'utf8') > MAX_BODY_BYTES) {
    throw new HttpError('payload_too_large', `The body must be at most ${MAX_BODY_BYTES} bytes`);
  }
  if (route.body === undefined) {
    if (text.trim() !== '' && route.method !== 'GET') {
      throw new HttpError('validation_error', 'This route takes no body');
    }
    return undefined;
  }
  let value: unknown;
  if (text.trim() !== '') {
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpError('bad_request', 'The body is not valid JSON');
    }
  }
  return parse(route.body, value, 'body');
}

function parse(schema: z.ZodType, value: unknown, where: 'path' | 'query' | 'body'): unknown {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpError('validation_error', describeIssues(result.error, where));
}

/** "body.events: Too small ..." for the first few issues; never echoes the input value. */
export function describeIssues(error: z.ZodError, where: string): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${[where, ...issue.path.map(String)].join('.')}: ${issue.message}`)
    .join('; ');
}

/** The caller's address and user agent as API Gateway passes them (never trusted for anything but the record). */
function originOf(event: ApiEvent): { sourceIp?: string; userAgent?: string } {
  const sourceIp = event.requestContext?.identity?.sourceIp;
  const userAgent = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'user-agent')?.[1];
  return {
    ...(typeof sourceIp === 'string' && sourceIp !== '' ? { sourceIp } : {}),
    ...(typeof userAgent === 'string' && userAgent !== '' ? { userAgent } : {}),
  };
}
