/**
 * The security review's "every error in the JSON shape" findings (issue 13
 * step 5), reproduced against `npm run local` over HTTP and now refused as
 * `{error:{code,message}}`, with the tables unchanged: unknown routes (were a
 * 403 `bad_request`), crafted listing cursors (were a 500), and the local
 * server's own refusals of oversized bodies and headers (were bare text or
 * `{message}`).
 */
import { request as httpRequest } from 'node:http';
import { type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { scanPlatformTables } from '../support/platform-tables';
import { loadWorkspace, synthesize, workspaceWithPartners } from '../support/workspace';

let runtime: LocalRuntime;
let partnerKey: string;

beforeAll(async () => {
  const root = workspaceWithPartners(['acme-corp', 'globex'].map((orgId) => ({ orgId })));
  runtime = await startLocalRuntime({
    assemblyDir: synthesize(loadWorkspace(root)).outdir,
    port: 0,
    verificationIntervalMs: 3_600_000,
  });
  partnerKey = runtime.partners.find((partner) => partner.orgId === 'acme-corp')!.initialApiKey!;
}, 180_000);

afterAll(async () => {
  await runtime?.stop();
});

interface Answer {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: unknown;
}

async function call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body }),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), body: JSON.parse(text) };
}

async function adminHeaders(): Promise<Record<string, string>> {
  return { 'X-Admin-API-Key': runtime.admin.apiKey, Authorization: `Bearer ${await runtime.admin.token()}` };
}

const snapshot = () => scanPlatformTables(runtime.doc, runtime.tables);
const error = (code: string) => ({ error: { code, message: expect.any(String) } });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('unknown routes answer 404 not_found', () => {
  it.each<[string, string, 'none' | 'partner' | 'admin']>([
    ['GET', '/nowhere', 'none'],
    ['GET', '/v1/partner/nothing-here', 'partner'],
    ['DELETE', '/partner-auth-probe', 'partner'],
    ['PATCH', '/tenants', 'admin'],
    ['GET', '/', 'none'],
  ])('%s %s (credentials: %s)', async (method, path, credentials) => {
    const headers =
      credentials === 'partner' ? { 'X-API-Key': partnerKey } : credentials === 'admin' ? await adminHeaders() : {};
    const before = await snapshot();
    const answer = await call(method, path, headers);
    expect(answer).toEqual({ status: 404, contentType: 'application/json', body: error('not_found') });
    expect(await snapshot()).toEqual(before);
  });
});

describe('a crafted listing cursor answers 400 invalid_cursor, never 500', () => {
  it('a cursor the listing handed out still pages', async () => {
    const headers = await adminHeaders();
    const first = await call('GET', '/tenants?limit=1', headers);
    expect(first.status).toBe(200);
    const { nextCursor } = first.body as { nextCursor: string };
    expect(nextCursor).toEqual(expect.any(String));
    const second = await call('GET', `/tenants?limit=1&cursor=${encodeURIComponent(nextCursor)}`, headers);
    expect(second.status).toBe(200);
  });

  it.each<[string, string]>([
    ['bad base64', '%%%not-base64%%%'],
    ['base64 of text that is not JSON', Buffer.from('{orgId:', 'utf8').toString('base64url')],
    ['a JSON array', b64(['acme-corp'])],
    ['DynamoDB attribute-value JSON', b64({ orgId: { S: 'acme-corp' }, listBucket: { S: 'tenant' } })],
    ['the wrong attributes', b64({ orgId: 'acme-corp' })],
    ['an extra attribute', b64({ orgId: 'acme-corp', listBucket: 'tenant', admin: 'true' })],
    ['another partition of the index', b64({ orgId: 'acme-corp', listBucket: 'elsewhere' })],
    ["another listing's cursor (an org's key listing)", b64({ keyHash: 'ab', orgId: 'globex', createdAt: '2025' })],
  ])('%s', async (_label, cursor) => {
    const headers = await adminHeaders();
    const before = await snapshot();
    const answer = await call('GET', `/tenants?cursor=${encodeURIComponent(cursor)}`, headers);
    expect(answer).toEqual({ status: 400, contentType: 'application/json', body: error('invalid_cursor') });
    expect(await snapshot()).toEqual(before);
  });
});

describe('oversized requests answer in the JSON error shape', () => {
  it('a body over the router limit (16 KB) is 413 payload_too_large and registers nothing', async () => {
    const before = await snapshot();
    const body = JSON.stringify({ orgName: 'x'.repeat(20 * 1024), ownerEmail: 'o@example.com' });
    const answer = await call(
      'POST',
      '/tenants/big-org/register',
      { ...(await adminHeaders()), 'content-type': 'application/json' },
      body,
    );
    expect(answer).toEqual({ status: 413, contentType: 'application/json', body: error('payload_too_large') });
    expect(await snapshot()).toEqual(before);
  });

  it("a body over the local server's limit (1 MB) is 413 payload_too_large before any handler runs", async () => {
    const before = await snapshot();
    const body = 'x'.repeat(1024 * 1024 + 1);
    const answer = await call('POST', '/tenants/big-org/register', await adminHeaders(), body);
    expect(answer).toEqual({ status: 413, contentType: 'application/json', body: error('payload_too_large') });
    expect(await snapshot()).toEqual(before);
  });

  it('headers over the limit are 431 headers_too_large, as JSON', async () => {
    const url = new URL(`${runtime.apiUrl}/partner-auth-probe`);
    const answer = await new Promise<Answer>((resolve, reject) => {
      const outgoing = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          headers: { 'X-API-Key': partnerKey, 'X-Padding': 'p'.repeat(32 * 1024) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              contentType: response.headers['content-type'] ?? null,
              body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            }),
          );
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
    expect(answer).toEqual({ status: 431, contentType: 'application/json', body: error('headers_too_large') });
  });
});
