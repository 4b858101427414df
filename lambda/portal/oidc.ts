/**
 * Sign-in with OpenID Connect: authorization code flow with PKCE, state and
 * nonce, through `openid-client`. The app sees only `OidcClient`, so tests
 * can put a fake issuer behind it and the ESM-only library is handed in by
 * whoever composes the app (esbuild inlines it into the Lambda bundle;
 * local code and tests load it with `loadEsm`).
 */
import { createHash } from 'node:crypto';
import type * as OpenIdClient from 'openid-client';

/** Who signed in, from the verified ID token. */
export interface OidcIdentity {
  readonly iss: string;
  readonly sub: string;
  readonly email?: string;
  readonly emailVerified?: boolean;
  readonly name?: string;
}

/** The values one sign-in must carry from `/login` to `/callback`. */
export interface PendingLogin {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface OidcClient {
  /** The issuer identifier, for the CSP's form-action and the identity's key. */
  readonly issuer: string;
  /** Where to send the browser, and what to remember until it comes back. */
  start(redirectUri: string): { readonly url: URL; readonly pending: PendingLogin };
  /**
   * Redeems the code in `callbackUrl` (the redirect URI plus the query the
   * issuer added) and verifies the ID token: signature, issuer, audience,
   * nonce, and the PKCE verifier.
   * @throws when the issuer refuses or anything does not match.
   */
  finish(callbackUrl: URL, pending: PendingLogin): Promise<OidcIdentity>;
}

export interface OidcClientSettings {
  readonly issuerUrl: URL;
  readonly clientId: string;
  readonly clientSecret: string;
}

/** Builds (and caches) the client for the current settings. */
export type OidcClientFactory = (settings: OidcClientSettings) => Promise<OidcClient>;

export type OpenIdClientModule = Pick<
  typeof OpenIdClient,
  | 'discovery'
  | 'buildAuthorizationUrl'
  | 'authorizationCodeGrant'
  | 'randomPKCECodeVerifier'
  | 'randomState'
  | 'randomNonce'
  | 'allowInsecureRequests'
>;

const SCOPE = 'openid email profile';

/**
 * An `OidcClientFactory` over `openid-client`. Discovery runs once per
 * (issuer, client, secret) and is retried by the next request when it
 * fails. Plain-http issuers are accepted only on loopback hosts (the local
 * runtime's issuer); the settings schema refuses any other http issuer.
 */
export function openIdClientFactory(openid: OpenIdClientModule): OidcClientFactory {
  const cache = new Map<string, Promise<OidcClient>>();
  return (settings) => {
    const cacheKey = JSON.stringify([settings.issuerUrl.href, settings.clientId, settings.clientSecret]);
    let client = cache.get(cacheKey);
    if (client === undefined) {
      client = discover(openid, settings);
      client.catch(() => cache.delete(cacheKey));
      cache.clear();
      cache.set(cacheKey, client);
    }
    return client;
  };
}

async function discover(openid: OpenIdClientModule, settings: OidcClientSettings): Promise<OidcClient> {
  const insecure = settings.issuerUrl.protocol === 'http:';
  const config = await openid.discovery(
    settings.issuerUrl,
    settings.clientId,
    settings.clientSecret,
    undefined,
    insecure ? { execute: [openid.allowInsecureRequests] } : undefined,
  );
  const issuer = config.serverMetadata().issuer;
  return {
    issuer,
    start: (redirectUri) => {
      const pending: PendingLogin = {
        state: openid.randomState(),
        nonce: openid.randomNonce(),
        codeVerifier: openid.randomPKCECodeVerifier(),
      };
      const url = openid.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: SCOPE,
        code_challenge: s256(pending.codeVerifier),
        code_challenge_method: 'S256',
        state: pending.state,
        nonce: pending.nonce,
      });
      return { url, pending };
    },
    finish: async (callbackUrl, pending) => {
      const tokens = await openid.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (claims === undefined) throw new Error('the issuer returned no ID token');
      return {
        iss: claims.iss,
        sub: claims.sub,
        ...(typeof claims.email === 'string' ? { email: claims.email } : {}),
        ...(typeof claims.email_verified === 'boolean' ? { emailVerified: claims.email_verified } : {}),
        ...(typeof claims.name === 'string' ? { name: claims.name } : {}),
      };
    },
  };
}

/** The PKCE S256 challenge (RFC 7636), computed here so `start` stays synchronous. */
function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}
