import fc from 'fast-check';
import {
  ConflictError,
  CreateWebhookInput,
  FakeClock,
  HOUR_MS,
  MINUTE_MS,
  ValidationError,
  WebhookRecord,
  createWebhook,
  generateWebhookId,
  onEventsChanged,
  onUrlChanged,
  onVerificationFailed,
  onVerificationSucceeded,
  validateEvents,
  verificationRetryDelayMs,
} from '../../lambda/core';

const START = '2025-01-01T00:00:00.000Z';
const URL_A = 'https://partner.example.com/hooks';
const URL_B = 'https://hooks.partner.example.com/v2';

function create(clock = new FakeClock(START), overrides: Partial<CreateWebhookInput> = {}): WebhookRecord {
  return createWebhook({
    orgId: 'acme-corp',
    url: URL_A,
    events: ['LockCreated'],
    source: 'api',
    clock,
    ...overrides,
  });
}

/** Fails every attempt as soon as it is due, until the webhook stops being pending. */
function failUntilSettled(record: WebhookRecord, clock: FakeClock): { final: WebhookRecord; attemptTimes: string[] } {
  const attemptTimes: string[] = [];
  let current = record;
  while (current.status === 'pending') {
    clock.set(current.nextAttemptAt!);
    attemptTimes.push(clock.now().toISOString());
    current = onVerificationFailed(current, 'HTTP 503', clock);
  }
  return { final: current, attemptTimes };
}

describe('validateEvents', () => {
  it.each([[['*']], [['LockCreated']], [['LockCreated', 'KeyAdded', 'Shadow Update']]])('accepts %j', (events) => {
    expect(validateEvents(events)).toEqual(events);
  });

  it.each<[string, string[]]>([
    ['an empty list', []],
    ['"*" mixed with named events', ['*', 'LockCreated']],
    ['"*" twice', ['*', '*']],
    ['a wildcard pattern', ['Lock*']],
    ['a duplicate event', ['LockCreated', 'LockCreated']],
    ['an empty name', ['']],
    ['a name with surrounding spaces', [' LockCreated']],
  ])('refuses %s', (_label, events) => {
    expect(() => validateEvents(events)).toThrow(ValidationError);
    expect(() => validateEvents(events)).toThrow(expect.objectContaining({ field: 'events' }));
  });
});

describe('createWebhook', () => {
  it('creates a pending webhook that is due for verification at once', () => {
    expect(create()).toEqual({
      orgId: 'acme-corp',
      webhookId: expect.stringMatching(/^wh_[A-Za-z0-9]{20}$/),
      url: URL_A,
      events: ['LockCreated'],
      status: 'pending',
      source: 'api',
      createdAt: START,
      updatedAt: START,
      attempts: 0,
      pendingSince: START,
      nextAttemptAt: START,
      dueAt: START,
      dueBucket: 'due',
    });
  });

  it('keeps a stable id given by the config file', () => {
    expect(create(undefined, { webhookId: 'wh_acme_orders', source: 'config' }).webhookId).toBe('wh_acme_orders');
  });

  it('generates distinct webhook ids', () => {
    expect(generateWebhookId()).not.toBe(generateWebhookId());
  });

  it.each([
    ['a private address', 'https://10.0.0.8/hooks'],
    ['the metadata address', 'https://169.254.169.254/'],
    ['plain http outside dev', 'http://partner.example.com/hooks'],
    ['not a URL', 'partner.example.com'],
  ])('refuses %s as the URL', (_label, url) => {
    expect(() => create(undefined, { url })).toThrow(ValidationError);
    expect(() => create(undefined, { url })).toThrow(expect.objectContaining({ field: 'url' }));
  });

  it('applies the environment URL policy it is given', () => {
    expect(create(undefined, { url: 'http://partner.example.com/hooks', urlPolicy: { allowHttp: true } }).url).toBe(
      'http://partner.example.com/hooks',
    );
  });

  it('refuses a bad event list and an empty orgId', () => {
    expect(() => create(undefined, { events: [] })).toThrow(ValidationError);
    expect(() => create(undefined, { orgId: '' })).toThrow(ValidationError);
  });
});

describe('verification outcome', () => {
  it('a 2xx makes the webhook active with verifiedAt and the verified URL', () => {
    const clock = new FakeClock(START);
    const created = create(clock);
    clock.advance(5_000);
    const active = onVerificationSucceeded(created, clock);
    expect(active).toEqual({
      ...created,
      status: 'active',
      attempts: 1,
      verifiedUrl: URL_A,
      verifiedAt: '2025-01-01T00:00:05.000Z',
      updatedAt: '2025-01-01T00:00:05.000Z',
      pendingSince: undefined,
      nextAttemptAt: undefined,
      dueAt: undefined,
      dueBucket: undefined,
    });
    for (const field of ['pendingSince', 'nextAttemptAt', 'dueAt', 'dueBucket', 'lastError']) {
      expect(field in active).toBe(false);
    }
  });

  it('success after failures clears the last error', () => {
    const clock = new FakeClock(START);
    const failed = onVerificationFailed(create(clock), 'HTTP 500', clock);
    expect(onVerificationSucceeded(failed, clock).lastError).toBeUndefined();
  });

  it('a failure keeps the webhook pending, records the error and retries a minute later', () => {
    const clock = new FakeClock(START);
    const after = onVerificationFailed(create(clock), 'HTTP 500', clock);
    expect(after).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'HTTP 500',
      nextAttemptAt: '2025-01-01T00:01:00.000Z',
      dueAt: '2025-01-01T00:01:00.000Z',
      dueBucket: 'due',
    });
  });

  it('keeps lastError short even when handed a long message', () => {
    const clock = new FakeClock(START);
    expect(onVerificationFailed(create(clock), 'x'.repeat(5000), clock).lastError!.length).toBeLessThanOrEqual(200);
  });

  it.each(['active', 'failed'] as const)('refuses a late verification result for a %s webhook', (status) => {
    const clock = new FakeClock(START);
    const settled = { ...create(clock), status };
    expect(() => onVerificationSucceeded(settled, clock)).toThrow(ConflictError);
    expect(() => onVerificationFailed(settled, 'HTTP 500', clock)).toThrow(ConflictError);
  });
});

describe('retry schedule', () => {
  it.each([
    [1, 1],
    [2, 2],
    [3, 4],
    [4, 8],
    [5, 16],
    [6, 32],
    [7, 60],
    [8, 60],
    [1000, 60],
  ])('waits after failure %i for %i minutes', (failures, minutes) => {
    expect(verificationRetryDelayMs(failures)).toBe(minutes * MINUTE_MS);
  });

  it('doubles from 1 minute to a 1 hour cap, then gives up as failed exactly 24 h after the URL was set', () => {
    const clock = new FakeClock(START);
    const { final, attemptTimes } = failUntilSettled(create(clock), clock);
    const offsetsInMinutes = attemptTimes.map((time) => (Date.parse(time) - Date.parse(START)) / MINUTE_MS);

    expect(offsetsInMinutes.slice(0, 8)).toEqual([0, 1, 3, 7, 15, 31, 63, 123]);
    expect(offsetsInMinutes[offsetsInMinutes.length - 1]).toBe(24 * 60);
    expect(final.status).toBe('failed');
    expect(final.attempts).toBe(attemptTimes.length);
    expect(final.lastError).toBe('HTTP 503');
    expect(final.nextAttemptAt).toBeUndefined();
    expect(final.dueAt).toBeUndefined();
    expect(final.dueBucket).toBeUndefined();
  });

  it('never gives up before 24 h and never waits more than an hour, however late the retries run', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 3 * HOUR_MS }), { minLength: 1, maxLength: 80, size: 'max' }),
        (delays) => {
          const clock = new FakeClock(START);
          let record = create(clock);
          for (const lateBy of delays) {
            if (record.status !== 'pending') break;
            clock.set(record.nextAttemptAt!);
            clock.advance(lateBy);
            const failedAt = clock.now().getTime();
            record = onVerificationFailed(record, 'timeout after 5000 ms', clock);
            const elapsed = failedAt - Date.parse(START);
            if (record.status === 'failed') {
              expect(elapsed).toBeGreaterThanOrEqual(24 * HOUR_MS);
            } else {
              expect(elapsed).toBeLessThan(24 * HOUR_MS);
              const wait = Date.parse(record.nextAttemptAt!) - failedAt;
              expect(wait).toBeGreaterThan(0);
              expect(wait).toBeLessThanOrEqual(HOUR_MS);
              expect(Date.parse(record.nextAttemptAt!)).toBeLessThanOrEqual(Date.parse(START) + 24 * HOUR_MS);
              expect(record.dueAt).toBe(record.nextAttemptAt);
            }
          }
        },
      ),
    );
  });
});

describe('onUrlChanged', () => {
  it('a URL change makes an active webhook pending again, due now, while deliveries stay on the verified URL', () => {
    const clock = new FakeClock(START);
    const active = onVerificationSucceeded(create(clock), clock);
    clock.advance(HOUR_MS);
    const changed = onUrlChanged(active, URL_B, clock);
    const now = clock.now().toISOString();
    expect(changed).toMatchObject({
      url: URL_B,
      status: 'pending',
      attempts: 0,
      pendingSince: now,
      nextAttemptAt: now,
      dueAt: now,
      dueBucket: 'due',
      verifiedUrl: URL_A,
      verifiedAt: START,
    });
  });

  it('restarts the 24 h window and the backoff from the change', () => {
    const clock = new FakeClock(START);
    let record = onVerificationFailed(create(clock), 'HTTP 500', clock);
    clock.advance(20 * HOUR_MS);
    record = onUrlChanged(record, URL_B, clock);
    expect(record.lastError).toBeUndefined();
    const { final, attemptTimes } = failUntilSettled(record, clock);
    expect(final.status).toBe('failed');
    expect(Date.parse(attemptTimes[attemptTimes.length - 1]) - Date.parse(START)).toBe(44 * HOUR_MS);
  });

  it('setting the same URL again changes nothing, so retried requests are harmless', () => {
    const clock = new FakeClock(START);
    const pending = onVerificationFailed(create(clock), 'HTTP 500', clock);
    clock.advance(HOUR_MS);
    expect(onUrlChanged(pending, URL_A, clock)).toBe(pending);
  });

  it('setting the same URL on a failed webhook starts a fresh verification', () => {
    const clock = new FakeClock(START);
    const { final } = failUntilSettled(create(clock), clock);
    const retried = onUrlChanged(final, URL_A, clock);
    expect(retried.status).toBe('pending');
    expect(retried.attempts).toBe(0);
    expect(retried.dueAt).toBe(clock.now().toISOString());
  });

  it('refuses a URL the policy forbids and leaves the record as it was', () => {
    const clock = new FakeClock(START);
    const active = onVerificationSucceeded(create(clock), clock);
    expect(() => onUrlChanged(active, 'https://[::ffff:127.0.0.1]/', clock)).toThrow(ValidationError);
    expect(active.status).toBe('active');
  });
});

describe('onEventsChanged', () => {
  it('changes the event filter without touching verification', () => {
    const clock = new FakeClock(START);
    const active = onVerificationSucceeded(create(clock), clock);
    clock.advance(MINUTE_MS);
    const changed = onEventsChanged(active, ['*'], clock);
    expect(changed).toEqual({ ...active, events: ['*'], updatedAt: clock.now().toISOString() });
  });

  it('refuses a bad event list', () => {
    const clock = new FakeClock(START);
    expect(() => onEventsChanged(create(clock), ['*', 'LockCreated'], clock)).toThrow(ValidationError);
  });
});
