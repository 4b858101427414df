import {
  EventPattern,
  InvalidEventPatternError,
  matchesEventPattern,
  UnsupportedEventPatternError,
} from '../../lib/event-pattern/match';

const event = {
  source: 'spk.api',
  'detail-type': 'LockCreated',
  account: '123456789012',
  detail: {
    partnerId: 'acme-corp',
    lockId: 'lock-17',
    battery: 12,
    online: true,
    firmware: null,
    tags: ['front-door', 'ground-floor'],
    rooms: [{ name: 'hall' }, { name: 'lobby' }],
    location: { building: 'HQ', floor: 2 },
  },
};

describe('matchesEventPattern', () => {
  // Each row: why, pattern, expected.
  it.each<[string, EventPattern, boolean]>([
    ['an empty pattern matches everything', {}, true],
    ['exact string in a list', { source: ['spk.iot.shadow', 'spk.api'] }, true],
    ['exact string missing from the list', { source: ['spk.iot.shadow'] }, false],
    ['all fields must match', { source: ['spk.api'], 'detail-type': ['KeyAdded'] }, false],
    ['nested field', { detail: { partnerId: ['acme-corp'] } }, true],
    ['nested field of another partner', { detail: { partnerId: ['globex'] } }, false],
    ['nested pattern on a missing object', { detail: { nothing: { deeper: ['x'] } } }, false],
    ['two levels deep', { detail: { location: { building: ['HQ'] } } }, true],
    ['number', { detail: { battery: [12] } }, true],
    ['number as string does not match', { detail: { battery: ['12'] } }, false],
    ['boolean', { detail: { online: [true] } }, true],
    ['null', { detail: { firmware: [null] } }, true],
    ['array value: any element matches', { detail: { tags: ['ground-floor'] } }, true],
    ['array value: no element matches', { detail: { tags: ['roof'] } }, false],
    ['prefix', { detail: { lockId: [{ prefix: 'lock-' }] } }, true],
    ['prefix that does not match', { detail: { lockId: [{ prefix: 'door-' }] } }, false],
    ['prefix on a number never matches', { detail: { battery: [{ prefix: '1' }] } }, false],
    ['prefix ignoring case', { source: [{ prefix: { 'equals-ignore-case': 'SPK.' } }] }, true],
    ['suffix', { detail: { lockId: [{ suffix: '-17' }] } }, true],
    ['equals-ignore-case', { 'detail-type': [{ 'equals-ignore-case': 'lockcreated' }] }, true],
    ['anything-but a value', { detail: { partnerId: [{ 'anything-but': 'globex' }] } }, true],
    ['anything-but the value itself', { detail: { partnerId: [{ 'anything-but': 'acme-corp' }] } }, false],
    ['anything-but a list', { 'detail-type': [{ 'anything-but': ['KeyAdded', 'LockCreated'] }] }, false],
    ['anything-but a prefix', { detail: { lockId: [{ 'anything-but': { prefix: 'door-' } }] } }, true],
    ['anything-but a matching prefix', { detail: { lockId: [{ 'anything-but': { prefix: 'lock' } }] } }, false],
    ['anything-but needs the field', { detail: { missing: [{ 'anything-but': 'x' }] } }, false],
    ['exists true on a present field', { detail: { lockId: [{ exists: true }] } }, true],
    ['exists true on a missing field', { detail: { missing: [{ exists: true }] } }, false],
    ['exists false on a missing field', { detail: { missing: [{ exists: false }] } }, true],
    ['exists false on a present field', { detail: { lockId: [{ exists: false }] } }, false],
    ['exists false on a null field (present)', { detail: { firmware: [{ exists: false }] } }, false],
    ['a value or an operator', { detail: { lockId: ['lock-1', { prefix: 'lock-1' }] } }, true],
    [
      '$or: one branch matches',
      { $or: [{ source: ['spk.iot.shadow'] }, { detail: { partnerId: ['acme-corp'] } }] },
      true,
    ],
    ['$or: no branch matches', { $or: [{ source: ['x'] }, { 'detail-type': ['y'] }] }, false],
    [
      '$or inside detail, with a sibling field',
      { source: ['spk.api'], detail: { $or: [{ lockId: ['nope'] }, { battery: [12] }] } },
      true,
    ],
    [
      '$or with a sibling field that fails',
      { source: ['other'], $or: [{ detail: { battery: [12] } }, { account: ['123456789012'] }] },
      false,
    ],
    [
      '$or: a later field in a branch replaces the same field written before the $or (EventBridge order)',
      { source: ['other'], $or: [{ source: ['spk.api'] }, { account: ['nope'] }] },
      true,
    ],
    [
      '$or: a field written after the $or replaces the branch value',
      { $or: [{ source: ['other'] }, { account: ['nope'] }], source: ['spk.api'] },
      true,
    ],
    [
      '$or nested in a branch',
      { $or: [{ source: ['x'] }, { $or: [{ account: ['y'] }, { detail: { lockId: ['lock-17'] } }] }] },
      true,
    ],
    [
      'the webhook shape: each type only from its own source (right pair)',
      {
        $or: [
          { source: ['spk.api'], 'detail-type': ['LockCreated'] },
          { source: ['spk.iot.shadow'], 'detail-type': ['Shadow Update'] },
        ],
        detail: { partnerId: ['acme-corp'] },
      },
      true,
    ],
    [
      "the webhook shape: a type from the other branch's source does not match",
      {
        $or: [
          { source: ['spk.api'], 'detail-type': ['Shadow Update'] },
          { source: ['spk.iot.shadow'], 'detail-type': ['LockCreated'] },
        ],
      },
      false,
    ],
    ['exists looks at leaves: an object is not one', { detail: { location: [{ exists: true }] } }, false],
    ['exists false on an object (not a leaf)', { detail: { location: [{ exists: false }] } }, true],
    ['a path through an array of objects matches any element', { detail: { rooms: { name: ['lobby'] } } }, true],
  ])('%s', (_why, pattern, expected) => {
    expect(matchesEventPattern(pattern, event)).toBe(expected);
  });

  it('accepts the JSON text of a pattern, as templates may hold it', () => {
    expect(matchesEventPattern('{"detail":{"partnerId":["acme-corp"]}}', event)).toBe(true);
    expect(matchesEventPattern('{"detail":{"partnerId":["globex"]}}', event)).toBe(false);
  });

  it('matches the platform patterns: a webhook rule sees only its own partner and types', () => {
    const webhook = {
      source: ['spk.api', 'spk.iot.shadow'],
      'detail-type': ['KeyAdded'],
      detail: { partnerId: ['acme-corp'] },
    };
    expect(matchesEventPattern(webhook, { ...event, 'detail-type': 'KeyAdded' })).toBe(true);
    expect(matchesEventPattern(webhook, event)).toBe(false);
    expect(matchesEventPattern(webhook, { ...event, 'detail-type': 'KeyAdded', detail: { partnerId: 'acme' } })).toBe(
      false,
    );
    expect(matchesEventPattern(webhook, { 'detail-type': 'KeyAdded', detail: { partnerId: 'acme-corp' } })).toBe(false);
  });

  it.each<[string, EventPattern]>([
    ['numeric', { detail: { battery: [{ numeric: ['<', 20] }] } }],
    ['cidr', { detail: { ip: [{ cidr: '10.0.0.0/8' }] } }],
    ['wildcard', { detail: { lockId: [{ wildcard: 'lock-*' }] } }],
    ['an unknown operator', { detail: { lockId: [{ 'starts-with': 'lock' }] } }],
    ['anything-but with an unknown operator', { detail: { lockId: [{ 'anything-but': { wildcard: 'x' } }] } }],
  ])('refuses %s instead of guessing', (_operator, pattern) => {
    expect(() => matchesEventPattern(pattern, event)).toThrow(UnsupportedEventPatternError);
  });

  it.each<[string, unknown]>([
    ['a bare string instead of a list', { source: 'spk.api' }],
    ['$or with one branch', { $or: [{ source: ['spk.api'] }] }],
    ['an operator object with two operators', { source: [{ prefix: 'a', suffix: 'b' }] }],
    ['exists with a string', { source: [{ exists: 'yes' }] }],
    ['a list inside a list', { source: [['spk.api']] }],
    ['a pattern that is a list', [{ source: ['spk.api'] }]],
    ['prefix with a number', { source: [{ prefix: 1 }] }],
    ['$or that is not a list', { $or: { source: ['spk.api'] } }],
    ['$or holding a value instead of a pattern', { $or: [{ source: ['spk.api'] }, 'x'] }],
    ['an empty object inside $or', { $or: [{ source: ['spk.api'] }, {}] }],
    ['an operator name as a field inside $or', { $or: [{ source: ['spk.api'] }, { prefix: ['x'] }] }],
    ['an empty list', { source: [] }],
  ])('refuses an invalid pattern: %s', (_why, pattern) => {
    expect(() => matchesEventPattern(pattern as EventPattern, event)).toThrow(InvalidEventPatternError);
  });

  it('names the path of the problem', () => {
    expect(() => matchesEventPattern({ detail: { location: { floor: 2 } } }, event)).toThrow(
      /at detail\.location\.floor: a field must map to a list/,
    );
  });
});
