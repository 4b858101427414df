/**
 * Drives `createPortalApp` in process with `app.request()`: a fake OIDC
 * issuer (the code is the user's sub), a cookie jar, and helpers to sign in,
 * read a page's CSRF token and post forms as a browser would.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type * as Jose from 'jose';
import type { Clock } from '../../lambda/core/clock';
import { type PortalApp, type PortalLogger, type PortalDependencies, createPortalApp } from '../../lambda/portal/app';
import type { PortalSettingName } from '../../lambda/portal/config';
import type { OidcClient, OidcIdentity } from '../../lambda/portal/oidc';
import type { PlatformTableNames } from '../../lambda/repositories/platform-repositories';
import { InMemorySecretStore } from '../../lambda/shared/secret-store';
import { loadEsm } from '../../local/esm';

const jose = loadEsm<typeof Jose>('jose');

export const BASE_URL = 'https://portal.example.com';
export const FAKE_ISSUER = 'https://idp.example.com';
export const SESSION_SECRET = 'unit-test-session-secret-0123456789abcdef';

export type Settings = Partial<Record<PortalSettingName, string | undefined>>;

export function validSettings(tables: PlatformTableNames): Settings {
  return {
    PORTAL_ISSUER_URL: FAKE_ISSUER,
    PORTAL_CLIENT_ID: 'portal',
    PORTAL_CLIENT_SECRET: 'client-secret-value',
    PORTAL_SESSION_SECRET: SESSION_SECRET,
    PORTAL_BASE_URL: BASE_URL,
    TENANTS_TABLE: tables.tenants,
    API_KEYS_TABLE: tables.apiKeys,
    WEBHOOKS_TABLE: tables.webhooks,
    WEBHOOK_SECRET_PREFIX: 'test/webhooks/',
  };
}

/** A fake issuer: `/callback?code=<sub>&state=<state>` signs in as that user. */
export function fakeOidc(users: Record<string, Omit<OidcIdentity, 'iss' | 'sub'>>): OidcClient {
  return {
    issuer: FAKE_ISSUER,
    start: (redirectUri) => {
      const state = `state-${Math.random().toString(36).slice(2)}`;
      const url = new URL(`${FAKE_ISSUER}/authorize`);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('state', state);
      return { url, pending: { state, nonce: 'nonce', codeVerifier: 'verifier' } };
    },
    finish: async (callbackUrl, pending) => {
      if (callbackUrl.searchParams.get('state') !== pending.state) throw new Error('state mismatch');
      const sub = callbackUrl.searchParams.get('code') ?? '';
      const user = users[sub];
      if (user === undefined) throw new Error('unknown code');
      return { iss: FAKE_ISSUER, sub, ...user };
    },
  };
}

export interface Harness {
  readonly app: PortalApp;
  readonly secrets: InMemorySecretStore;
  readonly logs: string[];
  /** Replaces settings for the next requests. */
  settings: Settings;
  request(method: string, path: string, options?: RequestOptions): Promise<Response>;
  /** Signs in through /login and /callback; returns the cookie header to send. */
  signIn(sub: string): Promise<Jar>;
  /** The CSRF token in a page of this session. */
  csrf(jar: Jar, path?: string): Promise<string>;
}

export interface RequestOptions {
  readonly jar?: Jar;
  readonly form?: Record<string, string>;
  readonly headers?: Record<string, string>;
}

/** Cookies as a browser keeps them: set by Set-Cookie, deleted by Max-Age=0. */
export class Jar {
  private readonly cookies = new Map<string, string>();

  public header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  public get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  public names(): string[] {
    return [...this.cookies.keys()];
  }

  public absorb(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const cleared = attributes.some((attribute) => attribute.toLowerCase() === 'max-age=0');
      if (cleared) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(index + 1));
    }
  }
}

export function createHarness(options: {
  doc: DynamoDBDocumentClient;
  settings: Settings;
  users?: Record<string, Omit<OidcIdentity, 'iss' | 'sub'>>;
  clock?: Clock;
  overrides?: Partial<PortalDependencies>;
}): Harness {
  const secrets = new InMemorySecretStore();
  const logs: string[] = [];
  const logger: PortalLogger = {
    info: (message, attributes) => logs.push(JSON.stringify({ level: 'info', message, ...attributes })),
    warn: (message, attributes) => logs.push(JSON.stringify({ level: 'warn', message, ...attributes })),
    error: (message, attributes) => logs.push(JSON.stringify({ level: 'error', message, ...attributes })),
  };
  const oidc = fakeOidc(options.users ?? {});
  const harness: Harness = {
    settings: options.settings,
    secrets,
    logs,
    app: undefined as unknown as PortalApp,
    request: async (method, path, requestOptions = {}) => {
      const headers: Record<string, string> = { ...requestOptions.headers };
      if (requestOptions.jar !== undefined) headers.cookie = requestOptions.jar.header();
      let body: string | undefined;
      if (requestOptions.form !== undefined) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(requestOptions.form).toString();
      }
      const response = await harness.app.request(new URL(path, BASE_URL).href, { method, headers, body });
      requestOptions.jar?.absorb(response);
      return response;
    },
    signIn: async (sub) => {
      const jar = new Jar();
      const login = await harness.request('GET', '/login', { jar });
      const state = new URL(login.headers.get('location')!).searchParams.get('state')!;
      const callback = await harness.request('GET', `/callback?code=${sub}&state=${state}`, { jar });
      if (callback.status !== 303) throw new Error(`sign-in failed: ${callback.status}`);
      return jar;
    },
    csrf: async (jar, path = '/dashboard') => {
      const page = await (await harness.request('GET', path, { jar })).text();
      const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
      if (token === undefined) throw new Error(`no CSRF token on ${path}`);
      return token;
    },
  };
  (harness as { app: PortalApp }).app = createPortalApp({
    settings: () => ({ values: harness.settings }),
    doc: options.doc,
    oidc: async () => oidc,
    jose,
    secrets,
    logger,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...options.overrides,
  });
  return harness;
}
