import { Agent, request } from 'undici';
import { Webhook } from 'standardwebhooks';
import { FakeClock } from '../../lambda/core/clock';
import { MAX_CHALLENGE_RESPONSE_BYTES } from '../../lambda/core/verification';
import {
  BlockedAddressError,
  ChallengeSender,
  ChallengeSenderOptions,
  DEFAULT_CHALLENGE_TIMEOUT_MS,
  ResolveHost,
  WebhookVerificationError,
  createGuardedConnector,
  signPlatformPayload,
  toStandardWebhooksKey,
  verifyPlatformSignature,
} from '../../lambda/verification/send-challenge';
import { Receiver, respondBySignature, startReceiver } from './receiver';

const SECRET = 'sk-test-Verification-Secret-0123456789abcdefXYZ';
const TARGET = { orgId: 'acme-corp', webhookId: 'wh_primary' } as const;

const senders: ChallengeSender[] = [];
const receivers: Receiver[] = [];

/** A sender for local receivers; every test states what it relaxes. */
function sender(options: ChallengeSenderOptions): ChallengeSender {
  const created = new ChallengeSender(options);
  senders.push(created);
  return created;
}

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
}

/** Resolves the named hosts to fixed addresses, like a DNS server the attacker controls. */
function fakeDns(answers: Record<string, readonly string[]>): ResolveHost {
  return async (hostname) =>
    (answers[hostname] ?? []).map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
}

afterEach(async () => {
  await Promise.all(senders.splice(0).map((created) => created.close()));
  await Promise.all(receivers.splice(0).map((started) => started.close()));
});

describe('ChallengeSender against real HTTP receivers on 127.0.0.1', () => {
  const local = { allowHttp: true, allowLoopback: true } as const;

  it('a 200 echoing the challenge verifies, and the receiver checks the Standard Webhooks signature with the library', async () => {
    const endpoint = await receiver({ secret: SECRET, respond: respondBySignature });

    const attempt = await sender(local).send({ ...TARGET, url: `${endpoint.origin}/hooks/in`, secret: SECRET });

    expect(attempt.result).toEqual({ ok: true });
    expect(attempt.outcome).toEqual({ kind: 'response', status: 200, echo: 'echoed' });
    expect(endpoint.requests).toHaveLength(1);
    const [received] = endpoint.requests;
    expect(received).toMatchObject({ method: 'POST', path: '/hooks/in', signatureValid: true });
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.headers['webhook-id']).toBe(attempt.messageId);
    expect(received.headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9]{24}$/);
    expect(received.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(received.payload).toEqual({
      type: 'webhook.verification',
      challenge: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      partnerId: 'acme-corp',
      webhookId: 'wh_primary',
    });
    // Field order is part of the signed bytes.
    expect(Object.keys(JSON.parse(received.body))).toEqual(['type', 'challenge', 'partnerId', 'webhookId']);
    // The challenge proves the signature, it never carries the secret itself.
    expect(JSON.stringify(received.headers) + received.body).not.toContain(SECRET);
  });

  it('the helper verifyPlatformSignature accepts the same request the library accepted', async () => {
    const endpoint = await receiver({ secret: SECRET });
    await sender(local).send({ ...TARGET, url: `${endpoint.origin}/`, secret: SECRET });

    const [received] = endpoint.requests;
    expect(verifyPlatformSignature(SECRET, received.headers, received.body)).toEqual(received.payload);
  });

  it('a receiver holding another secret rejects the signature (and answers 401, which fails verification)', async () => {
    const endpoint = await receiver({ secret: 'a-different-secret', respond: respondBySignature });

    const attempt = await sender(local).send({ ...TARGET, url: `${endpoint.origin}/`, secret: SECRET });

    expect(endpoint.requests[0].signatureValid).toBe(false);
    expect(() =>
      verifyPlatformSignature('a-different-secret', endpoint.requests[0].headers, endpoint.requests[0].body),
    ).toThrow(WebhookVerificationError);
    expect(attempt.result).toEqual({ ok: false, lastError: 'HTTP 401' });
  });

  it('a 500 fails with lastError "HTTP 500"', async () => {
    const endpoint = await receiver({ respond: (_request, response) => response.writeHead(500).end('boom') });

    const attempt = await sender(local).send({ ...TARGET, url: `${endpoint.origin}/`, secret: SECRET });

    expect(attempt.result).toEqual({ ok: false, lastError: 'HTTP 500' });
    expect(endpoint.requests).toHaveLength(1);
  });

  it('a receiver that never answers fails with "timeout after <n> ms" at the injected deadline', async () => {
    const endpoint = await receiver({ respond: () => undefined });

    const attempt = await sender({ ...local, timeoutMs: 300 }).send({
      ...TARGET,
      url: `${endpoint.origin}/`,
      secret: SECRET,
    });

    expect(attempt.result).toEqual({ ok: false, lastError: 'timeout after 300 ms' });
    // Never before the deadline; after it only by as much as a loaded machine lags (printed, bounded generously).
    console.log(`300 ms deadline: gave up after ${attempt.durationMs} ms`);
    expect(attempt.durationMs).toBeGreaterThanOrEqual(290);
    expect(attempt.durationMs).toBeLessThan(DEFAULT_CHALLENGE_TIMEOUT_MS);
  });

  it('a receiver that sends headers and then stalls the body also times out: the deadline covers the body', async () => {
    const endpoint = await receiver({
      respond: (_request, response) => {
        response.writeHead(200, { 'content-length': '100' });
        response.write('partial');
      },
    });

    const attempt = await sender({ ...local, timeoutMs: 300 }).send({
      ...TARGET,
      url: `${endpoint.origin}/`,
      secret: SECRET,
    });

    expect(attempt.result).toEqual({ ok: false, lastError: 'timeout after 300 ms' });
    console.log(`300 ms deadline, stalled body: gave up after ${attempt.durationMs} ms`);
    expect(attempt.durationMs).toBeLessThan(DEFAULT_CHALLENGE_TIMEOUT_MS);
  });

  it('with the production default, a hanging receiver fails with "timeout after 5000 ms", not before', async () => {
    const endpoint = await receiver({ respond: () => undefined });

    const attempt = await sender(local).send({ ...TARGET, url: `${endpoint.origin}/`, secret: SECRET });

    expect(attempt.result).toEqual({ ok: false, lastError: 'timeout after 5000 ms' });
    console.log(`5000 ms default deadline: gave up after ${attempt.durationMs} ms`);
    expect(attempt.durationMs).toBeGreaterThanOrEqual(4_990);
    expect(attempt.durationMs).toBeLessThan(15_000);
  }, 30_000);

  it('the production deadline is 5000 ms and the body cap 4 KB', () => {
    expect(DEFAULT_CHALLENGE_TIMEOUT_MS).toBe(5_000);
    expect(MAX_CHALLENGE_RESPONSE_BYTES).toBe(4 * 1024);
    expect(sender({}).timeoutMs).toBe(5_000);
  });

  it.each([301, 302, 303, 307, 308])(
    'a %i redirect is not followed: verification fails and the redirect target receives nothing',
    async (status) => {
      const target = await receiver();
      const endpoint = await receiver({
        respond: (_request, response) => response.writeHead(status, { location: `${target.origin}/elsewhere` }).end(),
      });

      const attempt = await sender(local).send({ ...TARGET, url: `${endpoint.origin}/`, secret: SECRET });

      expect(attempt.result).toEqual({ ok: false, lastError: `redirect not followed (${status})` });
      expect(endpoint.requests).toHaveLength(1);
      expect(target.connections()).toBe(0);
    },
  );

  it('reads at most the body cap from a huge 200 response and fails it as too large', async () => {
    let written = 0;
    const endpoint = await receiver({
      respond: (_request, response) => {
        response.writeHead(200);
        const chunk = Buffer.alloc(16 * 1024, 'x');
        const pump = (): void => {
          // An endless body: only the reader's cap ends this exchange.
          while (written < 64 * 1024 * 1024 && response.write(chunk)) written += chunk.length;
          if (!response.destroyed) response.once('drain', pump);
        };
        pump();
      },
    });

    const attempt = await sender(local).send({
      ...TARGET,
      url: `${endpoint.origin}/`,
      secret: SECRET,
    });

    expect(attempt.result).toEqual({
      ok: false,
      lastError: 'HTTP 200, the response body is over 4096 bytes: answer with the challenge value only',
    });
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('a closed port fails with the connection error code and no secret', async () => {
    const endpoint = await receiver();
    const url = `${endpoint.origin}/`;
    await endpoint.close();

    const attempt = await sender(local).send({ ...TARGET, url, secret: SECRET });

    expect(attempt.result).toEqual({ ok: false, lastError: 'connection failed (ECONNREFUSED)' });
  });

  it('a host name is resolved once and connected to by the checked address; the Host header keeps the name', async () => {
    const endpoint = await receiver({ secret: SECRET, respond: respondBySignature });
    const resolveHost = jest.fn(fakeDns({ 'receiver.test': ['127.0.0.1'] }));

    const attempt = await sender({ ...local, resolveHost }).send({
      ...TARGET,
      url: `http://receiver.test:${endpoint.port}/hook`,
      secret: SECRET,
    });

    expect(attempt.result).toEqual({ ok: true });
    expect(resolveHost).toHaveBeenCalledTimes(1);
    expect(endpoint.requests[0].headers.host).toBe(`receiver.test:${endpoint.port}`);
  });

  it('signs with the injected clock, and receivers reject a timestamp older than five minutes', async () => {
    const endpoint = await receiver({ secret: SECRET, respond: respondBySignature });
    const clock = new FakeClock(new Date(Date.now() - 10 * 60 * 1000));

    const attempt = await sender({ ...local, clock }).send({ ...TARGET, url: `${endpoint.origin}/`, secret: SECRET });

    expect(endpoint.requests[0].headers['webhook-timestamp']).toBe(String(Math.floor(clock.now().getTime() / 1000)));
    expect(attempt.result).toEqual({ ok: false, lastError: 'HTTP 401' });
  });
});

describe('the challenge echo: only a 2xx whose body is the challenge value verifies', () => {
  const local = { allowHttp: true, allowLoopback: true } as const;
  type Answer = (challenge: string) => string;
  const challengeOf = (received: { body: string }): string =>
    (JSON.parse(received.body) as { challenge: string }).challenge;

  async function attemptWith(status: number, answer: Answer) {
    const endpoint = await receiver({
      respond: (_request, response, received) => response.writeHead(status).end(answer(challengeOf(received))),
    });
    const attempt = await sender(local).send({ ...TARGET, url: `${endpoint.origin}/`, secret: SECRET });
    return { attempt, challenge: challengeOf(endpoint.requests[0]) };
  }

  it.each<[string, number, Answer]>([
    ['the bare value', 200, (value) => value],
    ['the bare value with a trailing newline', 200, (value) => `${value}\n`],
    ['JSON {"challenge": value}', 200, (value) => JSON.stringify({ challenge: value })],
    ['JSON with a 201', 201, (value) => JSON.stringify({ challenge: value, received: true })],
  ])('verifies when the receiver answers %s', async (_label, status, answer) => {
    const { attempt } = await attemptWith(status, answer);
    expect(attempt.result).toEqual({ ok: true });
  });

  const tellsWhatToAnswer = 'answer with the challenge value or {"challenge":"<value>"}';
  it.each<[string, number, Answer, string]>([
    ['200 with an empty body', 200, () => '', `HTTP 200, the response body is empty: ${tellsWhatToAnswer}`],
    ['204 with no body', 204, () => '', `HTTP 204, the response body is empty: ${tellsWhatToAnswer}`],
    ['200 "ok"', 200, () => 'ok', `HTTP 200, the response body is not the challenge: ${tellsWhatToAnswer}`],
    [
      '200 with a wrong value',
      200,
      (value) => value.split('').reverse().join(''),
      `HTTP 200, the response body is not the challenge: ${tellsWhatToAnswer}`,
    ],
    [
      '200 with the value in a different field',
      200,
      (value) => JSON.stringify({ token: value }),
      `HTTP 200, the response body is not the challenge: ${tellsWhatToAnswer}`,
    ],
    [
      '200 echoing the whole challenge payload',
      200,
      (value) => JSON.stringify({ type: 'webhook.verification', value }),
      `HTTP 200, the response body is not the challenge: ${tellsWhatToAnswer}`,
    ],
    [
      '200 with the value after 4 KB of padding',
      200,
      (value) => ' '.repeat(4096) + value,
      'HTTP 200, the response body is over 4096 bytes: answer with the challenge value only',
    ],
  ])(
    'fails a receiver answering %s, with a lastError that holds neither challenge nor secret',
    async (_label, status, answer, lastError) => {
      const { attempt, challenge } = await attemptWith(status, answer);
      expect(attempt.result).toEqual({ ok: false, lastError });
      const seen = JSON.stringify(attempt);
      expect(seen).not.toContain(challenge);
      expect(seen).not.toContain(SECRET);
    },
  );
});

describe('SSRF: URLs that reach internal addresses are refused before anything is sent', () => {
  let endpoint: Receiver;
  beforeEach(async () => {
    endpoint = await receiver({ secret: SECRET });
  });

  /** [label, url template]: `PORT` is the local receiver's port. */
  const ssrfUrls: ReadonlyArray<readonly [string, string]> = [
    ['localhost', '//localhost:PORT/hook'],
    ['loopback 127.0.0.1', '//127.0.0.1:PORT/hook'],
    ['loopback 127.8.9.10', '//127.8.9.10:PORT/hook'],
    ['RFC 1918 10.x', '//10.0.0.5:PORT/hook'],
    ['RFC 1918 172.16.x', '//172.16.0.1:PORT/hook'],
    ['RFC 1918 192.168.x', '//192.168.1.1:PORT/hook'],
    ['metadata 169.254.169.254', '//169.254.169.254/latest/meta-data/'],
    ['IPv6 loopback [::1]', '//[::1]:PORT/hook'],
    ['IPv6 unique-local [fd00::1]', '//[fd00::1]:PORT/hook'],
    ['IPv4-mapped loopback [::ffff:127.0.0.1]', '//[::ffff:127.0.0.1]:PORT/hook'],
    ['decimal loopback 2130706433', '//2130706433:PORT/hook'],
    ['a name that resolves to 127.0.0.1 (DNS rebinding)', '//localtest:PORT/hook'],
    ['a name with one public and one loopback answer', '//mixed.test:PORT/hook'],
  ];
  const dns = fakeDns({ localtest: ['127.0.0.1'], 'mixed.test': ['203.0.113.10', '127.0.0.1'] });
  const environments: ReadonlyArray<readonly [string, ChallengeSenderOptions, string]> = [
    ['dev', { allowHttp: true }, 'http:'],
    ['stage', {}, 'https:'],
    ['nonprod', {}, 'https:'],
    ['prod', {}, 'https:'],
  ];
  const cases = environments.flatMap(([environment, options, scheme]) =>
    ssrfUrls.map(([label, url]) => [environment, label, options, `${scheme}${url}`] as const),
  );

  it.each(cases)('%s refuses %s; the local server receives nothing', async (_environment, _label, options, url) => {
    const attempt = await sender({ ...options, resolveHost: dns }).send({
      ...TARGET,
      url: url.replace('PORT', String(endpoint.port)),
      secret: SECRET,
    });

    expect(attempt.result.ok).toBe(false);
    expect(['url-refused', 'blocked-address']).toContain(attempt.outcome.kind);
    expect(endpoint.connections()).toBe(0);
    expect(JSON.stringify(attempt)).not.toContain(SECRET);
  });

  it.each(environments)(
    '%s refuses a name resolving to loopback at connect time, not by its spelling',
    async (_env, options, scheme) => {
      const attempt = await sender({ ...options, resolveHost: dns }).send({
        ...TARGET,
        url: `${scheme}//localtest:${endpoint.port}/hook`,
        secret: SECRET,
      });

      expect(attempt.outcome).toEqual({ kind: 'blocked-address' });
      expect(attempt.result).toEqual({ ok: false, lastError: 'host resolves to a private or internal address' });
      expect(endpoint.connections()).toBe(0);
    },
  );

  it('a deployable sender refuses plain http before any lookup', async () => {
    const resolveHost = jest.fn(dns);
    const attempt = await sender({ resolveHost }).send({
      ...TARGET,
      url: 'http://partner.example/hook',
      secret: SECRET,
    });

    expect(attempt.outcome.kind).toBe('url-refused');
    expect(attempt.result).toEqual({
      ok: false,
      lastError: 'URL refused: plain http:// is allowed in dev only; use https://',
    });
    expect(resolveHost).not.toHaveBeenCalled();
  });
});

describe('createGuardedConnector on its own (no URL pre-check)', () => {
  let endpoint: Receiver;
  const agents: Agent[] = [];
  beforeEach(async () => {
    endpoint = await receiver();
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((agent) => agent.close()));
  });

  function agentWith(options: Parameters<typeof createGuardedConnector>[0]): Agent {
    const agent = new Agent({ connect: createGuardedConnector(options) });
    agents.push(agent);
    return agent;
  }

  it.each([
    ['127.0.0.1'],
    ['[::1]'],
    ['[::ffff:127.0.0.1]'],
    ['[fd00::1]'],
    ['169.254.169.254'],
    ['10.0.0.5'],
    ['localtest'],
    ['localhost'],
  ])('refuses %s at connect time and the server sees no connection', async (host) => {
    const dispatcher = agentWith({
      resolveHost: fakeDns({ localtest: ['127.0.0.1'], localhost: ['127.0.0.1', '::1'] }),
      connectTimeoutMs: 500,
    });

    const error = await request(`http://${host}:${endpoint.port}/`, { dispatcher, method: 'POST', body: '{}' }).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );

    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(endpoint.connections()).toBe(0);
  });

  it('connects when loopback is explicitly allowed (proves the server would have seen a connection)', async () => {
    const dispatcher = agentWith({ allowLoopback: true, resolveHost: fakeDns({ localtest: ['127.0.0.1'] }) });

    const response = await request(`http://localtest:${endpoint.port}/`, { dispatcher, method: 'POST', body: '{}' });
    await response.body.dump();

    expect(response.statusCode).toBe(200);
    expect(endpoint.connections()).toBe(1);
  });

  it('allowLoopback still refuses private, link-local and metadata addresses', async () => {
    const dispatcher = agentWith({ allowLoopback: true, resolveHost: fakeDns({ meta: ['169.254.169.254'] }) });

    await expect(request('http://meta/latest/meta-data/', { dispatcher })).rejects.toBeInstanceOf(BlockedAddressError);
  });
});

describe('the signing key mapping', () => {
  it('is whsec_ + base64 of the secret’s UTF-8 bytes, usable by any Standard Webhooks library', () => {
    expect(toStandardWebhooksKey('abc')).toBe('whsec_YWJj');
    expect(toStandardWebhooksKey('ümlaut')).toBe(`whsec_${Buffer.from('ümlaut', 'utf8').toString('base64')}`);

    const body = '{"hello":"world"}';
    const headers = signPlatformPayload(SECRET, 'msg_1', new Date(), body);
    expect(new Webhook(toStandardWebhooksKey(SECRET)).verify(body, { ...headers })).toEqual({ hello: 'world' });
  });

  it('a tampered body or a missing header fails verification', () => {
    const body = '{"hello":"world"}';
    const headers = signPlatformPayload(SECRET, 'msg_1', new Date(), body);

    expect(() => verifyPlatformSignature(SECRET, headers, '{"hello":"there"}')).toThrow(WebhookVerificationError);
    expect(() => verifyPlatformSignature(SECRET, { 'webhook-id': 'msg_1' }, body)).toThrow(WebhookVerificationError);
  });

  it('refuses an empty secret instead of signing with an empty key', () => {
    expect(() => toStandardWebhooksKey('')).toThrow('webhook secret must not be empty');
  });
});
