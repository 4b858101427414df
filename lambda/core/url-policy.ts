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
    | 'scheme'
    | 'http-not-allowed'
    | 'credentials'
    | 'localhost'
    | 'internal-address'
    | 'fragment';
  readonly message: string;
}

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
blocked.addSubnet('224.0.0.0', 3, 'ipv4');
// IPv6: unspecified, loopback, unique-local (fc00::/7), link-local, multicast,
// and the AWS metadata service's IPv6 address (inside fd00::/8).
blocked.addAddress('::', 'ipv6');
blocked.addAddress('::1', 'ipv6');
blocked.addSubnet('fc00::', 7, 'ipv6');
blocked.addSubnet('fe80::', 10, 'ipv6');
blocked.addSubnet('ff00::', 8, 'ipv6');

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** Undo IPv4-mapped IPv6 (`::ffff:10.0.0.1`) so the IPv4 rules apply to it. */
function unmapIPv4(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const hexMapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (hexMapped) {
    const high = parseInt(hexMapped[1], 16);
    const low = parseInt(hexMapped[2], 16);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return address;
}

/**
 * True when an IP address (v4 or v6) is one the platform must never connect
 * to: loopback, private, link-local, metadata, unique-local, multicast or
 * reserved.
 */
export function isInternalAddress(address: string, options: UrlPolicyOptions = {}): boolean {
  const ip = unmapIPv4(address);
  const family = isIP(ip);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
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
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [{ code: 'invalid-url', message: `"${raw}" is not an absolute URL; write it as https://host/path` }];
  }
  const violations: UrlViolation[] = [];
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
