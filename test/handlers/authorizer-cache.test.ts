/**
 * The stage authorizer cache flush through the real API Gateway SDK client,
 * against a recording HTTP endpoint on 127.0.0.1: the exact control-plane
 * call, a retry when the control plane throttles, and a flush that keeps
 * failing is logged without failing the key change that asked for it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { authorizerCacheFlusherFromEnv, stageAuthorizerCacheFlusher } from '../../lambda/shared/authorizer-cache';

interface Recorded {
  readonly method: string;
  readonly url: string;
}

let server: Server;
let endpoint: string;
const recorded: Recorded[] = [];
let answers: number[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    recorded.push({ method: String(request.method), url: String(request.url) });
    const status = answers.shift() ?? 202;
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
  return {
    lines,
    warn: (message: string) => void lines.push(`warn ${message}`),
    error: (message: string) => void lines.push(`error ${message}`),
  };
}

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

  it.each([
    [{}, false],
    [{ PARTNER_API_ID: 'abc123' }, false],
    [{ PARTNER_API_STAGE: 'prod' }, false],
    [{ PARTNER_API_ID: 'abc123', PARTNER_API_STAGE: 'prod' }, true],
  ])('from the environment %j: a flusher is %s', (env, expected) => {
    expect(authorizerCacheFlusherFromEnv(env) !== undefined).toBe(expected);
  });
});
