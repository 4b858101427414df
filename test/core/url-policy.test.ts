import { checkWebhookUrl, isInternalAddress } from '../../lambda/core';

const codes = (url: string, options = {}) => checkWebhookUrl(url, options).map((violation) => violation.code);

describe('checkWebhookUrl', () => {
  it.each([
    ['localhost', 'https://localhost/hook', 'localhost'],
    ['localhost with a trailing dot, upper case', 'https://LOCALHOST./hook', 'localhost'],
    ['a *.localhost name', 'https://api.localhost/hook', 'localhost'],
    ['IPv4 loopback', 'https://127.0.0.1/hook', 'internal-address'],
    ['elsewhere in 127/8', 'https://127.8.9.10/hook', 'internal-address'],
    ['short-form loopback', 'https://127.1/hook', 'internal-address'],
    ['hex loopback', 'https://0x7f.0.0.1/hook', 'internal-address'],
    ['decimal loopback 2130706433', 'https://2130706433/hook', 'internal-address'],
    ['octal loopback', 'https://017700000001/hook', 'internal-address'],
    ['0.0.0.0', 'https://0.0.0.0/hook', 'internal-address'],
    ['10/8', 'https://10.1.2.3/hook', 'internal-address'],
    ['172.16/12, low end', 'https://172.16.0.1/hook', 'internal-address'],
    ['172.16/12, high end', 'https://172.31.255.255/hook', 'internal-address'],
    ['192.168/16', 'https://192.168.1.1/hook', 'internal-address'],
    ['CGNAT 100.64/10', 'https://100.64.0.1/hook', 'internal-address'],
    ['the EC2 metadata address', 'http://169.254.169.254/latest/meta-data/', 'internal-address'],
    ['link-local', 'https://169.254.1.1/hook', 'internal-address'],
    ['multicast', 'https://224.0.0.1/hook', 'internal-address'],
    ['IPv6 loopback [::1]', 'https://[::1]/hook', 'internal-address'],
    ['IPv6 unspecified [::]', 'https://[::]/hook', 'internal-address'],
    ['IPv6 unique-local [fd00::1]', 'https://[fd00::1]/hook', 'internal-address'],
    ['the EC2 IPv6 metadata address', 'https://[fd00:ec2::254]/hook', 'internal-address'],
    ['IPv6 link-local', 'https://[fe80::1]/hook', 'internal-address'],
    ['IPv4-mapped loopback [::ffff:127.0.0.1]', 'https://[::ffff:127.0.0.1]/hook', 'internal-address'],
    ['IPv4-mapped metadata, hex form', 'https://[::ffff:a9fe:a9fe]/hook', 'internal-address'],
    ['IPv4-compatible loopback [::127.0.0.1]', 'https://[::127.0.0.1]/hook', 'internal-address'],
    ['NAT64 to a VPC address', 'https://[64:ff9b::10.0.0.1]/hook', 'internal-address'],
    ['6to4 wrapping loopback', 'https://[2002:7f00:1::]/hook', 'internal-address'],
    ['IPv4-translated loopback', 'https://[::ffff:0:127.0.0.1]/hook', 'internal-address'],
    ['an ftp:// URL', 'ftp://partner.example.com/hook', 'scheme'],
    ['a file:// URL', 'file:///etc/passwd', 'scheme'],
    ['a javascript: URL', 'javascript:alert(1)', 'scheme'],
    ['user:pass@ credentials', 'https://user:pass@partner.example.com/hook', 'credentials'],
    ['a user name alone', 'https://user@partner.example.com/hook', 'credentials'],
    ['plain http:// outside dev', 'http://partner.example.com/hook', 'http-not-allowed'],
    ['a #fragment', 'https://partner.example.com/hook#x', 'fragment'],
    ['a relative URL', '/hook', 'invalid-url'],
    ['not a URL at all', 'partner dot com', 'invalid-url'],
    ['an out-of-range dotted quad', 'https://999.1.1.1/hook', 'invalid-url'],
    // Issue 13: input that the parser rewrites is refused, so what is stored is what was checked.
    ['http:///x (an empty authority)', 'http:///x', 'not-normalized'],
    ['a backslash before @ (https://example.com\\@127.0.0.1/)', 'https://example.com\\@127.0.0.1/', 'not-normalized'],
    ['https:///example.com/ (an extra slash)', 'https:///example.com/', 'not-normalized'],
    ['a tab in the host', 'https://exa\tmple.com/hook', 'not-normalized'],
    ['a space before the scheme', ' https://partner.example.com/hook', 'not-normalized'],
    ['an upper-case host', 'https://Partner.Example.com/hook', 'not-normalized'],
    ['no path', 'https://partner.example.com', 'not-normalized'],
    ['a 3,000-character URL', `https://partner.example.com/${'a'.repeat(2972)}`, 'too-long'],
    ['local-use NAT64 64:ff9b:1::/48', 'https://[64:ff9b:1::a00:1]/hook', 'internal-address'],
    ['site-local fec0::/10', 'https://[fec0::1]/hook', 'internal-address'],
    ['Teredo 2001::/32', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook', 'internal-address'],
    ['discard-only 100::/64', 'https://[100::1]/hook', 'internal-address'],
    ['IPv6 documentation 2001:db8::/32', 'https://[2001:db8::1]/hook', 'internal-address'],
    ['TEST-NET-1 192.0.2.0/24', 'https://192.0.2.1/hook', 'internal-address'],
    ['TEST-NET-2 198.51.100.0/24', 'https://198.51.100.7/hook', 'internal-address'],
    ['TEST-NET-3 203.0.113.0/24', 'https://203.0.113.9/hook', 'internal-address'],
  ])('refuses %s', (_label, url, code) => {
    expect(codes(url)).toContain(code);
  });

  it.each([
    'https://partner.example.com/webhooks/events',
    'https://api.partner.example:8443/hooks?tenant=acme',
    'https://8.8.8.8/hook',
    'https://172.32.0.1/hook',
    'https://[2001:4860:4860::8888]/hook',
    'https://[64:ff9b::808:808]/hook',
    `https://partner.example.com/${'a'.repeat(2020)}`,
    'https://xn--bcher-kva.example/hook',
  ])('allows the public URL %s', (url) => {
    expect(checkWebhookUrl(url)).toEqual([]);
  });

  it('allows http:// only when the environment allows it', () => {
    expect(codes('http://partner.example.com/hook', { allowHttp: true })).toEqual([]);
  });

  it('allows loopback receivers only through the local-only override', () => {
    const local = { allowHttp: true, allowLoopback: true };
    expect(codes('http://127.0.0.1:9000/hook', local)).toEqual([]);
    expect(codes('http://localhost:9000/hook', local)).toEqual([]);
    expect(codes('http://[::1]:9000/hook', local)).toEqual([]);
  });

  it('keeps private and metadata addresses blocked even with the local override', () => {
    const local = { allowHttp: true, allowLoopback: true };
    expect(codes('http://10.0.0.1/hook', local)).toEqual(['internal-address']);
    expect(codes('http://169.254.169.254/', local)).toEqual(['internal-address']);
  });

  it('reports every violation of a URL, not only the first', () => {
    expect(codes('http://user:pw@127.0.0.1/hook#frag')).toEqual([
      'http-not-allowed',
      'credentials',
      'fragment',
      'internal-address',
    ]);
  });

  it('never echoes credentials in a violation message', () => {
    const messages = checkWebhookUrl('https://user:s3cr3t@partner.example.com/hook').map((v) => v.message);
    expect(messages.join(' ')).not.toContain('s3cr3t');
  });
});

describe('isInternalAddress (connect-time check of resolved addresses)', () => {
  it.each([
    '127.0.0.1',
    '10.0.0.5',
    '169.254.169.254',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '64:ff9b::a00:1',
    'fe80::1%eth0',
    'fd00:ec2::254',
  ])('treats %s as internal', (address) => {
    expect(isInternalAddress(address)).toBe(true);
  });

  it.each(['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '::ffff:8.8.8.8', 'partner.example.com'])(
    'treats %s as not internal',
    (address) => {
      expect(isInternalAddress(address)).toBe(false);
    },
  );
});
