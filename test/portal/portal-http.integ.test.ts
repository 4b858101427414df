/**
 * The portal over real HTTP, without a browser: the local OIDC issuer
 * (oidc-provider) and the local portal on 127.0.0.1, against DynamoDB Local.
 * A small client (portal-http-client.ts) follows redirects and keeps cookies
 * as a browser would.
 */
import { request } from 'node:http';
import { PortalHttpClient } from './portal-http-client';
import { TEST_USER, CLIENT_ID, type PortalWorld, UNVERIFIED_USERS, startPortalWorld } from './portal-world';

let world: PortalWorld;

beforeAll(async () => {
  world = await startPortalWorld('portal-http');
}, 60_000);

afterAll(async () => {
  await world?.close();
}, 30_000);

/** The shared HTTP client, signing in at this world's portal. */
class Client extends PortalHttpClient {
  public constructor() {
    super(world.portalUrl);
  }
}

/** A raw GET with the headers given as they are (fetch will not send a forged Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; location?: string }> {
  return new Promise((resolve, reject) => {
    const call = request(url, { headers }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, location: response.headers.location });
    });
    call.on('error', reject);
    call.end();
  });
}

const csrfOf = (page: string) => /name="_csrf" value="([^"]+)"/.exec(page)![1];

describe('portal over HTTP with the local OIDC issuer', () => {
  it('signs in with authorization code + PKCE, onboards, shows the key once, and the key passes the partner probe', async () => {
    const client = new Client();
    const loginPage = await client.go(`${world.portalUrl}/`);
    expect(loginPage.url.startsWith(world.issuerUrl)).toBe(true);
    const action = /<form[^>]*action="([^"]+)"/.exec(loginPage.body)![1];
    const onboarding = await client.go(new URL(action, loginPage.url).href, {
      method: 'POST',
      form: { prompt: 'login', login: TEST_USER.sub, password: 'anything' },
    });
    expect(onboarding.url).toBe(`${world.portalUrl}/onboarding`);
    expect(onboarding.body).toContain(`Welcome, ${TEST_USER.name}`);
    expect(client.has('portal_session')).toBe(true);

    const dashboard = await client.go(`${world.portalUrl}/onboarding`, {
      method: 'POST',
      form: { _csrf: csrfOf(onboarding.body), orgId: 'http-partner', orgName: 'HTTP Partner' },
    });
    expect(dashboard.url).toBe(`${world.portalUrl}/dashboard?notice=onboarded`);
    const key = /id="revealed-key">([^<]+)</.exec(dashboard.body)![1];
    const tenant = await world.repositories.tenants.require('http-partner');
    expect(tenant.ownerEmail).toBe(TEST_USER.email);

    const reload = await client.go(`${world.portalUrl}/dashboard`);
    expect(reload.body).not.toContain(key);
    expect(await world.callProbe(key)).toEqual({
      status: 200,
      body: expect.objectContaining({ orgId: 'http-partner', keyPrefix: key.slice(0, 8) }),
    });

    const signedOut = await client.go(`${world.portalUrl}/logout`, {
      method: 'POST',
      form: { _csrf: csrfOf(reload.body) },
    });
    expect(signedOut.url).toBe(`${world.portalUrl}/signed-out`);
    expect(client.has('portal_session')).toBe(false);
  });

  it.each(UNVERIFIED_USERS.map((user) => [user.emailVerified === false ? 'false' : 'left out', user.sub]))(
    'an ID token with email_verified %s from the real issuer signs no one in',
    async (_case, sub) => {
      const client = new Client();
      const page = await client.signIn(sub);
      expect(page.status).toBe(403);
      expect(page.body).toContain('did not confirm that your email address is verified');
      expect(client.has('portal_session')).toBe(false);
      expect(await rawGet(`${world.portalUrl}/dashboard`, { cookie: client.header() })).toEqual({
        status: 303,
        location: '/login',
      });
    },
  );

  it('after sign-out the old session cookie, replayed, gets the sign-in page', async () => {
    const client = new Client();
    // Onboarding or the dashboard, depending on which test ran first: both carry the sign-out form.
    const signedIn = await client.signIn(TEST_USER.sub);
    const cookie = `portal_session=${client.get('portal_session')!}`;
    expect((await rawGet(`${world.portalUrl}/`, { cookie })).location).not.toBe('/login');
    await client.go(`${world.portalUrl}/logout`, { method: 'POST', form: { _csrf: csrfOf(signedIn.body) } });
    for (const path of ['/', '/onboarding', '/dashboard']) {
      expect([path, await rawGet(`${world.portalUrl}${path}`, { cookie })]).toEqual([
        path,
        { status: 303, location: '/login' },
      ]);
    }
  });

  it.each(['evil.example', 'evil.example:8443', '127.0.0.1:1'])(
    'a forged Host header (%s) does not reach the redirect URI',
    async (host) => {
      const login = await rawGet(`${world.portalUrl}/login`, { host });
      expect(login.status).toBe(302);
      expect(new URL(login.location!).searchParams.get('redirect_uri')).toBe(`${world.portalUrl}/callback`);
    },
  );

  it('the issuer refuses an authorization request without PKCE', async () => {
    const url = new URL(`${world.issuerUrl}/auth`);
    url.search = new URLSearchParams({
      client_id: CLIENT_ID,
      response_type: 'code',
      scope: 'openid email',
      redirect_uri: `${world.portalUrl}/callback`,
      state: 'no-pkce',
    }).toString();
    const response = await fetch(url, { redirect: 'manual' });
    const location = new URL(response.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('error_description')).toMatch(/PKCE/);
  });

  it('the portal is healthy and serves its stylesheet', async () => {
    expect((await fetch(`${world.portalUrl}/healthz`)).status).toBe(200);
    const css = await fetch(`${world.portalUrl}/static/portal.css`);
    expect(css.headers.get('content-type')).toContain('text/css');
  });
});
