/**
 * The OpenAPI 3.1 document of both APIs, built from the route table and its
 * zod schemas (z.toJSONSchema), so the document cannot drift from what the
 * router validates. scripts/openapi.ts writes it to docs/openapi.json.
 */
import { z } from 'zod';
import { ADMIN_KEY_HEADER, EVENT_TYPES_PATH, PARTNER_KEY_HEADER } from '../core/contracts';
import { PARTNER_AUTHORIZER_CACHE_SECONDS } from './partner-context';
import type { RouteSpec } from './route-table';
import { errorBody, routes } from './routes';

type JsonObject = Record<string, unknown>;

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'bad_request (body is not JSON), validation_error (a field is missing, has the wrong type, or is unknown) or invalid_cursor (a listing cursor this listing did not hand out)',
  401: 'unauthorized: missing, unknown, expired or revoked credentials (never says which)',
  403: "forbidden (admin: the token is valid but its email is outside the admin domain) or key_not_permitted (partner: only the org's active key, read at the time of the request, may issue, rotate or revoke keys or change webhooks)",
  404: 'not_found',
  409: 'conflict: the current state forbids the change',
  429: "rate_limited (partner: the caller's org is over its own limit, partnerApi.rateLimit; wait Retry-After seconds) or throttled (the stage-wide limit)",
  500: 'internal_error',
};

const RATE_LIMITED_HEADERS = {
  'Retry-After': {
    description: 'Whole seconds until the request would be admitted (rate_limited only)',
    schema: { type: 'integer', minimum: 1 },
  },
};

/** `[]` on a public route: OpenAPI's way to say no credential is needed. */
const SECURITY_OF: Readonly<Record<RouteSpec['auth'], JsonObject[]>> = {
  admin: [{ adminApiKey: [], adminJwt: [] }],
  partner: [{ partnerApiKey: [] }],
  public: [],
};

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonObject;
  return rest;
}

function parametersOf(schema: z.ZodObject | undefined, location: 'path' | 'query'): JsonObject[] {
  if (schema === undefined) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonObject>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function operationOf(id: string, route: RouteSpec): JsonObject {
  const errorStatuses = [
    400,
    ...(route.auth === 'public' ? [] : [401]),
    ...(route.auth === 'admin' ? [403] : []),
    // Every call of a partner route takes its org's token bucket.
    ...(route.auth === 'partner' ? [429] : []),
    ...(route.errors ?? []),
    500,
  ];
  const responses: JsonObject = {
    [String(route.status)]: {
      description: route.status === 201 ? 'Created' : 'OK',
      content: { 'application/json': { schema: schemaOf(route.response, 'output') } },
    },
  };
  for (const status of [...new Set(errorStatuses)].sort()) {
    responses[String(status)] = { $ref: `#/components/responses/Error${status}` };
  }
  return {
    operationId: id,
    summary: route.summary,
    tags: [route.auth === 'admin' ? 'admin' : 'partner'],
    security: SECURITY_OF[route.auth],
    parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
    ...(route.body === undefined
      ? {}
      : {
          requestBody: {
            required: !route.body.safeParse(undefined).success,
            content: { 'application/json': { schema: schemaOf(route.body, 'input') } },
          },
        }),
    responses,
  };
}

/** 304 and the caching headers of a route that sets `cacheSeconds`. */
function withCaching(operation: JsonObject, route: RouteSpec): JsonObject {
  if (route.cacheSeconds === undefined) return operation;
  const headers = {
    ETag: { description: 'A strong validator of the body', schema: { type: 'string' } },
    'Cache-Control': { description: `public, max-age=${route.cacheSeconds}`, schema: { type: 'string' } },
  };
  const responses = operation.responses as Record<string, JsonObject>;
  const ok = String(route.status);
  return {
    ...operation,
    parameters: [
      ...(operation.parameters as JsonObject[]),
      { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
    ],
    responses: {
      ...responses,
      [ok]: { ...responses[ok], headers },
      '304': { description: 'Not modified: the ETag in If-None-Match is current', headers },
    },
  };
}

export function buildOpenApiDocument(): JsonObject {
  const paths: Record<string, JsonObject> = {};
  for (const [id, route] of Object.entries(routes) as [string, RouteSpec][]) {
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = withCaching(operationOf(id, route), route);
  }
  const errorSchema = schemaOf(errorBody, 'output');
  return {
    openapi: '3.1.0',
    info: {
      title: 'Partner platform API',
      version: '1.0.0',
      description:
        `Admin routes need both ${ADMIN_KEY_HEADER} and an admin JWT (Authorization: Bearer). Partner routes need ${PARTNER_KEY_HEADER} ` +
        `(except ${EVENT_TYPES_PATH}, which is public); ` +
        `the gateway caches the key check for ${PARTNER_AUTHORIZER_CACHE_SECONDS} s, so a revoked key may keep working for up to that long. ` +
        'Every error is {"error": {"code", "message"}}.',
    },
    tags: [
      { name: 'admin', description: 'Platform administration' },
      { name: 'partner', description: 'Called by partners with their API key' },
    ],
    paths,
    components: {
      securitySchemes: {
        partnerApiKey: { type: 'apiKey', in: 'header', name: PARTNER_KEY_HEADER },
        adminApiKey: { type: 'apiKey', in: 'header', name: ADMIN_KEY_HEADER },
        adminJwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      },
      responses: Object.fromEntries(
        Object.entries(ERROR_DESCRIPTIONS).map(([status, description]) => [
          `Error${status}`,
          {
            description,
            ...(status === '429' ? { headers: RATE_LIMITED_HEADERS } : {}),
            content: { 'application/json': { schema: errorSchema } },
          },
        ]),
      ),
    },
  };
}
