/**
 * The portal app in process, without DynamoDB: a fake document client that
 * keeps the portal's own items (sessions, reveal nonces) in memory, answers
 * "not found" to every other read and records every command, so a test can
 * prove that a refused request read or wrote nothing.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parsePortalSettings } from '../../lambda/portal/config';
import { CookieCodec, type SessionCookie } from '../../lambda/portal/session';
import { environmentSettingsSource, functionUrlDomainOf } from '../../lambda/portal/settings-source';
import { FakeClock, MINUTE_MS } from '../../lambda/core/clock';
import { InMemorySecretStore } from '../../lambda/shared/secret-store';
import { loadEsm } from '../../local/esm';
import type * as Jose from 'jose';
import { BASE_URL, type Harness, Jar, SESSION_SECRET, createHarness, validSettings } from './portal-app-harness';

const TABLES = { tenants: 'tenants', apiKeys: 'keys', webhooks: 'webhooks' };

interface Command {
  readonly constructor: { name: string };
  readonly input: { Key?: { orgId: string }; Item?: { orgId: string } };
}

class RecordingDoc {
  public readonly commands: string[] = [];
  private readonly items = new Map<string, Record<string, unknown>>();

  public async send(command: Command): Promise<unknown> {
    const name = command.constructor.name;
    this.commands.push(name);
    const { Key, Item } = command.input;
    if (name === 'GetCommand') return { Item: this.items.get(Key!.orgId) };
    if (name === 'PutCommand' && Item!.orgId.startsWith('portal-')) return this.items.set(Item!.orgId, Item!) && {};
    if (name === 'DeleteCommand' && this.items.has(Key!.orgId)) {
      const old = this.items.get(Key!.orgId);
      this.items.delete(Key!.orgId);
      return { Attributes: old };
    }
    throw new Error(`unexpected ${name}`);
  }
}

let doc: RecordingDoc;
let harness: Harness;

beforeEach(() => {
  doc = new RecordingDoc();
  harness = createHarness({
    doc: doc as unknown as DynamoDBDocumentClient,
    settings: validSettings(TABLES),
    users: {
      dana: { email: 'dana@partner.example', emailVerified: true, name: 'Dana' },
      noemail: {},
      unverified: { email: 'dana@partner.example', emailVerified: false },
      unstated: { email: 'dana@partner.example' },
      verifiedNoEmail: { emailVerified: true },
    },
  });
});

describe('security headers', () => {
  it('every page forbids scripts and framing, and posts forms only to the portal and the issuer', async () => {
    for (const path of ['/signed-out', '/nowhere', '/healthz']) {
      const response = await harness.request('GET', path);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'none'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("form-action 'self' https://idp.example.com");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('strict-transport-security')).toContain('max-age=');
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('the local runtime over http://127.0.0.1 gets no HSTS and cookies without Secure', async () => {
    harness.settings = { ...harness.settings, PORTAL_BASE_URL: 'http://127.0.0.1:8080' };
    const response = await harness.request('GET', '/login');
    expect(response.headers.get('strict-transport-security')).toBeNull();
    const cookie = response.headers.getSetCookie()[0];
    expect(cookie).toMatch(/^portal_login=/);
    expect(cookie).not.toContain('Secure');
  });

  it('the stylesheet is served by the app itself', async () => {
    const response = await harness.request('GET', '/static/portal.css');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/css');
    expect(await response.text()).toContain('prefers-color-scheme: dark');
  });
});

describe('configuration', () => {
  const broken: Array<[string, Record<string, string | undefined>, string]> = [
    ['a missing issuer', { PORTAL_ISSUER_URL: undefined }, 'PORTAL_ISSUER_URL'],
    ['a plain-http issuer off loopback', { PORTAL_ISSUER_URL: 'http://idp.example.com' }, 'PORTAL_ISSUER_URL'],
    ['a short session secret', { PORTAL_SESSION_SECRET: 'too-short-secret-value' }, 'PORTAL_SESSION_SECRET'],
    ['a missing table', { TENANTS_TABLE: '' }, 'TENANTS_TABLE'],
    ['a base URL with a path', { PORTAL_BASE_URL: 'https://portal.example.com/app' }, 'PORTAL_BASE_URL'],
    ['a plain-http base URL off loopback', { PORTAL_BASE_URL: 'http://portal.example.com' }, 'PORTAL_BASE_URL'],
    ['no base URL (it is never taken from the Host header)', { PORTAL_BASE_URL: undefined }, 'PORTAL_BASE_URL'],
  ];

  it.each(broken)(
    '%s fails every request with a page naming the setting, never its value',
    async (_name, change, setting) => {
      harness.settings = { ...validSettings(TABLES), ...change };
      const response = await harness.request('GET', '/dashboard');
      expect(response.status).toBe(500);
      const page = await response.text();
      expect(page).toContain('The portal is misconfigured');
      expect(page).toContain(`<code>${setting}</code>`);
      for (const value of Object.values(change)) {
        if (value !== undefined && value !== '') expect(page).not.toContain(value);
      }
      expect(page).not.toContain(SESSION_SECRET);
      expect(page).not.toContain('client-secret-value');
      expect(doc.commands).toEqual([]);
    },
  );

  it('a secret that cannot be read is named with where it comes from', () => {
    const result = parsePortalSettings({ values: validSettings(TABLES), unreadable: ['PORTAL_CLIENT_SECRET'] });
    expect(result).toEqual({
      ok: false,
      problems: [
        {
          setting: 'PORTAL_CLIENT_SECRET',
          message: 'could not be read from the SecretString of the secret named by PORTAL_CLIENT_SECRET_ID',
        },
      ],
    });
  });

  it('a fixed-up setting is picked up by the next request, without a restart', async () => {
    harness.settings = { ...validSettings(TABLES), PORTAL_CLIENT_ID: '' };
    expect((await harness.request('GET', '/login')).status).toBe(500);
    harness.settings = validSettings(TABLES);
    expect((await harness.request('GET', '/login')).status).toBe(302);
  });
});

describe('base URL', () => {
  it.each(['evil.example', 'portal.example.com.evil.example', '127.0.0.1'])(
    'a forged Host header (%s) changes neither the redirect URI nor any link',
    async (host) => {
      const response = await harness.app.request(`https://${host}/login`, { headers: { host } });
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location')!);
      expect(location.searchParams.get('redirect_uri')).toBe(`${BASE_URL}/callback`);
      expect(JSON.stringify([...response.headers])).not.toContain(host);
    },
  );

  it('without PORTAL_BASE_URL a forged Host gets the configuration page, never a redirect built from it', async () => {
    harness.settings = { ...validSettings(TABLES), PORTAL_BASE_URL: undefined };
    const response = await harness.app.request('https://evil.example/login', { headers: { host: 'evil.example' } });
    expect(response.status).toBe(500);
    expect(response.headers.get('location')).toBeNull();
    const page = await response.text();
    expect(page).toContain('<code>PORTAL_BASE_URL</code> is not set');
    expect(page).not.toContain('evil.example');
  });
});

describe('the Lambda settings source', () => {
  const env = {
    PORTAL_ISSUER_URL: 'https://idp.example.com',
    PORTAL_CLIENT_ID: 'portal',
    PORTAL_CLIENT_SECRET_ID: 'client-secret',
    PORTAL_SESSION_SECRET_ID: 'session-secret',
    PORTAL_BASE_URL: 'https://portal.example.com',
    TENANTS_TABLE: 't',
    API_KEYS_TABLE: 'k',
    WEBHOOKS_TABLE: 'w',
  };

  it('reads the secrets once and again after five minutes', async () => {
    const secrets = new InMemorySecretStore();
    await secrets.createSecret({ name: 'client-secret', value: 'first-client-secret' });
    await secrets.createSecret({ name: 'session-secret', value: SESSION_SECRET });
    const reads = jest.spyOn(secrets, 'getSecretValue');
    const clock = new FakeClock();
    const source = environmentSettingsSource(secrets, clock, env);
    expect((await source()).values.PORTAL_CLIENT_SECRET).toBe('first-client-secret');
    await secrets.putSecretValue({ secretId: 'client-secret', value: 'second-client-secret' });
    expect((await source()).values.PORTAL_CLIENT_SECRET).toBe('first-client-secret');
    expect(reads).toHaveBeenCalledTimes(2);
    clock.advance(5 * MINUTE_MS + 1);
    expect((await source()).values.PORTAL_CLIENT_SECRET).toBe('second-client-secret');
    const parsed = parsePortalSettings(await source());
    expect(parsed.ok).toBe(true);
  });

  const FUNCTION_URL_EVENT = {
    requestContext: { domainName: 'abcdef0123456789abcdef0123456789.lambda-url.eu-west-1.on.aws' },
  };
  const functionUrlCases: Array<[string, Record<string, string>, unknown, string | undefined]> = [
    [
      'PORTAL_BASE_URL as set',
      { PORTAL_BASE_URL: 'https://portal.example.com' },
      FUNCTION_URL_EVENT,
      'https://portal.example.com',
    ],
    [
      'the Function URL Lambda names, with PORTAL_BASE_URL_SOURCE=function-url',
      { PORTAL_BASE_URL_SOURCE: 'function-url' },
      FUNCTION_URL_EVENT,
      'https://abcdef0123456789abcdef0123456789.lambda-url.eu-west-1.on.aws',
    ],
    ['nothing without PORTAL_BASE_URL_SOURCE', {}, FUNCTION_URL_EVENT, undefined],
    [
      'nothing for a domain that is not a Function URL',
      { PORTAL_BASE_URL_SOURCE: 'function-url' },
      { requestContext: { domainName: 'evil.example' } },
      undefined,
    ],
    [
      'nothing for an event without one',
      { PORTAL_BASE_URL_SOURCE: 'function-url' },
      { headers: { host: 'x.lambda-url.eu-west-1.on.aws' } },
      undefined,
    ],
  ];

  it.each(functionUrlCases)('the base URL is %s', async (_case, extra, event, expected) => {
    const secrets = new InMemorySecretStore();
    const source = environmentSettingsSource(
      secrets,
      new FakeClock(),
      { ...env, PORTAL_BASE_URL: undefined, ...extra },
      () => functionUrlDomainOf(event),
    );
    expect((await source()).values.PORTAL_BASE_URL).toBe(expected);
  });

  it('a secret that cannot be read is reported, and read again by the next request', async () => {
    const secrets = new InMemorySecretStore();
    await secrets.createSecret({ name: 'client-secret', value: 'client-secret-value' });
    await secrets.createSecret({ name: 'session-secret', value: SESSION_SECRET });
    let denied = false;
    const flaky = {
      getSecretValue: async (id: string) => {
        if (id === 'client-secret' && !denied) {
          denied = true;
          throw new Error('AccessDeniedException');
        }
        return secrets.getSecretValue(id);
      },
    };
    const source = environmentSettingsSource(flaky, new FakeClock(), env);
    expect((await source()).unreadable).toEqual(['PORTAL_CLIENT_SECRET']);
    expect((await source()).unreadable).toEqual([]);
  });
});

describe('sign-in', () => {
  it('GET / without a session goes to sign-in, which redirects to the issuer with a signed, HttpOnly login cookie', async () => {
    const root = await harness.request('GET', '/');
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/login');
    const login = await harness.request('GET', '/login');
    expect(login.status).toBe(302);
    const location = new URL(login.headers.get('location')!);
    expect(location.origin).toBe('https://idp.example.com');
    expect(location.searchParams.get('redirect_uri')).toBe(`${BASE_URL}/callback`);
    const cookie = login.headers.getSetCookie()[0];
    expect(cookie).toMatch(/^__Host-portal_login=/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toMatch(/Max-Age=600/);
  });

  it('a callback without the login cookie is refused', async () => {
    const response = await harness.request('GET', '/callback?code=dana&state=whatever');
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('Sign-in expired');
  });

  it('a callback whose state does not match is refused', async () => {
    const jar = new Jar();
    await harness.request('GET', '/login', { jar });
    const response = await harness.request('GET', '/callback?code=dana&state=forged', { jar });
    expect(response.status).toBe(400);
    expect(jar.names()).not.toContain('__Host-portal_session');
  });

  const unverified: Array<[string, string]> = [
    ['no email and no email_verified claim', 'noemail'],
    ['email_verified: false', 'unverified'],
    ['an email without the email_verified claim', 'unstated'],
    ['email_verified: true but no email', 'verifiedNoEmail'],
  ];

  it.each(unverified)('%s: the sign-in is refused with a clear page and no session is stored', async (_case, sub) => {
    const jar = new Jar();
    const login = await harness.request('GET', '/login', { jar });
    const state = new URL(login.headers.get('location')!).searchParams.get('state')!;
    doc.commands.length = 0;
    const response = await harness.request('GET', `/callback?code=${sub}&state=${state}`, { jar });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('did not confirm that your email address is verified');
    expect(jar.names()).not.toContain('__Host-portal_session');
    expect(doc.commands).toEqual([]);
  });

  const issuerErrors: Array<[string, string, string]> = [
    ['access_denied', 'error=access_denied', 'The sign-in was cancelled or access was denied'],
    ['login_required', 'error=login_required', 'needs you to sign in there first'],
    [
      'an attacker-chosen code',
      `error=${encodeURIComponent('Call <b>+1 555 0100</b> to restore your account')}`,
      'did not complete the sign-in',
    ],
    [
      'a known code with an attacker-chosen description',
      `error=access_denied&error_description=${encodeURIComponent('Your account is locked, visit evil.example')}`,
      'The sign-in was cancelled or access was denied',
    ],
  ];

  it.each(issuerErrors)(
    '/callback?error= %s shows a fixed message, never the text sent',
    async (_case, query, text) => {
      const jar = new Jar();
      await harness.request('GET', '/login', { jar });
      const response = await harness.request('GET', `/callback?${query}`, { jar });
      expect(response.status).toBe(400);
      const page = await response.text();
      expect(page).toContain(text);
      for (const planted of ['+1 555 0100', '&lt;b&gt;', '<b>', 'evil.example', 'locked'])
        expect(page).not.toContain(planted);
      expect(harness.logs.join('\n')).not.toContain('555');
    },
  );

  it('signing in sets a signed, HttpOnly, Secure, SameSite=Lax session cookie with an expiry; no token reaches the page', async () => {
    const jar = new Jar();
    const login = await harness.request('GET', '/login', { jar });
    const state = new URL(login.headers.get('location')!).searchParams.get('state')!;
    const callback = await harness.request('GET', `/callback?code=dana&state=${state}`, { jar });
    expect(callback.status).toBe(303);
    const session = callback.headers.getSetCookie().find((cookie) => cookie.startsWith('__Host-portal_session='))!;
    expect(session).toContain('HttpOnly');
    expect(session).toContain('Secure');
    expect(session).toContain('SameSite=Lax');
    expect(session).toMatch(/Max-Age=28800/);
    const onboarding = await harness.request('GET', '/onboarding', { jar });
    expect(onboarding.status).toBe(200);
    const page = await onboarding.text();
    expect(page).not.toContain(jar.get('__Host-portal_session')!);
  });

  it('a tampered or expired session cookie counts as no session', async () => {
    const jar = await harness.signIn('dana');
    const value = jar.get('__Host-portal_session')!;
    const [body, signature] = value.split('.');
    const forgedBody = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), sub: 'someone-else' }),
    ).toString('base64url');
    const tampered = await harness.request('GET', '/onboarding', {
      headers: { cookie: `__Host-portal_session=${forgedBody}.${signature}` },
    });
    expect(tampered.headers.get('location')).toBe('/login');

    const jose = loadEsm<typeof Jose>('jose');
    const expired = new CookieCodec(SESSION_SECRET, jose, () => Math.floor(Date.now() / 1000) - 9 * 3600);
    const old = expired.sign('session', {
      sid: 'x',
      csrf: 'x',
      exp: Math.floor(Date.now() / 1000) - 60,
    } satisfies SessionCookie);
    const stale = await harness.request('GET', '/onboarding', { headers: { cookie: `__Host-portal_session=${old}` } });
    expect(stale.headers.get('location')).toBe('/login');
  });
});

describe('CSRF', () => {
  const posts = ['/onboarding', '/keys/rotate', '/keys/issue', '/webhook', '/logout'];

  it.each(posts)('POST %s without the token is refused with 403 and reads or writes nothing', async (path) => {
    const jar = await harness.signIn('dana');
    doc.commands.length = 0;
    const response = await harness.request('POST', path, {
      jar,
      form: { orgId: 'acme-corp', orgName: 'ACME', graceHours: '0', confirm: 'yes', url: 'https://a.example' },
    });
    expect(response.status).toBe(403);
    expect(await response.text()).toContain('nothing was changed');
    expect(doc.commands).toEqual([]);
    expect(jar.names()).toContain('__Host-portal_session');
  });

  it.each(posts)('POST %s with a wrong token or no session is refused with 403', async (path) => {
    const jar = await harness.signIn('dana');
    doc.commands.length = 0;
    const wrong = await harness.request('POST', path, { jar, form: { _csrf: 'not-the-token' } });
    expect(wrong.status).toBe(403);
    const token = await harness.csrf(jar, '/onboarding');
    doc.commands.length = 0;
    const anonymous = await harness.request('POST', path, { form: { _csrf: token } });
    expect(anonymous.status).toBe(403);
    expect(doc.commands).toEqual([]);
  });

  it('POST /logout with the token clears the session and flash cookies', async () => {
    const jar = await harness.signIn('dana');
    const token = await harness.csrf(jar, '/onboarding');
    const response = await harness.request('POST', '/logout', { jar, form: { _csrf: token } });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/signed-out');
    const cleared = response.headers.getSetCookie();
    expect(cleared).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^__Host-portal_session=;.*Max-Age=0/),
        expect.stringMatching(/^__Host-portal_flash=;.*Max-Age=0/),
      ]),
    );
    expect(jar.names()).not.toContain('__Host-portal_session');
    expect((await harness.request('GET', '/dashboard', { jar })).headers.get('location')).toBe('/login');
  });

  it('after logout the old session cookie, replayed, signs no one in: pages ask for a sign-in, posts get 403', async () => {
    const jar = await harness.signIn('dana');
    const replayed = `__Host-portal_session=${jar.get('__Host-portal_session')!}`;
    const token = await harness.csrf(jar, '/onboarding');
    await harness.request('POST', '/logout', { jar, form: { _csrf: token } });
    for (const path of ['/', '/onboarding', '/dashboard']) {
      const page = await harness.request('GET', path, { headers: { cookie: replayed } });
      expect([path, page.status, page.headers.get('location')]).toEqual([path, 303, '/login']);
      expect(page.headers.getSetCookie()).toEqual([expect.stringMatching(/^__Host-portal_session=;.*Max-Age=0/)]);
    }
    doc.commands.length = 0;
    const post = await harness.request('POST', '/onboarding', {
      headers: { cookie: replayed },
      form: { _csrf: token, orgId: 'acme-corp', orgName: 'ACME' },
    });
    expect(post.status).toBe(403);
    expect(await post.text()).toContain('Your session has ended');
    expect(doc.commands).toEqual(['GetCommand']);
  });
});

describe('onboarding form', () => {
  const invalid: Array<[string, string, string, string]> = [
    ['an upper-case id', 'Acme', 'ACME', 'orgId-error'],
    ['a one-character id', 'a', 'ACME', 'orgId-error'],
    ['an id with a #', 'acme#x', 'ACME', 'orgId-error'],
    ['an empty name', 'acme-corp', '   ', 'orgName-error'],
    ['a name over 128 characters', 'acme-corp', 'x'.repeat(129), 'orgName-error'],
  ];

  it.each(invalid)(
    '%s is shown on the form, labelled, and nothing is written',
    async (_name, orgId, orgName, errorId) => {
      const jar = await harness.signIn('dana');
      const token = await harness.csrf(jar, '/onboarding');
      doc.commands.length = 0;
      const response = await harness.request('POST', '/onboarding', { jar, form: { _csrf: token, orgId, orgName } });
      expect(response.status).toBe(400);
      const page = await response.text();
      expect(page).toContain(`id="${errorId}"`);
      expect(page).toContain('aria-invalid="true"');
      // Reads only: the session, the user's membership, then whether their email owns an org.
      expect(doc.commands).toEqual(['GetCommand', 'GetCommand', 'GetCommand']);
    },
  );

  it('what the user typed is echoed escaped, never as markup', async () => {
    const jar = await harness.signIn('dana');
    const token = await harness.csrf(jar, '/onboarding');
    const response = await harness.request('POST', '/onboarding', {
      jar,
      form: { _csrf: token, orgId: '"><script>alert(1)</script>', orgName: '<img src=x onerror=alert(1)>' },
    });
    const page = await response.text();
    expect(page).not.toContain('<script>');
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('every field of the form has a label', async () => {
    const jar = await harness.signIn('dana');
    const page = await (await harness.request('GET', '/onboarding', { jar })).text();
    const ids = [...page.matchAll(/<input\s+type="text"\s+id="([^"]+)"/g)].map((match) => match[1]);
    expect(ids).toEqual(['orgId', 'orgName']);
    for (const id of ids) expect(page).toContain(`<label for="${id}">`);
    expect(page).not.toContain('<script');
  });
});
