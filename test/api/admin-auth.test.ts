/**
 * The admin email check parses the address instead of matching a suffix:
 * exactly one `@`, no quoted or escaped local part, a plain dotted domain.
 */
import { emailDomainOf } from '../../lambda/api/admin-auth';

describe('emailDomainOf', () => {
  it.each([
    ['ops@example.com', 'example.com'],
    ['Ops.Team+admin@Example.COM', 'example.com'],
    ['ops@ops.example.com', 'ops.example.com'],
  ])('%s has the domain %s', (address, domain) => {
    expect(emailDomainOf(address)).toBe(domain);
  });

  it.each([
    'attacker@evil.com@example.com',
    '"mallory@evil.example"@example.com',
    '"mallory"@example.com',
    'mallory\\@example.com',
    '@example.com',
    'mallory@',
    'mallory',
    '.mallory@example.com',
    'mallory.@example.com',
    'mal lory@example.com',
    'mallory@example.com.',
    'mallory@-example.com',
    'mallory@exa mple.com',
    'mallory@[127.0.0.1]',
    `${'a'.repeat(65)}@example.com`,
  ])('%s is not a plain address', (address) => {
    expect(emailDomainOf(address)).toBeUndefined();
  });
});
