/**
 * The portal's cookies. All are HttpOnly, SameSite=Lax, path `/`, with an
 * expiry both in the cookie and inside the signed value (a replayed old
 * cookie is refused even if a browser kept it), and Secure with the
 * `__Host-` prefix except on the local runtime's http://127.0.0.1.
 *
 * - session: the id of a server-side session (session-store.ts) and its
 *   CSRF token, HMAC-SHA256 signed: the cookie alone signs no one in, so
 *   logout, an owner change or a disabled org ends it at once;
 * - login: the transient state, nonce and PKCE verifier of one sign-in,
 *   signed, 10 minutes;
 * - flash: a just-issued API key for the one dashboard view that reveals
 *   it, encrypted (JWE, dir + A256GCM) because it holds the plaintext key,
 *   2 minutes, and good for one view only: it names a single-use reveal
 *   nonce that the view deletes on the server.
 *
 * Keys are derived from the session secret with HKDF, one per purpose, so
 * the signing key never encrypts and vice versa.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import type { EncryptJWT as EncryptJwtClass, jwtDecrypt as jwtDecryptFunction } from 'jose';
import { constantTimeEqual } from '../core/constant-time';

export const SESSION_TTL_SECONDS = 8 * 60 * 60;
export const LOGIN_TTL_SECONDS = 10 * 60;
export const FLASH_TTL_SECONDS = 2 * 60;

/** The jose functions the flash cookie needs; injected because jose is ESM-only (see local/esm.ts). */
export interface JoseFunctions {
  readonly EncryptJWT: typeof EncryptJwtClass;
  readonly jwtDecrypt: typeof jwtDecryptFunction;
}

/** A signed-in user, as the session store holds them plus the cookie's CSRF token. */
export interface Session {
  /** The session's id (random, from the cookie); the store keeps only its hash. */
  readonly id: string;
  /** The issuer and subject: the user's identity. */
  readonly iss: string;
  readonly sub: string;
  readonly email: string;
  readonly name?: string;
  /** The synchronizer token every form of this session carries. */
  readonly csrf: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
}

/** What the session cookie carries: signed, so neither value can be chosen by the browser. */
export interface SessionCookie {
  readonly sid: string;
  readonly csrf: string;
  readonly exp: number;
}

export interface LoginState {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly exp: number;
  /** Where to go after signing in: an invitation link only (see `isReturnPath`). @default "/" */
  readonly returnTo?: string;
}

export interface FlashKey {
  readonly orgId: string;
  readonly keyId: string;
  readonly plaintext: string;
  /** The single-use reveal nonce (session-store.ts) the view must consume. */
  readonly nonce: string;
}

export type CookieName = 'session' | 'login' | 'flash';

export interface CookieOptions {
  readonly secure: boolean;
  readonly maxAgeSeconds: number;
}

export function cookieName(name: CookieName, secure: boolean): string {
  return secure ? `__Host-portal_${name}` : `portal_${name}`;
}

/** A Set-Cookie value. */
export function serializeCookie(name: CookieName, value: string, options: CookieOptions): string {
  const parts = [
    `${cookieName(name, options.secure)}=${value}`,
    'Path=/',
    `Max-Age=${options.maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Lax',
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

export function clearCookie(name: CookieName, secure: boolean): string {
  return serializeCookie(name, '', { secure, maxAgeSeconds: 0 });
}

export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

function derive(secret: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `partner-portal/${purpose}`, 32));
}

/** Signs, verifies, encrypts and decrypts the portal's cookies with keys derived from one secret. */
export class CookieCodec {
  private readonly signingKey: Buffer;
  private readonly encryptionKey: Uint8Array;

  public constructor(
    sessionSecret: string,
    private readonly jose: JoseFunctions,
    private readonly nowSeconds: () => number,
  ) {
    this.signingKey = derive(sessionSecret, 'cookie-signing');
    this.encryptionKey = new Uint8Array(derive(sessionSecret, 'flash-encryption'));
  }

  /** `<payload>.<signature>`, both base64url; the cookie name is signed too, so values cannot be swapped. */
  public sign(name: CookieName, payload: object): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.mac(name, body)}`;
  }

  /** The payload of a cookie this codec signed and that has not expired; undefined otherwise. */
  public verify<T extends { readonly exp: number }>(name: CookieName, value: string | undefined): T | undefined {
    if (value === undefined) return undefined;
    const [body, signature, extra] = value.split('.');
    if (body === undefined || signature === undefined || extra !== undefined) return undefined;
    if (!constantTimeEqual(signature, this.mac(name, body))) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
      if (typeof payload.exp !== 'number' || payload.exp <= this.nowSeconds()) return undefined;
      return payload;
    } catch {
      return undefined;
    }
  }

  public async encryptFlash(flash: FlashKey, boundTo: Session): Promise<string> {
    const now = this.nowSeconds();
    return new this.jose.EncryptJWT({ ...flash })
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
      .setSubject(`${boundTo.iss} ${boundTo.sub}`)
      .setIssuedAt(now)
      .setExpirationTime(now + FLASH_TTL_SECONDS)
      .encrypt(this.encryptionKey);
  }

  /** The flash of this session's user, or undefined when absent, expired, tampered with or someone else's. */
  public async decryptFlash(value: string | undefined, session: Session): Promise<FlashKey | undefined> {
    if (value === undefined || value === '') return undefined;
    try {
      const { payload } = await this.jose.jwtDecrypt(value, this.encryptionKey, {
        subject: `${session.iss} ${session.sub}`,
        currentDate: new Date(this.nowSeconds() * 1000),
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      });
      const { orgId, keyId, plaintext, nonce } = payload as Partial<FlashKey>;
      if (typeof orgId !== 'string' || typeof keyId !== 'string') return undefined;
      if (typeof plaintext !== 'string' || typeof nonce !== 'string') return undefined;
      return { orgId, keyId, plaintext, nonce };
    } catch {
      return undefined;
    }
  }

  private mac(name: CookieName, body: string): string {
    return createHmac('sha256', this.signingKey).update(`${name}.${body}`).digest('base64url');
  }
}

/** Cookie header -> name/value pairs (first wins, as browsers send the most specific first). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const index = part.indexOf('=');
    if (index <= 0) continue;
    const name = part.slice(0, index).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(index + 1).trim());
  }
  return cookies;
}
