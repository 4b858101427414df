/**
 * A small HTTP client for the portal over real HTTP, without a browser: one
 * cookie jar for 127.0.0.1 (cookies ignore ports), redirects followed by
 * hand, and sign-in through the local OIDC issuer's login form.
 */
export class PortalHttpClient {
  /** The user agent every request states, as a browser would (the activity log keeps it). */
  public static readonly USER_AGENT = 'portal-http-client/1.0';

  private readonly cookies = new Map<string, string>();

  public constructor(private readonly portalUrl: string) {}

  public async go(
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<{ url: string; status: number; body: string }> {
    let current = url;
    let method = init.method ?? 'GET';
    let body: string | undefined = init.form === undefined ? undefined : new URLSearchParams(init.form).toString();
    for (let hops = 0; hops < 15; hops++) {
      const headers: Record<string, string> = {
        cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
        'user-agent': PortalHttpClient.USER_AGENT,
      };
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

  public header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  public get(name: string): string | undefined {
    return this.cookies.get(name);
  }

  /** Through the issuer's login form as `login`: the page the portal ends on. */
  public async signIn(login: string): Promise<{ url: string; status: number; body: string }> {
    const loginPage = await this.go(`${this.portalUrl}/login`);
    const action = /<form[^>]*action="([^"]+)"/.exec(loginPage.body)![1];
    return this.go(new URL(action, loginPage.url).href, {
      method: 'POST',
      form: { prompt: 'login', login, password: 'anything' },
    });
  }
}
