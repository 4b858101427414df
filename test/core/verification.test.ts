import {
  ALPHANUMERIC,
  ChallengeEcho,
  HttpOutcome,
  RandomSource,
  buildChallenge,
  challengeAnswer,
  classifyOutcome,
  readChallengeEcho,
} from '../../lambda/core';

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
  it.each([200, 201, 202, 204, 299])('HTTP %i echoing the challenge verifies the webhook', (status) => {
    expect(classifyOutcome({ kind: 'response', status, echo: 'echoed' })).toEqual({ ok: true });
  });

  it.each<[ChallengeEcho, string]>([
    ['empty', 'HTTP 200, the response body is empty: answer with the challenge value or {"challenge":"<value>"}'],
    [
      'wrong-value',
      'HTTP 200, the response body is not the challenge: answer with the challenge value or {"challenge":"<value>"}',
    ],
    ['too-large', 'HTTP 200, the response body is over 4096 bytes: answer with the challenge value only'],
  ])('a 2xx whose body is %s fails verification and says what to answer', (echo, lastError) => {
    expect(classifyOutcome({ kind: 'response', status: 200, echo })).toEqual({ ok: false, lastError });
  });

  it('a non-2xx fails on its status even when the body echoes the challenge', () => {
    expect(classifyOutcome({ kind: 'response', status: 500, echo: 'echoed' })).toEqual({
      ok: false,
      lastError: 'HTTP 500',
    });
  });

  it.each<[string, HttpOutcome, string]>([
    ['a 500', { kind: 'response', status: 500, echo: 'echoed' }, 'HTTP 500'],
    ['a 404', { kind: 'response', status: 404, echo: 'echoed' }, 'HTTP 404'],
    ['a 401', { kind: 'response', status: 401, echo: 'echoed' }, 'HTTP 401'],
    ['a 101 upgrade', { kind: 'response', status: 101, echo: 'echoed' }, 'HTTP 101'],
    ['a 302 redirect', { kind: 'response', status: 302, echo: 'echoed' }, 'redirect not followed (302)'],
    ['a 301 redirect', { kind: 'response', status: 301, echo: 'echoed' }, 'redirect not followed (301)'],
    ['a 304', { kind: 'response', status: 304, echo: 'echoed' }, 'redirect not followed (304)'],
    ['a status outside HTTP', { kind: 'response', status: 999, echo: 'echoed' }, 'invalid HTTP status'],
    ['a fractional status', { kind: 'response', status: 200.5, echo: 'echoed' }, 'invalid HTTP status'],
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

describe('readChallengeEcho', () => {
  const value = 'Xy7'.repeat(10) + 'ab';

  it.each<[string, string]>([
    ['the bare value', value],
    ['the bare value with surrounding whitespace and a newline', `  ${value}\r\n`],
    ['JSON {"challenge": value}', JSON.stringify({ challenge: value })],
    ['JSON with the challenge and other fields', JSON.stringify({ ok: true, challenge: value })],
    ['pretty-printed JSON', `{\n  "challenge": "${value}"\n}\n`],
  ])('accepts %s', (_label, body) => {
    expect(readChallengeEcho(body, value)).toBe('echoed');
  });

  it.each<[string, string, ChallengeEcho]>([
    ['an empty body', '', 'empty'],
    ['whitespace only', ' \n\t', 'empty'],
    ['"ok"', 'ok', 'wrong-value'],
    ['another value', 'Ab1'.repeat(10) + 'cd', 'wrong-value'],
    ['the value with a prefix', `challenge=${value}`, 'wrong-value'],
    ['the value inside a sentence', `here it is: ${value}`, 'wrong-value'],
    ['the value in a different field', JSON.stringify({ token: value }), 'wrong-value'],
    ['the value in a nested object', JSON.stringify({ data: { challenge: value } }), 'wrong-value'],
    ['the value as a JSON string', JSON.stringify(value), 'wrong-value'],
    ['the value in a JSON array', JSON.stringify([value]), 'wrong-value'],
    ['JSON null', 'null', 'wrong-value'],
    ['the challenge field with another value', JSON.stringify({ challenge: 'nope' }), 'wrong-value'],
    ['the challenge field as a number', JSON.stringify({ challenge: 42 }), 'wrong-value'],
    ['the whole challenge payload sent back', JSON.stringify({ type: 'x', challengeX: value }), 'wrong-value'],
  ])('refuses %s', (_label, body, echo) => {
    expect(readChallengeEcho(body, value)).toBe(echo);
  });

  it('refuses a truncated body even when its start is the value', () => {
    expect(readChallengeEcho(value, value, true)).toBe('too-large');
  });
});

describe('challengeAnswer', () => {
  it('answers a challenge payload with the JSON echo the platform accepts', () => {
    const challenge = buildChallenge({ orgId: 'acme-corp', webhookId: 'primary' });
    const answer = challengeAnswer(JSON.parse(JSON.stringify(challenge)));
    expect(answer).toBe(JSON.stringify({ challenge: challenge.challenge }));
    expect(readChallengeEcho(answer ?? '', challenge.challenge)).toBe('echoed');
  });

  it.each<[string, unknown]>([
    ['an event envelope', { 'detail-type': 'LockCreated', detail: { partnerId: 'acme-corp' } }],
    ['undefined', undefined],
    ['a challenge of another type', { type: 'other', challenge: 'abc' }],
  ])('has no answer for %s', (_label, payload) => {
    expect(challengeAnswer(payload)).toBeUndefined();
  });
});
