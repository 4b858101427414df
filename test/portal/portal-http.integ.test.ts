/**
 * The portal over real HTTP, without a browser: the local OIDC issuer
 * (oidc-provider) and the local portal on 127.0.0.1, against DynamoDB Local.
 * A small client follows redirects and keeps cookies as a browser would.
 */
import { TEST_USER, CLIENT_ID, type PortalWorld, startPortalWorld } from './portal-world';

let world: PortalWorld;

beforeAll(async () => {
  world = await startPortalWorld('portal-http');
}, 60_000);

afterAll(async () => {
  await world?.close();
}, 30_000);

/** One cookie jar for 127.0.0.1 (cookies ignore ports), redirects followed by hand. */
class Client {
  private readonly cookies = new Map<string, string>();

  public async go(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ url: string; status: number; body: string }> {
    let current = url;
    let method = init.method ?? 'GET';
    let body: string | undefined = init.form === undefined ? undefined : new URLSearchParams(init.form).toString();
    for (let hops = 0; hops < 15; hops++) {
      const headers: Record<string, string> = { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(current, { method, headers, body, redirect: 'manual' });
      for (const line of response.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const index = pair.indexOf('=');
        if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(pair.slice(0, index));
        else this.cookies.set(pair.slice(0, index), pair.slice(index + 1));
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) {
        return { url: current, status: response.status, body: await response.text() };
      }
      await response.arrayBuffer();
      current = new URL(location, current).href;
      method = 'GET';
      body = undefined;
    }
    throw new Error('too many redirects');
  }

  public has(name: string): boolean {
    return this.cookies.has(name);
  }
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
