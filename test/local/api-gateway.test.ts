/**
 * The local API Gateway reads the REST API from the synthesized platform
 * template and behaves as API Gateway does in front of the handlers:
 * routing by resource, required headers, the REQUEST authorizer and its
 * result cache, and the template's gateway responses.
 */
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent } from 'aws-lambda';
import { routes } from '../../lambda/api/routes';
import { type ApiModel, LocalApiGateway, loadApiModel } from '../../local/api-gateway';
import { readCloudAssembly } from '../../local/cloud-assembly';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

let model: ApiModel;

beforeAll(() => {
  const { outdir } = synthesize(loadWorkspace(workspaceWithPartners([{ orgId: 'acme-corp' }])));
  model = loadApiModel(readCloudAssembly(outdir));
});

const allow = (orgId: string): APIGatewayAuthorizerResult => ({
  principalId: orgId,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: '*' }],
  },
  context: { orgId },
});

function gateway(
  authorizer: (key: string) => APIGatewayAuthorizerResult | Error,
  clock = { now: 0 },
): { gateway: LocalApiGateway; events: APIGatewayProxyEvent[]; authorizerCalls: string[] } {
  const events: APIGatewayProxyEvent[] = [];
  const authorizerCalls: string[] = [];
  const echo = async (event: APIGatewayProxyEvent) => {
    events.push(event);
    return { statusCode: 200, body: JSON.stringify({ ok: true }) };
  };
  return {
    events,
    authorizerCalls,
    gateway: new LocalApiGateway({
      model,
      functions: { 'admin-api': echo, 'partner-api': echo },
      authorizers: {
        'partner-authorizer': async (event) => {
          const key = String(event.headers?.['x-api-key']);
          authorizerCalls.push(key);
          const result = authorizer(key);
          if (result instanceof Error) throw result;
          return result;
        },
      },
      now: () => clock.now,
    }),
  };
}

describe('the API model read from the template', () => {
  it('has every route of the route table, integrated with the right function', () => {
    const methods = model.methods.map((method) => ({
      id: method.operationName,
      method: method.httpMethod,
      path: method.resourcePath,
      service: method.service,
    }));
    const expected = Object.entries(routes).map(([id, route]) => ({
      id,
      method: route.method,
      path: route.path,
      service: route.auth === 'admin' ? 'admin-api' : 'partner-api',
    }));
    expect(methods.sort((a, b) => a.id.localeCompare(b.id))).toEqual(expected.sort((a, b) => a.id.localeCompare(b.id)));
  });

  it('puts the REQUEST authorizer (X-API-Key, 30 s cache) on partner routes only; the public route has none', () => {
    const authOf = (operationName: string) => routes[operationName as keyof typeof routes].auth;
    for (const method of model.methods) {
      if (authOf(method.operationName) === 'public') {
        expect(method.authorizer).toBeUndefined();
        expect(method.requiredHeaders).toEqual([]);
      } else if (authOf(method.operationName) === 'partner') {
        expect(method.authorizer).toEqual({
          name: expect.any(String),
          service: 'partner-authorizer',
          identityHeader: 'x-api-key',
          ttlSeconds: 30,
        });
      } else {
        expect(method.authorizer).toBeUndefined();
        expect([...method.requiredHeaders].sort()).toEqual(['authorization', 'x-admin-api-key']);
      }
    }
  });
});

describe('LocalApiGateway', () => {
  it('builds the proxy event with resource, path parameters, query and the authorizer context', async () => {
    const { gateway: api, events } = gateway(() => allow('acme-corp'));
    const response = await api.handle({
      method: 'POST',
      url: '/v1/partner/credentials/key%201/rotate?dryRun=1',
      headers: { 'X-API-Key': 'k1', 'Content-Type': 'application/json' },
      body: '{"graceHours":24}',
    });
    expect(response.statusCode).toBe(200);
    expect(events[0]).toMatchObject({
      httpMethod: 'POST',
      resource: '/v1/partner/credentials/{id}/rotate',
      path: '/v1/partner/credentials/key%201/rotate',
      pathParameters: { id: 'key%201' },
      queryStringParameters: { dryRun: '1' },
      body: '{"graceHours":24}',
      requestContext: { authorizer: { orgId: 'acme-corp', principalId: 'acme-corp' } },
    });
  });

  it('passes a call to the public event-types route on without a key and without asking the authorizer', async () => {
    const { gateway: api, events, authorizerCalls } = gateway(() => new Error('Unauthorized'));
    const open = await api.handle({ method: 'GET', url: '/v1/partner/event-types', headers: {} });
    expect(open.statusCode).toBe(200);
    expect(authorizerCalls).toEqual([]);
    expect(events[0].requestContext.authorizer).toBeUndefined();
    const closed = await api.handle({ method: 'GET', url: '/v1/partner/webhooks', headers: {} });
    expect(closed.statusCode).toBe(401);
  });

  it('caches an authorizer answer per key for the template TTL, so a revoked key works for up to 30 s', async () => {
    const clock = { now: 0 };
    let revoked = false;
    const { gateway: api, authorizerCalls } = gateway(
      () => (revoked ? new Error('Unauthorized') : allow('acme-corp')),
      clock,
    );
    const probe = () => api.handle({ method: 'GET', url: '/partner-auth-probe', headers: { 'x-api-key': 'k1' } });
    expect((await probe()).statusCode).toBe(200);
    revoked = true;
    clock.now = 29_999;
    expect((await probe()).statusCode).toBe(200);
    expect(authorizerCalls).toEqual(['k1']);
    clock.now = 30_000;
    expect((await probe()).statusCode).toBe(401);
    expect(authorizerCalls).toEqual(['k1', 'k1']);
  });

  it('answers refusals with the gateway responses of the template', async () => {
    const { gateway: api } = gateway((key) =>
      key === 'deny'
        ? {
            ...allow('x'),
            policyDocument: { Version: '2012-10-17', Statement: [{ Action: '*', Effect: 'Deny', Resource: '*' }] },
          }
        : key === 'boom'
          ? new Error('table missing')
          : new Error('Unauthorized'),
    );
    const probe = (key?: string) =>
      api.handle({ method: 'GET', url: '/partner-auth-probe', headers: key === undefined ? {} : { 'x-api-key': key } });
    const unauthorized = { error: { code: 'unauthorized', message: 'Unauthorized' } };
    expect(await probe()).toMatchObject({ statusCode: 401 });
    expect(JSON.parse((await probe()).body)).toEqual(unauthorized);
    expect(JSON.parse((await probe('nope')).body)).toEqual(unauthorized);
    expect(await probe('deny')).toMatchObject({ statusCode: 403 });
    expect(JSON.parse((await probe('deny')).body)).toEqual({ error: { code: 'forbidden', message: 'Forbidden' } });
    expect((await probe('boom')).statusCode).toBe(500);
    // Unknown path, and an admin route without its required headers.
    const nowhere = await api.handle({ method: 'GET', url: '/nowhere', headers: {} });
    expect(nowhere.statusCode).toBe(404);
    expect(JSON.parse(nowhere.body)).toEqual({ error: { code: 'not_found', message: 'No such route' } });
    const wrongMethod = await api.handle({ method: 'DELETE', url: '/partner-auth-probe', headers: {} });
    expect(wrongMethod.statusCode).toBe(404);
    expect(await api.handle({ method: 'GET', url: '/tenants', headers: {} })).toMatchObject({ statusCode: 401 });
  });

  it('turns a function error into a bare 502 without its message', async () => {
    const api = new LocalApiGateway({
      model,
      functions: {
        'admin-api': async () => {
          throw new Error('secret detail');
        },
      },
      authorizers: {},
    });
    const response = await api.handle({
      method: 'GET',
      url: '/tenants',
      headers: { 'x-admin-api-key': 'a', authorization: 'Bearer b' },
    });
    expect(response.statusCode).toBe(502);
    expect(response.body).not.toContain('secret detail');
  });
});
