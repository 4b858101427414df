import { FakeClock, HOUR_MS, MINUTE_MS } from '../../lambda/core/clock';
import { ValidationError } from '../../lambda/core/errors';
import { onUrlChanged, onVerificationSucceeded } from '../../lambda/core/webhooks';
import { ChallengeSender } from '../../lambda/verification/send-challenge';
import {
  ChallengeTransport,
  VerificationDependencies,
  cachedPerInvocation,
  createVerificationHandler,
  verificationEventSchema,
} from '../../lambda/verification/verification-handler';
import { CapturingLogger, CountingMetrics, FakeSecrets, InMemoryWebhookStore, pendingWebhook } from './fakes';
import { Receiver, respondBySignature, startReceiver } from './receiver';

const SECRET = 'whk-Unit-Secret-Value-9f8e7d6c5b4a39281706';
const SECRET_ARN =
  'arn:aws:secretsmanager:eu-west-1:111111111111:secret:partner-platform/dev/webhooks/acme-corp/primary';
const START = '2025-03-01T12:00:00.000Z';

interface Harness {
  readonly clock: FakeClock;
  readonly store: InMemoryWebhookStore;
  readonly secrets: FakeSecrets;
  readonly logger: CapturingLogger;
  readonly metrics: CountingMetrics;
  readonly handler: ReturnType<typeof createVerificationHandler>;
}

const senders: ChallengeSender[] = [];
const receivers: Receiver[] = [];

function harness(overrides: Partial<VerificationDependencies> = {}): Harness {
  const clock = new FakeClock(START);
  const store = new InMemoryWebhookStore();
  const secrets = new FakeSecrets({ [SECRET_ARN]: SECRET });
  const logger = new CapturingLogger();
  const metrics = new CountingMetrics();
  const transport = new ChallengeSender({ allowHttp: true, allowLoopback: true, timeoutMs: 300 });
  senders.push(transport);
  const handler = createVerificationHandler({
    store,
    secrets,
    transport,
    clock,
    logger,
    metrics,
    ...overrides,
  });
  return { clock, store, secrets, logger, metrics, handler };
}

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const started = await startReceiver(...args);
  receivers.push(started);
  return started;
}

/** The pending webhook of ORG/HOOK pointing at `endpoint`, in the harness's store. */
function putPendingAt(h: Harness, endpoint: Receiver): void {
  h.store.put(
    pendingWebhook({
      orgId: ORG,
      webhookId: HOOK,
      url: `${endpoint.origin}/`,
      clock: h.clock,
      secretArn: SECRET_ARN,
    }),
  );
}

afterEach(async () => {
  await Promise.all(senders.splice(0).map((sender) => sender.close()));
  await Promise.all(receivers.splice(0).map((started) => started.close()));
});

const ORG = 'acme-corp';
const HOOK = 'primary';

describe('direct invoke {orgId, webhookId}', () => {
  it('a receiver answering 200 makes the webhook active with verifiedAt and verifiedUrl', async () => {
    const h = harness();
    const endpoint = await receiver({ secret: SECRET, respond: respondBySignature });
    h.store.put(
      pendingWebhook({
        orgId: ORG,
        webhookId: HOOK,
        url: `${endpoint.origin}/in`,
        clock: h.clock,
        secretArn: SECRET_ARN,
      }),
    );
    h.clock.advance(5_000);

    const result = await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(result).toEqual({
      action: 'verify',
      result: { orgId: ORG, webhookId: HOOK, outcome: 'verified' },
    });
    expect(endpoint.requests.map((request) => request.signatureValid)).toEqual([true]);
    const stored = h.store.current(ORG, HOOK);
    expect(stored).toMatchObject({
      status: 'active',
      verifiedAt: '2025-03-01T12:00:05.000Z',
      verifiedUrl: `${endpoint.origin}/in`,
      attempts: 1,
    });
    expect(stored).not.toHaveProperty('dueAt');
    expect(stored).not.toHaveProperty('lastError');
    expect(h.metrics.counts).toEqual({ WebhookVerified: 1 });
  });

  it('a receiver answering 500 keeps it pending with lastError "HTTP 500" and the next attempt one minute later', async () => {
    const h = harness();
    const endpoint = await receiver({ respond: (_request, response) => response.writeHead(500).end() });
    putPendingAt(h, endpoint);

    const result = await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(result).toEqual({
      action: 'verify',
      result: {
        orgId: ORG,
        webhookId: HOOK,
        outcome: 'retrying',
        lastError: 'HTTP 500',
        nextAttemptAt: '2025-03-01T12:01:00.000Z',
      },
    });
    expect(h.store.current(ORG, HOOK)).toMatchObject({
      status: 'pending',
      lastError: 'HTTP 500',
      attempts: 1,
      nextAttemptAt: '2025-03-01T12:01:00.000Z',
      dueAt: '2025-03-01T12:01:00.000Z',
      dueBucket: 'due',
    });
  });

  const challengeOf = (body: string): string => (JSON.parse(body) as { challenge: string }).challenge;

  it.each<[string, (challenge: string) => string]>([
    ['an empty body', () => ''],
    ['a wrong value', () => 'not-the-challenge'],
    ['the value in a different field', (challenge) => JSON.stringify({ token: challenge })],
  ])(
    'a receiver answering 200 with %s stays pending; neither challenge nor secret reaches the logs',
    async (_label, answer) => {
      const h = harness();
      const endpoint = await receiver({
        respond: (_request, response, received) => response.writeHead(200).end(answer(challengeOf(received.body))),
      });
      putPendingAt(h, endpoint);

      const result = await h.handler({ orgId: ORG, webhookId: HOOK });

      expect(result).toMatchObject({
        result: { outcome: 'retrying', lastError: expect.stringMatching(/^HTTP 200, the response body is/) },
      });
      const stored = h.store.current(ORG, HOOK);
      expect(stored).toMatchObject({ status: 'pending', attempts: 1 });
      expect(stored).not.toHaveProperty('verifiedAt');
      const challenge = challengeOf(endpoint.requests[0].body);
      expect(h.logger.text()).not.toContain(challenge);
      expect(h.logger.text()).not.toContain(SECRET);
      expect(JSON.stringify(stored)).not.toContain(challenge);
    },
  );

  it.each<[string, (challenge: string) => string]>([
    ['the bare value', (challenge) => challenge],
    ['JSON {"challenge": value}', (challenge) => JSON.stringify({ challenge })],
  ])('a receiver answering 200 with %s verifies', async (_label, answer) => {
    const h = harness();
    const endpoint = await receiver({
      respond: (_request, response, received) => response.writeHead(200).end(answer(challengeOf(received.body))),
    });
    putPendingAt(h, endpoint);

    await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(h.store.current(ORG, HOOK)).toMatchObject({ status: 'active' });
  });

  it('a receiver that hangs fails with the transport deadline in lastError', async () => {
    const h = harness();
    const endpoint = await receiver({ respond: () => undefined });
    putPendingAt(h, endpoint);

    const started = Date.now();
    await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(Date.now() - started).toBeLessThan(1_500);
    expect(h.store.current(ORG, HOOK)).toMatchObject({ status: 'pending', lastError: 'timeout after 300 ms' });
  });

  it('a redirect is recorded as "redirect not followed (302)" and its target receives nothing', async () => {
    const h = harness();
    const target = await receiver();
    const endpoint = await receiver({
      respond: (_request, response) => response.writeHead(302, { location: target.origin }).end(),
    });
    putPendingAt(h, endpoint);

    await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(h.store.current(ORG, HOOK)).toMatchObject({ status: 'pending', lastError: 'redirect not followed (302)' });
    expect(target.connections()).toBe(0);
  });

  it('an attempt failing 24 h after the URL was set marks the webhook failed', async () => {
    const h = harness();
    const endpoint = await receiver({ respond: (_request, response) => response.writeHead(503).end() });
    putPendingAt(h, endpoint);
    h.clock.advance(24 * HOUR_MS);

    const result = await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(result).toMatchObject({ result: { outcome: 'failed', lastError: 'HTTP 503' } });
    const stored = h.store.current(ORG, HOOK);
    expect(stored).toMatchObject({ status: 'failed', lastError: 'HTTP 503' });
    expect(stored).not.toHaveProperty('dueBucket');
    expect(h.metrics.counts).toEqual({ WebhookVerificationFailed: 1 });
  });

  it('an unknown webhook is skipped as not-found, and a settled one as not-pending, with no request sent', async () => {
    const h = harness();
    const endpoint = await receiver();
    const pending = pendingWebhook({
      orgId: ORG,
      webhookId: HOOK,
      url: `${endpoint.origin}/`,
      clock: h.clock,
      secretArn: SECRET_ARN,
    });
    h.store.put(onVerificationSucceeded(pending, h.clock));

    await expect(h.handler({ orgId: ORG, webhookId: 'missing' })).resolves.toMatchObject({
      result: { outcome: 'skipped', reason: 'not-found' },
    });
    await expect(h.handler({ orgId: ORG, webhookId: HOOK })).resolves.toMatchObject({
      result: { outcome: 'skipped', reason: 'not-pending' },
    });
    expect(endpoint.connections()).toBe(0);
  });

  it.each([[{}], [{ orgId: ORG }], [{ action: 'rotate' }], [null], ['sweep'], [{ orgId: '', webhookId: HOOK }]])(
    'rejects the event %j with a ValidationError',
    async (event) => {
      await expect(harness().handler(event)).rejects.toBeInstanceOf(ValidationError);
    },
  );

  it('accepts the schedule target input, a plain scheduled event and a direct invoke', () => {
    expect(verificationEventSchema.parse({ action: 'sweep' })).toEqual({ action: 'sweep' });
    expect(verificationEventSchema.parse({ 'detail-type': 'Scheduled Event', source: 'aws.events' })).toEqual({
      action: 'sweep',
    });
    expect(verificationEventSchema.parse({ orgId: ORG, webhookId: HOOK })).toEqual({
      action: 'verify',
      orgId: ORG,
      webhookId: HOOK,
    });
  });
});

describe('a URL changed at run time becomes the verified URL only once it answers', () => {
  async function changedWebhook(h: Harness, oldUrl: string, newUrl: string): Promise<void> {
    const verified = onVerificationSucceeded(
      pendingWebhook({ orgId: ORG, webhookId: HOOK, url: oldUrl, clock: h.clock, secretArn: SECRET_ARN }),
      h.clock,
    );
    h.clock.advance(HOUR_MS);
    h.store.put({ ...onUrlChanged(verified, newUrl, h.clock, { allowHttp: true, allowLoopback: true }) });
  }

  it('while the new URL fails, the old URL stays the verified one (deliveries keep going there)', async () => {
    const h = harness();
    const failing = await receiver({ respond: (_request, response) => response.writeHead(500).end() });
    await changedWebhook(h, 'https://old.partner.example/hook', `${failing.origin}/new`);

    await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(h.store.current(ORG, HOOK)).toMatchObject({
      status: 'pending',
      url: `${failing.origin}/new`,
      verifiedUrl: 'https://old.partner.example/hook',
    });
  });

  it('once the new URL answers 200 it is saved as the verified URL; EventBridge is left to the provisioner', async () => {
    const h = harness();
    const endpoint = await receiver({ secret: SECRET, respond: respondBySignature });
    const newUrl = `${endpoint.origin}/new`;
    await changedWebhook(h, 'https://old.partner.example/hook', newUrl);

    const result = await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(result).toEqual({ action: 'verify', result: { orgId: ORG, webhookId: HOOK, outcome: 'verified' } });
    expect(h.store.current(ORG, HOOK)).toMatchObject({ status: 'active', url: newUrl, verifiedUrl: newUrl });
    expect(h.metrics.counts).toEqual({ WebhookVerified: 1 });
  });

  it('a URL changed again while the attempt was in flight is not overwritten', async () => {
    const h = harness();
    const endpoint = await receiver();
    putPendingAt(h, endpoint);
    h.store.beforeSave = () => {
      const current = h.store.current(ORG, HOOK);
      if (current) h.store.put(onUrlChanged(current, 'https://newer.partner.example/hook', h.clock));
    };

    const result = await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(result).toMatchObject({ result: { outcome: 'skipped', reason: 'changed-meanwhile' } });
    expect(h.store.current(ORG, HOOK)).toMatchObject({
      status: 'pending',
      url: 'https://newer.partner.example/hook',
      attempts: 0,
    });
  });
});

describe('scheduled sweep', () => {
  it('verifies only the due pending webhooks, each against its own receiver', async () => {
    const h = harness();
    const ok = await receiver({ secret: SECRET, respond: respondBySignature });
    const broken = await receiver({ respond: (_request, response) => response.writeHead(500).end() });
    const notDue = await receiver();
    const settled = await receiver();
    h.store.put(
      pendingWebhook({ orgId: 'org-a', webhookId: 'ok', url: `${ok.origin}/`, clock: h.clock, secretArn: SECRET_ARN }),
    );
    h.store.put(
      pendingWebhook({
        orgId: 'org-b',
        webhookId: 'broken',
        url: `${broken.origin}/`,
        clock: h.clock,
        secretArn: SECRET_ARN,
      }),
    );
    h.clock.advance(10 * MINUTE_MS);
    h.store.put(
      pendingWebhook({
        orgId: 'org-c',
        webhookId: 'later',
        url: `${notDue.origin}/`,
        clock: new FakeClock('2025-03-01T13:00:00.000Z'),
        secretArn: SECRET_ARN,
      }),
    );
    h.store.put(
      onVerificationSucceeded(
        pendingWebhook({
          orgId: 'org-d',
          webhookId: 'done',
          url: `${settled.origin}/`,
          clock: h.clock,
          secretArn: SECRET_ARN,
        }),
        h.clock,
      ),
    );

    const result = await h.handler({ action: 'sweep' });

    expect(result).toEqual({
      action: 'sweep',
      due: 2,
      deferred: 0,
      counts: { verified: 1, retrying: 1, failed: 0, skipped: 0, error: 0 },
    });
    expect(h.store.current('org-a', 'ok')?.status).toBe('active');
    expect(h.store.current('org-b', 'broken')).toMatchObject({ status: 'pending', lastError: 'HTTP 500' });
    expect(notDue.connections() + settled.connections()).toBe(0);
    // Both webhooks share one secret: it was read once for the invocation.
    expect(h.secrets.reads).toEqual([SECRET_ARN]);
  });

  it('runs at most `concurrency` attempts at once', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const transport: ChallengeTransport = {
      timeoutMs: 300,
      send: async () => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight -= 1;
        return {
          outcome: { kind: 'response', status: 204, echo: 'echoed' },
          result: { ok: true },
          messageId: 'msg_x',
          durationMs: 20,
        };
      },
    };
    const h = harness({ transport, concurrency: 3 });
    for (let index = 0; index < 10; index++) {
      h.store.put(
        pendingWebhook({
          orgId: `org-${index}`,
          webhookId: HOOK,
          url: 'https://partner.example/hook',
          clock: h.clock,
          secretArn: SECRET_ARN,
        }),
      );
    }

    const result = await h.handler({ action: 'sweep' });

    expect(result).toMatchObject({ due: 10, counts: { verified: 10 } });
    expect(maxInFlight).toBe(3);
  });

  it('leaves due webhooks for the next sweep when the invocation has no time for another attempt', async () => {
    const h = harness();
    h.store.put(
      pendingWebhook({
        orgId: ORG,
        webhookId: HOOK,
        url: 'https://partner.example/hook',
        clock: h.clock,
        secretArn: SECRET_ARN,
      }),
    );

    const result = await h.handler({ action: 'sweep' }, { getRemainingTimeInMillis: () => 1_000 });

    expect(result).toMatchObject({ due: 1, deferred: 1, counts: { verified: 0, error: 0 } });
    expect(h.secrets.reads).toEqual([]);
  });

  it('re-reads each due webhook: one the stale index still lists but that was verified meanwhile is not challenged', async () => {
    const h = harness();
    const endpoint = await receiver();
    const pending = pendingWebhook({
      orgId: ORG,
      webhookId: HOOK,
      url: `${endpoint.origin}/`,
      clock: h.clock,
      secretArn: SECRET_ARN,
    });
    const later = pendingWebhook({
      orgId: ORG,
      webhookId: 'later',
      url: `${endpoint.origin}/`,
      clock: h.clock,
      secretArn: SECRET_ARN,
    });
    h.store.put(onVerificationSucceeded(pending, h.clock));
    h.store.put({ ...later, dueAt: '2025-03-01T13:00:00.000Z', nextAttemptAt: '2025-03-01T13:00:00.000Z' });
    h.store.staleDueIndex = [pending, later];

    const result = await h.handler({ action: 'sweep' });

    expect(result).toMatchObject({ due: 2, counts: { skipped: 2, verified: 0 } });
    expect(h.logger.text()).toContain('"reason":"not-pending"');
    expect(h.logger.text()).toContain('"reason":"not-due"');
    expect(endpoint.connections()).toBe(0);
  });

  it('an unreadable secret leaves the record untouched and is reported by error name only', async () => {
    const h = harness();
    const endpoint = await receiver();
    putPendingAt(h, endpoint);
    const before = h.store.current(ORG, HOOK);
    h.secrets.failWith = Object.assign(new Error(`access denied reading ${SECRET}`), { name: 'AccessDeniedException' });

    const result = await h.handler({ action: 'sweep' });

    expect(result).toMatchObject({ counts: { error: 1 } });
    expect(h.store.current(ORG, HOOK)).toBe(before);
    expect(endpoint.connections()).toBe(0);
    expect(h.logger.text()).toContain('AccessDeniedException');
    expect(h.logger.text()).not.toContain(SECRET);
  });
});

describe('during a webhook secret rotation', () => {
  const PREVIOUS = 'whk-Previous-Secret-Value-0a1b2c3d4e5f60718293';

  it('the challenge carries a signature with the previous secret too, so a receiver not yet switched accepts it', async () => {
    const h = harness();
    h.secrets.values[`${SECRET_ARN}@v-previous`] = PREVIOUS;
    const notYetSwitched = await receiver({ secret: PREVIOUS, respond: respondBySignature });
    h.store.put({
      ...pendingWebhook({
        orgId: ORG,
        webhookId: HOOK,
        url: `${notYetSwitched.origin}/`,
        clock: h.clock,
        secretArn: SECRET_ARN,
      }),
      secretRotation: { previousVersionId: 'v-previous' },
    });

    const result = await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(result).toMatchObject({ result: { outcome: 'verified' } });
    expect(notYetSwitched.requests[0].headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    expect(h.secrets.reads).toEqual([SECRET_ARN, `${SECRET_ARN}@v-previous`]);
  });

  it('signs with the current secret alone when the previous version cannot be read', async () => {
    const h = harness();
    const switched = await receiver({ secret: SECRET, respond: respondBySignature });
    h.store.put({
      ...pendingWebhook({
        orgId: ORG,
        webhookId: HOOK,
        url: `${switched.origin}/`,
        clock: h.clock,
        secretArn: SECRET_ARN,
      }),
      secretRotation: { previousVersionId: 'v-gone' },
    });

    const result = await h.handler({ orgId: ORG, webhookId: HOOK });

    expect(result).toMatchObject({ result: { outcome: 'verified' } });
    expect(switched.requests[0].headers['webhook-signature']).toMatch(/^v1,\S+$/);
    expect(h.logger.text()).toContain('previous webhook secret unreadable');
  });
});

describe('secrets stay secret', () => {
  it('no log line, stored field or lastError holds the secret value, across every outcome', async () => {
    const h = harness();
    const answers = [200, 500, 302];
    const endpoints = await Promise.all(
      answers.map((status) =>
        receiver({ secret: SECRET, respond: (_request, response) => response.writeHead(status).end(SECRET) }),
      ),
    );
    endpoints.forEach((endpoint, index) =>
      h.store.put(
        pendingWebhook({
          orgId: `org-${index}`,
          webhookId: HOOK,
          url: `${endpoint.origin}/?token=abc`,
          clock: h.clock,
          secretArn: SECRET_ARN,
        }),
      ),
    );

    await h.handler({ action: 'sweep' });

    const stored = JSON.stringify(['org-0', 'org-1', 'org-2'].map((orgId) => h.store.current(orgId, HOOK)));
    expect(stored).not.toContain(SECRET);
    expect(h.logger.text()).not.toContain(SECRET);
    // URLs are logged by host only: a token in the query stays out of the logs.
    expect(h.logger.text()).not.toContain('token=abc');
    expect(h.logger.lines.length).toBeGreaterThan(4);
  });

  it('the per-invocation cache reads a secret once, and retries after a failed read', async () => {
    const secrets = new FakeSecrets({ a: 'value-a' });
    const cached = cachedPerInvocation(secrets);

    await Promise.all([cached.getSecretString('a'), cached.getSecretString('a')]);
    await expect(cached.getSecretString('b')).rejects.toThrow();
    await expect(cached.getSecretString('b')).rejects.toThrow();

    expect(secrets.reads).toEqual(['a', 'b', 'b']);
  });
});
