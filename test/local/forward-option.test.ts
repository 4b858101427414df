/**
 * `--forward ORG/WEBHOOK=URL`: a partner file's webhook is pointed at a
 * receiver on this machine, and only there.
 */
import { ForwardOptionError, forwardOverrides } from '../../local/forward-option';

const DECLARED = [
  { orgId: 'acme-corp', id: 'primary', url: 'https://hooks.acme-corp.example/events' },
  { orgId: 'acme-corp', id: 'audit', url: 'https://audit.acme-corp.example/events' },
  { orgId: 'globex', id: 'primary', url: 'https://globex.example/hook' },
];

describe('forwardOverrides', () => {
  it('maps each named webhook’s configured URL to the local receiver, repeatably', () => {
    expect(
      forwardOverrides(
        ['acme-corp/primary=http://localhost:3000/hook', 'globex/primary=http://127.0.0.1:3001/g'],
        DECLARED,
      ),
    ).toEqual({
      'https://hooks.acme-corp.example/events': 'http://localhost:3000/hook',
      'https://globex.example/hook': 'http://127.0.0.1:3001/g',
    });
  });

  it.each([
    ['acme-corp/primary', /expected ORG\/WEBHOOK=URL/],
    ['acme-corp=http://localhost:3000', /expected ORG\/WEBHOOK=URL/],
    [
      'acme-corp/missing=http://localhost:3000',
      /no partner file declares webhook acme-corp\/missing .*acme-corp\/primary/,
    ],
    ['acme-corp/primary=not a url', /is not a URL/],
    ['acme-corp/primary=https://attacker.example/hook', /receiver on this machine.*not attacker\.example/],
    ['acme-corp/primary=http://10.0.0.5:3000/hook', /receiver on this machine/],
    ['acme-corp/primary=ftp://localhost/hook', /receiver on this machine/],
  ])('refuses %s', (value, message) => {
    expect(() => forwardOverrides([value], DECLARED)).toThrow(ForwardOptionError);
    expect(() => forwardOverrides([value], DECLARED)).toThrow(message);
  });
});
