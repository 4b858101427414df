/**
 * The admin API's credentials on this machine: the shared admin API key and
 * an ES256 signing key standing in for the identity provider, both kept in
 * the data directory, and the authenticator options that accept tokens
 * signed with it for `admin@<admin domain>`.
 */
import type * as Jose from 'jose';
import { z } from 'zod';
import { type AdminAuthOptions, adminTokenEnvironment, adminTokenLimitsFrom } from '../../lambda/api/admin-auth';
import { randomAlphanumeric } from '../../lambda/core/random';
import { loadEsm } from '../esm';
import { functionEnvironment } from './assembly';
import type { RuntimeContext } from './context';
import type { AdminCredentials } from './types';

const ADMIN_API_KEY_SECRET = 'local/admin-api-key';
const ADMIN_SIGNING_KEY_SECRET = 'local/admin-signing-key';
const ADMIN_API_KEY_LENGTH = 40;
const ADMIN_KID = 'local-admin';
const ADMIN_TOKEN_HOURS = 12;

export interface AdminIdentity {
  readonly credentials: AdminCredentials;
  readonly auth: AdminAuthOptions;
}

export async function createAdminIdentity(ctx: RuntimeContext): Promise<AdminIdentity> {
  const jose = loadEsm<typeof Jose>('jose');
  const env = functionEnvironment(ctx.platform, 'admin-api');
  const apiKey = await ctx.secrets.keep(ADMIN_API_KEY_SECRET, () => randomAlphanumeric(ADMIN_API_KEY_LENGTH));
  const signingJwk = JSON.parse(
    await ctx.secrets.keep(ADMIN_SIGNING_KEY_SECRET, async () => {
      const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
      return JSON.stringify(await jose.exportJWK(privateKey));
    }),
  ) as Jose.JWK;
  const { d: _private, ...publicJwk } = signingJwk;
  const issuer = String(env.ADMIN_JWT_ISSUER ?? 'https://local.invalid/');
  const audience = String(env.ADMIN_JWT_AUDIENCE ?? 'partner-platform-admin-local');
  const adminDomain = String(env.ADMIN_EMAIL_DOMAIN ?? 'example.com');
  const email = `admin@${adminDomain}`;
  const signingKey = await jose.importJWK(signingJwk, 'ES256');
  const token = () => {
    const nowSeconds = Math.floor(ctx.clock.now().getTime() / 1000);
    return new jose.SignJWT({ email, email_verified: true })
      .setProtectedHeader({ alg: 'ES256', kid: ADMIN_KID })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject('local-admin')
      .setIssuedAt(nowSeconds)
      .setExpirationTime(nowSeconds + ADMIN_TOKEN_HOURS * 3600)
      .sign(signingKey);
  };
  return {
    credentials: { apiKey, token, email },
    auth: {
      adminApiKey: async () => apiKey,
      keySet: jose.createLocalJWKSet({ keys: [{ ...publicJwk, kid: ADMIN_KID, alg: 'ES256' }] }),
      verify: jose.jwtVerify,
      issuer,
      audience,
      adminEmailDomain: adminDomain,
      ...adminTokenLimitsFrom(z.object(adminTokenEnvironment).parse(env)),
      now: () => ctx.clock.now(),
    },
  };
}
