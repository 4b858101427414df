import { ALPHANUMERIC, HttpOutcome, RandomSource, buildChallenge, classifyOutcome } from '../../lambda/core';

describe('buildChallenge', () => {
  it('builds the verification payload with the partner id, webhook id and a random challenge', () => {
    const zeros: RandomSource = (size) => new Uint8Array(size);
    const challenge = buildChallenge({ orgId: 'acme-corp', webhookId: 'wh_123', random: zeros });
    const expected = {
      type: 'webhook.verification',
      challenge: ALPHANUMERIC[0].repeat(32),
      partnerId: 'acme-corp',
      webhookId: 'wh_123',
    };
    // Compared as text: the signed body depends on the field order too.
    expect(JSON.stringify(challenge)).toBe(JSON.stringify(expected));
  });

  it('draws a fresh challenge each time from the CSPRNG', () => {
    const first = buildChallenge({ orgId: 'acme-corp', webhookId: 'wh_123' });
    const second = buildChallenge({ orgId: 'acme-corp', webhookId: 'wh_123' });
    expect(first.challenge).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(first.challenge).not.toBe(second.challenge);
  });
});

describe('classifyOutcome', () => {
  it.each([200, 201, 202, 204, 299])('HTTP %i verifies the webhook', (status) => {
    expect(classifyOutcome({ kind: 'response', status })).toEqual({ ok: true });
  });

  it.each<[string, HttpOutcome, string]>([
    ['a 500', { kind: 'response', status: 500 }, 'HTTP 500'],
    ['a 404', { kind: 'response', status: 404 }, 'HTTP 404'],
    ['a 401', { kind: 'response', status: 401 }, 'HTTP 401'],
    ['a 101 upgrade', { kind: 'response', status: 101 }, 'HTTP 101'],
    ['a 302 redirect', { kind: 'response', status: 302 }, 'redirect not followed (302)'],
    ['a 301 redirect', { kind: 'response', status: 301 }, 'redirect not followed (301)'],
    ['a 304', { kind: 'response', status: 304 }, 'redirect not followed (304)'],
    ['a status outside HTTP', { kind: 'response', status: 999 }, 'invalid HTTP status'],
    ['a fractional status', { kind: 'response', status: 200.5 }, 'invalid HTTP status'],
    ['a timeout', { kind: 'timeout', timeoutMs: 5000 }, 'timeout after 5000 ms'],
    ['a refused connection', { kind: 'connection-error', code: 'ECONNREFUSED' }, 'connection failed (ECONNREFUSED)'],
    ['a DNS failure', { kind: 'connection-error', code: 'ENOTFOUND' }, 'connection failed (ENOTFOUND)'],
    ['a connection error with no code', { kind: 'connection-error' }, 'connection failed'],
    ['a code that is not an error code', { kind: 'connection-error', code: 'token=abc leaked' }, 'connection failed'],
    ['a private resolved address', { kind: 'blocked-address' }, 'host resolves to a private or internal address'],
  ])('%s fails verification with a short lastError', (_label, outcome, lastError) => {
    expect(classifyOutcome(outcome)).toEqual({ ok: false, lastError });
  });
});
