/**
 * Admin authentication: every admin call carries both the shared admin API
 * key (`X-Admin-API-Key`, whose value lives in Secrets Manager) and an
 * `Authorization: Bearer <JWT>` from the identity provider, whose `email`
 * must be in the admin domain. Either missing or wrong is a 401 that does
 * not say which; a valid token for someone outside the domain is a 403.
 *
 * jose is passed in rather than imported: the Lambda bundle gets it from
 * esbuild, and the tests load it themselves (it is ESM-only).
 */
import type { JWTVerifyGetKey, jwtVerify } from 'jose';
import { constantTimeEqual } from '../core/constant-time';
import { ADMIN_KEY_HEADER } from '../core/contracts';
import { ForbiddenError, UnauthorizedError } from '../core/errors';
import type { ApiEvent } from './router';

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
  /** e.g. `example.com`; the email must end in `@example.com`. */
  readonly adminEmailDomain: string;
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

export function createAdminAuthenticator(options: AdminAuthOptions): (event: ApiEvent) => Promise<AdminCaller> {
  const domain = `@${options.adminEmailDomain.toLowerCase()}`;
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
        requiredClaims: ['exp'],
        ...(options.now === undefined ? {} : { currentDate: options.now() }),
      }));
    } catch (error) {
      throw new UnauthorizedError('admin token rejected', { cause: error });
    }
    const email = typeof payload.email === 'string' ? payload.email.toLowerCase() : undefined;
    if (email === undefined || !email.endsWith(domain) || email.length === domain.length) {
      throw new ForbiddenError('Admin access requires an account in the admin domain');
    }
    return { email, ...(typeof payload.sub === 'string' ? { subject: payload.sub } : {}) };
  };
}
