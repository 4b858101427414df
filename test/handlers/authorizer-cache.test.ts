/**
 * The stage authorizer cache flush through the real API Gateway SDK client,
 * against a recording HTTP endpoint on 127.0.0.1: the exact control-plane
 * call, a retry when the control plane throttles, and a flush that keeps
 * failing is logged without failing the key change that asked for it. The
 * fan-out flushes the platform stage and every stage that attaches
 * PartnerKeyAuthorizer; one failing stage stops none of the others.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import {
  authorizerCacheFanOutFlusher,
  authorizerCacheFlusherFromEnv,
  stageAuthorizerCacheFlusher,
} from '../../lambda/shared/authorizer-cache';

interface Recorded {
  readonly method: string;
  readonly url: string;
}

let server: Server;
let endpoint: string;
const recorded: Recorded[] = [];
let answers: number[] = [];
/** Paths that always fail, whatever `answers` says. */
let failing = new Set<string>();

beforeAll(async () => {
  server = createServer((request, response) => {
    recorded.push({ method: String(request.method), url: String(request.url) });
    const status = failing.has(String(request.url)) ? 500 : (answers.shift() ?? 202);
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(status >= 400 ? JSON.stringify({ message: 'slow down' }) : '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  recorded.length = 0;
  answers = [];
  failing = new Set();
});

const client = () =>
  new APIGatewayClient({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

function logger() {
  const lines: string[] = [];
  const errors: Record<string, unknown>[] = [];
  return {
    lines,
    errors,
    warn: (message: string) => void lines.push(`warn ${message}`),
    error: (message: string, extra: Record<string, unknown>) => {
      lines.push(`error ${message}`);
      errors.push(extra);
    },
  };
}

const cachePath = (restApiId: string, stage: string) => `/restapis/${restApiId}/stages/${stage}/cache/authorizers`;

describe('stage authorizer cache flush', () => {
  it('sends FlushStageAuthorizersCache for the one stage', async () => {
    await stageAuthorizerCacheFlusher({ client: client(), restApiId: 'abc123', stageName: 'prod' })();
    expect(recorded).toEqual([{ method: 'DELETE', url: '/restapis/abc123/stages/prod/cache/authorizers' }]);
  });

  it('retries when the control plane throttles, then succeeds', async () => {
    answers = [429];
    const log = logger();
    await stageAuthorizerCacheFlusher({ client: client(), restApiId: 'abc123', stageName: 'prod', logger: log })();
    expect(recorded).toHaveLength(2);
    expect(log.lines).toEqual(['warn authorizer cache flush retried']);
  });

  it('logs a flush that keeps failing and resolves, so the committed key change still answers', async () => {
    answers = [500, 500, 500];
    const log = logger();
    await expect(
      stageAuthorizerCacheFlusher({ client: client(), restApiId: 'abc123', stageName: 'prod', logger: log })(),
    ).resolves.toBeUndefined();
    expect(recorded).toHaveLength(3);
    expect(log.lines.at(-1)).toBe('error authorizer cache not flushed');
  });

  it('flushes the platform stage and every registered stage, once each', async () => {
    const registry = {
      list: async () => [
        { restApiId: 'data1', stageName: 'v1' },
        { restApiId: 'data2', stageName: 'prod' },
        { restApiId: 'abc123', stageName: 'prod' },
      ],
    };
    await authorizerCacheFanOutFlusher({
      client: client(),
      platformStage: { restApiId: 'abc123', stageName: 'prod' },
      registry,
    })();
    expect(recorded.map((call) => `${call.method} ${call.url}`).sort()).toEqual(
      [cachePath('abc123', 'prod'), cachePath('data1', 'v1'), cachePath('data2', 'prod')].map((url) => `DELETE ${url}`),
    );
  });

  it('flushes the other stages when one keeps failing, and logs the failing one by its ids', async () => {
    failing = new Set([cachePath('data1', 'v1')]);
    const log = logger();
    await expect(
      authorizerCacheFanOutFlusher({
        client: client(),
        platformStage: { restApiId: 'abc123', stageName: 'prod' },
        registry: {
          list: async () => [
            { restApiId: 'data1', stageName: 'v1' },
            { restApiId: 'data2', stageName: 'v1' },
          ],
        },
        logger: log,
        attempts: 2,
        concurrency: 1,
      })(),
    ).resolves.toBeUndefined();
    const urls = recorded.map((call) => call.url);
    expect(urls.filter((url) => url === cachePath('data1', 'v1'))).toHaveLength(2);
    expect(urls).toEqual(expect.arrayContaining([cachePath('abc123', 'prod'), cachePath('data2', 'v1')]));
    expect(log.errors).toEqual([expect.objectContaining({ restApiId: 'data1', stage: 'v1' })]);
  });

  it('still flushes the platform stage when the registry cannot be read, and says so', async () => {
    const log = logger();
    await authorizerCacheFanOutFlusher({
      client: client(),
      platformStage: { restApiId: 'abc123', stageName: 'prod' },
      registry: {
        list: async () => {
          throw new Error('AccessDeniedException');
        },
      },
      logger: log,
    })();
    expect(recorded.map((call) => call.url)).toEqual([cachePath('abc123', 'prod')]);
    expect(log.lines).toEqual(['error attached stages not read; their authorizer caches not flushed']);
  });

  it.each([
    [{}, false],
    [{ PARTNER_API_ID: 'abc123' }, false],
    [{ PARTNER_API_STAGE: 'prod' }, false],
    [{ PARTNER_API_ID: 'abc123', PARTNER_API_STAGE: 'prod' }, true],
    [{ AUTHORIZER_STAGES_TABLE: 'tenants' }, true],
  ])('from the environment %j: a flusher is %s', (env, expected) => {
    expect(authorizerCacheFlusherFromEnv(env) !== undefined).toBe(expected);
  });
});
