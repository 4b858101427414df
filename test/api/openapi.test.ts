/**
 * docs/openapi.json is generated from the route table; these tests fail
 * when it is stale or when it and the table disagree.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { buildOpenApiDocument } from '../../lambda/api/openapi';
import { routes } from '../../lambda/api/routes';

const OPENAPI_PATH = path.resolve(__dirname, '..', '..', 'docs', 'openapi.json');
const committed = JSON.parse(fs.readFileSync(OPENAPI_PATH, 'utf8'));

describe('docs/openapi.json', () => {
  it('is up to date with the route table (run `npm run openapi`)', () => {
    expect(committed).toEqual(buildOpenApiDocument());
  });

  it('documents every route, and only those, with its operation id, status and security', () => {
    const operations = Object.entries(committed.paths as Record<string, Record<string, any>>).flatMap(
      ([routePath, methods]) =>
        Object.entries(methods).map(([method, operation]) => ({
          id: operation.operationId,
          method: method.toUpperCase(),
          path: routePath,
          success: Object.keys(operation.responses).filter((status) => status.startsWith('2')),
          security: (operation.security as object[]).flatMap((scheme) => Object.keys(scheme)).sort(),
        })),
    );
    const expected = Object.entries(routes).map(([id, route]) => ({
      id,
      method: route.method,
      path: route.path,
      success: [String(route.status)],
      security: { admin: ['adminApiKey', 'adminJwt'], partner: ['partnerApiKey'], public: [] }[route.auth],
    }));
    expect(operations).toHaveLength(expected.length);
    expect(operations).toEqual(expect.arrayContaining(expected));
  });

  it('marks request bodies as closed objects, so unknown fields are documented as refused', () => {
    const register = buildOpenApiDocument() as any;
    const schema = register.paths['/tenants/{orgId}/register'].post.requestBody.content['application/json'].schema;
    expect(schema).toMatchObject({ type: 'object', additionalProperties: false, required: ['orgName', 'ownerEmail'] });
  });

  it('marks the event-types route public (security: []) and cacheable, and only that one', () => {
    const publicOperations = Object.values(committed.paths as Record<string, Record<string, any>>)
      .flatMap((methods) => Object.values(methods))
      .filter((operation) => operation.security.length === 0);
    expect(publicOperations.map((operation) => operation.operationId)).toEqual(['listEventTypes']);
    expect(publicOperations[0].responses).not.toHaveProperty('401');
    expect(publicOperations[0].responses['200'].headers).toHaveProperty('ETag');
    expect(publicOperations[0].responses).toHaveProperty('304');
  });

  it('documents 429 with Retry-After on every partner route (the per-partner limit), and on no other', () => {
    for (const [id, route] of Object.entries(routes)) {
      const operation = committed.paths[route.path][route.method.toLowerCase()];
      expect([id, '429' in operation.responses]).toEqual([id, route.auth === 'partner']);
    }
    const limited = committed.components.responses.Error429;
    expect(limited.description).toMatch(/^rate_limited /);
    expect(limited.headers['Retry-After'].schema).toEqual({ type: 'integer', minimum: 1 });
  });

  it('states the authorizer cache TTL', () => {
    expect(committed.info.description).toContain('caches the key check for 30 s');
  });
});
