/**
 * Admin authentication: every admin call carries both the shared admin API
 * key (`X-Admin-API-Key`, whose value lives in Secrets Manager) and an
 * `Authorization: Bearer <JWT>` from the identity provider, whose `email`
 * must be in the admin domain. Either missing or wrong is a 401 that does
 * not say which; a valid token for someone outside the domain is a 403.
 *
 * The token must be fresh: `iat` (and `auth_time`, when the issuer sends
 * it) no older than `maxTokenAgeSeconds`, and `exp - iat` no longer than
 * `maxTokenLifetimeSeconds`, so a token minted with a 100-year `exp` is
 * refused (401). The email must be verified (`email_verified === true`) and
 * is parsed, not suffix-matched: exactly one `@`, no quoted or escaped local
 * part, and the domain equal to the admin domain or one of the listed
 * subdomains (403 otherwise).
 *
 * jose is passed in rather than imported: the Lambda bundle gets it from
 * esbuild, and the tests load it themselves (it is ESM-only).
 */
import type { JWTVerifyGetKey, jwtVerify } from 'jose';
import { constantTimeEqual } from '../core/constant-time';
import { ADMIN_KEY_HEADER } from '../core/contracts';
import { ForbiddenError, UnauthorizedError } from '../core/errors';
import type { ApiEvent } from './router';
import { z } from 'zod';

export interface AdminCaller {
  /** The verified `email` claim; recorded as `createdBy`. */
  readonly email: string;
  readonly subject?: string;
}

export interface AdminAuthOptions {
  /** The admin API key as stored (read once per container). */
  readonly adminApiKey: () => Promise<string>;
  /** The issuer's key set: jose's createRemoteJWKSet in Lambda, createLocalJWKSet in tests. */
  readonly keySet: JWTVerifyGetKey;
  readonly verify: typeof jwtVerify;
  readonly issuer: string;
  readonly audience: string;
  /** e.g. `example.com`; the email's domain must be exactly this one (or a listed subdomain). */
  readonly adminEmailDomain: string;
  /** Full domains also accepted, e.g. `ops.example.com`. @default none */
  readonly adminEmailSubdomains?: readonly string[];
  /** Oldest `iat` / `auth_time` accepted. @default 12 h */
  readonly maxTokenAgeSeconds?: number;
  /** Longest `exp - iat` accepted. @default 12 h */
  readonly maxTokenLifetimeSeconds?: number;
  /** The verifier's notion of now, so tests can expire tokens. @default wall clock */
  readonly now?: () => Date;
}

/** HTTP header names are case-insensitive; API Gateway passes them as sent. */
export function header(event: Pick<ApiEvent, 'headers'>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** The default of both token limits: an admin signs in again at least twice a day. */
export const DEFAULT_ADMIN_TOKEN_MAX_SECONDS = 12 * 3600;
/** Clock skew allowed for an `iat` slightly in the future. */
const CLOCK_SKEW_SECONDS = 60;

/** Token limits and subdomains from the admin function's environment (set by lib/platform-api.ts). */
export const adminTokenEnvironment = {
  ADMIN_EMAIL_SUBDOMAINS: z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean),
    ),
  ADMIN_MAX_TOKEN_AGE_SECONDS: z.coerce.number().int().positive().default(DEFAULT_ADMIN_TOKEN_MAX_SECONDS),
  ADMIN_MAX_TOKEN_LIFETIME_SECONDS: z.coerce.number().int().positive().default(DEFAULT_ADMIN_TOKEN_MAX_SECONDS),
};

export function adminTokenLimitsFrom(
  env: z.output<z.ZodObject<typeof adminTokenEnvironment>>,
): Pick<AdminAuthOptions, 'adminEmailSubdomains' | 'maxTokenAgeSeconds' | 'maxTokenLifetimeSeconds'> {
  return {
    adminEmailSubdomains: env.ADMIN_EMAIL_SUBDOMAINS,
    maxTokenAgeSeconds: env.ADMIN_MAX_TOKEN_AGE_SECONDS,
    maxTokenLifetimeSeconds: env.ADMIN_MAX_TOKEN_LIFETIME_SECONDS,
  };
}

/**
 * The domain of an address, or undefined when it is not a plain
 * `local@domain`: one `@`, a local part without quotes, backslashes,
 * whitespace or control characters, and a dotted ASCII domain.
 */
export function emailDomainOf(address: string): string | undefined {
  const parts = address.split('@');
  if (parts.length !== 2) return undefined;
  const [local, domain] = parts;
  if (!/^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$/.test(local) || local.startsWith('.') || local.endsWith('.')) {
    return undefined;
  }
  if (!/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domain)) return undefined;
  return domain.toLowerCase();
}

export function createAdminAuthenticator(options: AdminAuthOptions): (event: ApiEvent) => Promise<AdminCaller> {
  const domains = new Set(
    [options.adminEmailDomain, ...(options.adminEmailSubdomains ?? [])].map((d) => d.toLowerCase()),
  );
  const maxAge = options.maxTokenAgeSeconds ?? DEFAULT_ADMIN_TOKEN_MAX_SECONDS;
  const maxLifetime = options.maxTokenLifetimeSeconds ?? DEFAULT_ADMIN_TOKEN_MAX_SECONDS;
  return async (event) => {
    const presentedKey = header(event, ADMIN_KEY_HEADER);
    const authorization = header(event, 'authorization');
    const token = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/.exec(authorization ?? '')?.[1];
    if (presentedKey === undefined || token === undefined) throw new UnauthorizedError('missing admin credentials');
    if (!constantTimeEqual(presentedKey, await options.adminApiKey())) {
      throw new UnauthorizedError('admin API key mismatch');
    }
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await options.verify(token, options.keySet, {
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['exp', 'iat'],
        ...(options.now === undefined ? {} : { currentDate: options.now() }),
      }));
    } catch (error) {
      throw new UnauthorizedError('admin token rejected', { cause: error });
    }
    const nowSeconds = Math.floor((options.now?.() ?? new Date()).getTime() / 1000);
    assertFresh(payload, nowSeconds, maxAge, maxLifetime);
    const email = typeof payload.email === 'string' ? payload.email.toLowerCase() : undefined;
    const domain = email === undefined ? undefined : emailDomainOf(email);
    if (email === undefined || payload.email_verified !== true || domain === undefined || !domains.has(domain)) {
      throw new ForbiddenError('Admin access requires a verified account in the admin domain');
    }
    return { email, ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}) };
  };
}

/** @throws UnauthorizedError for a token issued or signed in too long ago, or one that lives too long. */
function assertFresh(payload: Record<string, unknown>, nowSeconds: number, maxAge: number, maxLifetime: number): void {
  const { iat, exp, auth_time: authTime } = payload;
  if (typeof iat !== 'number' || typeof exp !== 'number') throw new UnauthorizedError('admin token without iat/exp');
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS || nowSeconds - iat > maxAge) {
    throw new UnauthorizedError('admin token issued too long ago');
  }
  if (exp - iat > maxLifetime) throw new UnauthorizedError('admin token lifetime too long');
  if (authTime !== undefined && (typeof authTime !== 'number' || nowSeconds - authTime > maxAge)) {
    throw new UnauthorizedError('admin sign-in too long ago');
  }
}
