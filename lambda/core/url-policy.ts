/**
 * Which webhook URLs the platform may deliver to. The same rules serve the
 * config schema (at synth), the APIs (at request time) and the verification
 * handler, which re-checks the resolved IP at connect time so that DNS
 * rebinding cannot reach an internal address.
 */
import { BlockList, isIP } from 'node:net';

export interface UrlPolicyOptions {
  /** Allow plain `http://` (dev only). @default false */
  readonly allowHttp?: boolean;
  /**
   * Allow loopback hosts (the local runtime's receivers on 127.0.0.1). Never
   * set for a deployable environment. @default false
   */
  readonly allowLoopback?: boolean;
}

/** Why a URL is refused; `message` says how to fix it. */
export interface UrlViolation {
  readonly code:
    | 'invalid-url'
    | 'not-normalized'
    | 'too-long'
    | 'scheme'
    | 'http-not-allowed'
    | 'credentials'
    | 'localhost'
    | 'internal-address'
    | 'fragment';
  readonly message: string;
}

/** The longest webhook URL any door accepts (EventBridge API destinations allow 2,048 characters). */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

const blocked = new BlockList();
// IPv4: "this network", loopback, RFC 1918, CGNAT, link-local (incl. the
// 169.254.169.254 metadata address), IETF protocol assignments, benchmarking,
// multicast and reserved space.
blocked.addSubnet('0.0.0.0', 8, 'ipv4');
blocked.addSubnet('10.0.0.0', 8, 'ipv4');
blocked.addSubnet('100.64.0.0', 10, 'ipv4');
blocked.addSubnet('127.0.0.0', 8, 'ipv4');
blocked.addSubnet('169.254.0.0', 16, 'ipv4');
blocked.addSubnet('172.16.0.0', 12, 'ipv4');
blocked.addSubnet('192.0.0.0', 24, 'ipv4');
blocked.addSubnet('192.168.0.0', 16, 'ipv4');
blocked.addSubnet('198.18.0.0', 15, 'ipv4');
// Documentation ranges TEST-NET-1/2/3: never a real partner host.
blocked.addSubnet('192.0.2.0', 24, 'ipv4');
blocked.addSubnet('198.51.100.0', 24, 'ipv4');
blocked.addSubnet('203.0.113.0', 24, 'ipv4');
blocked.addSubnet('224.0.0.0', 3, 'ipv4');
// IPv6: unspecified, loopback and the deprecated IPv4-compatible ::a.b.c.d
// (::/96), unique-local (fc00::/7, which holds the AWS metadata service's
// IPv6 address), link-local and multicast.
blocked.addSubnet('::', 96, 'ipv6');
blocked.addSubnet('fc00::', 7, 'ipv6');
blocked.addSubnet('fe80::', 10, 'ipv6');
blocked.addSubnet('ff00::', 8, 'ipv6');
// Local-use NAT64 (64:ff9b:1::/48, translated by the operator's own NAT64 to
// any IPv4 address, private ones included), the deprecated site-local
// fec0::/10, Teredo 2001::/32 (tunnels to an IPv4 host), the discard-only
// 100::/64 and the documentation prefix 2001:db8::/32.
blocked.addSubnet('64:ff9b:1::', 48, 'ipv6');
blocked.addSubnet('fec0::', 10, 'ipv6');
blocked.addSubnet('2001::', 32, 'ipv6');
blocked.addSubnet('100::', 64, 'ipv6');
blocked.addSubnet('2001:db8::', 32, 'ipv6');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** The eight 16-bit groups of an address that `isIP` accepts as IPv6. */
function ipv6Groups(address: string): number[] {
  let text = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const parse = (part: string | undefined): number[] =>
    part ? part.split(':').map((group) => parseInt(group, 16)) : [];
  const high = parse(head);
  const low = parse(tail);
  return tail === undefined ? high : [...high, ...new Array<number>(8 - high.length - low.length).fill(0), ...low];
}

/**
 * The IPv4 address inside an IPv6 address that reaches an IPv4 host: mapped
 * (::ffff:0:0/96), translated (::ffff:0:0:0/96), NAT64 (64:ff9b::/96, which
 * AWS DNS64 and NAT gateways use to reach private VPC addresses) and 6to4
 * (2002::/16). Checking the embedded address keeps `[::ffff:127.0.0.1]` or
 * `[64:ff9b::a00:1]` from slipping past the IPv4 rules.
 */
function embeddedIPv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((group) => group === 0);
  const quad = (high: number, low: number): string => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  if (zeros(0, 5) && g[5] === 0xffff) return quad(g[6], g[7]);
  if (zeros(0, 4) && g[4] === 0xffff && g[5] === 0) return quad(g[6], g[7]);
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return quad(g[6], g[7]);
  if (g[0] === 0x2002) return quad(g[1], g[2]);
  return undefined;
}

/**
 * True when an IP address (v4 or v6) is one the platform must never connect
 * to: loopback, private, link-local, metadata, unique-local, multicast or
 * reserved, also when written as IPv4 inside IPv6.
 */
export function isInternalAddress(address: string, options: UrlPolicyOptions = {}): boolean {
  // A zone id (fe80::1%eth0) names an interface, not a host; drop it before parsing.
  const withoutZone = address.replace(/%.*$/, '');
  const family = isIP(withoutZone);
  if (family === 0) return false;
  const ip = family === 6 ? (embeddedIPv4(withoutZone) ?? withoutZone) : withoutZone;
  const type = isIP(ip) === 4 ? 'ipv4' : 'ipv6';
  if (options.allowLoopback && loopback.check(ip, type)) return false;
  return blocked.check(ip, type);
}

function isLocalhostName(hostname: string): boolean {
  const name = hostname.replace(/\.$/, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === 'localhost.localdomain';
}

/**
 * Checks a webhook URL against the delivery rules and returns every
 * violation (empty when the URL may be used). Hostnames are not resolved
 * here; the verification handler checks the resolved address on connect.
 */
export function checkWebhookUrl(raw: string, options: UrlPolicyOptions = {}): UrlViolation[] {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return [{ code: 'too-long', message: `the URL is ${raw.length} characters; at most ${MAX_WEBHOOK_URL_LENGTH}` }];
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [{ code: 'invalid-url', message: `"${raw}" is not an absolute URL; write it as https://host/path` }];
  }
  const violations: UrlViolation[] = [];
  // What is stored and deployed is exactly what was checked: input the URL
  // parser would rewrite (http:///x, a backslash, a tab, an upper-case host,
  // a missing path) is refused with the form to write instead.
  const webScheme = url.protocol === 'https:' || url.protocol === 'http:';
  if (webScheme && url.href !== raw) {
    const suggestion = new URL(url.href);
    suggestion.username = '';
    suggestion.password = '';
    violations.push({
      code: 'not-normalized',
      message: `the URL changes when parsed; write it exactly as ${JSON.stringify(suggestion.href)}`,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    violations.push({
      code: 'scheme',
      message: `scheme "${url.protocol.replace(/:$/, '')}" is not allowed; use https://`,
    });
  } else if (url.protocol === 'http:' && !options.allowHttp) {
    violations.push({
      code: 'http-not-allowed',
      message: 'plain http:// is allowed in dev only; use https://',
    });
  }
  if (url.username || url.password) {
    violations.push({
      code: 'credentials',
      message: 'the URL must not carry user:password; remove it (the connection sends the webhook secret in a header)',
    });
  }
  if (url.hash) {
    violations.push({ code: 'fragment', message: 'the URL must not have a #fragment; remove it' });
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (isLocalhostName(host)) {
    if (!options.allowLoopback) {
      violations.push({
        code: 'localhost',
        message: `host "${url.hostname}" is this machine; use the partner's public host name`,
      });
    }
  } else if (isInternalAddress(host, options)) {
    violations.push({
      code: 'internal-address',
      message: `host ${url.hostname} is a loopback, private, link-local or metadata address; use a public host name`,
    });
  } else if (isIP(host) === 0 && /^[0-9.]+$/.test(host)) {
    // WHATWG URL already normalises 2130706433 or 0x7f.1 to dotted IPv4; any
    // other all-numeric host is not a usable name.
    violations.push({ code: 'invalid-url', message: `host "${url.hostname}" is not a valid host name` });
  }
  return violations;
}
