/**
 * A local OpenID Connect issuer for the portal: `oidc-provider` on
 * 127.0.0.1 with its development login form, where any login is accepted
 * (type a test user's sub or email; the password is ignored). Codes need
 * PKCE, ID tokens carry `email` and `email_verified` (true, or per test user
 * false or left out), and the consent step
 * is skipped for the configured clients, as a first-party IdP would. For the
 * local runtime and tests only: the signing keys and cookie keys are made up
 * at start and nothing persists.
 */
import { randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { runInThisContext } from 'node:vm';
import { loadEsm } from './esm';
import { listenOnLoopback } from './loopback';

export interface LocalIssuerClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: string[];
}

export interface LocalIssuerUser {
  readonly sub: string;
  readonly email: string;
  readonly name?: string;
  /**
   * The `email_verified` claim of this user's ID token: `'absent'` leaves it
   * out, as some issuers do, for testing that the portal refuses both.
   * @default true
   */
  readonly emailVerified?: boolean | 'absent';
}

export interface LocalIssuerOptions {
  /** @default a free port */
  readonly port?: number;
  readonly clients: LocalIssuerClient[];
  /**
   * Known users, found by the login typed (their sub or their email) for
   * their email and name. The ID token's `sub` is the login as typed, so sign
   * in the same way each time; any other login signs in as itself, with
   * itself as email when it looks like one.
   */
  readonly users?: LocalIssuerUser[];
}

export interface LocalIssuer {
  /** The issuer identifier, `http://127.0.0.1:<port>`. */
  readonly url: string;
  stop(): Promise<void>;
}

const SCOPES = 'openid email profile';

/** The slice of oidc-provider used here (the package ships no type declarations). */
interface Grant {
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
}
interface GrantClass {
  new (init: { clientId: string; accountId: string }): Grant;
  find(id: string): Promise<Grant | undefined>;
}
interface ProviderContext {
  readonly oidc: {
    readonly client?: { readonly clientId: string };
    readonly session?: { readonly accountId?: string; grantIdFor(clientId: string): string | undefined };
    readonly provider: { readonly Grant: GrantClass };
  };
}
interface Account {
  readonly accountId: string;
  claims(): Promise<Record<string, unknown>>;
}
interface ProviderInstance {
  callback(): (request: unknown, response: unknown) => void;
  on(event: string, listener: (...args: unknown[]) => void): void;
}
interface OidcProviderModule {
  readonly default: new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;
}

/**
 * oidc-provider tells plain objects by `value.constructor === Object`. Under
 * jest this module runs in a vm context whose `Object` is not the one the
 * really-required oidc-provider sees, so its defaults would not merge. This
 * copies plain objects and arrays into the host realm (a no-op in plain Node);
 * functions are kept as they are.
 */
const inHostRealm = runInThisContext(`(function copy(value) {
  if (Array.isArray(value)) return Array.from(value, copy);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(Object.getPrototypeOf(value)) === null) {
    const out = {};
    for (const key of Object.keys(value)) out[key] = copy(value[key]);
    return out;
  }
  return value;
})`) as <T>(value: T) => T;

/**
 * Runs `make` with oidc-provider's start-up warnings (Node 20 is not an LTS
 * it supports; in-memory adapter, made-up keys and dev interactions are
 * development-only) dropped: every one is by design here, as the header says.
 */
function withoutProviderWarnings<T>(make: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING')) return;
    warn(...args);
  };
  try {
    return make();
  } finally {
    console.warn = warn;
  }
}

export async function startLocalIssuer(options: LocalIssuerOptions): Promise<LocalIssuer> {
  const { default: Provider } = withoutProviderWarnings(() => loadEsm<OidcProviderModule>('oidc-provider'));
  const server: Server = createServer();
  const listening = await listenOnLoopback(server, options.port ?? 0);
  const { url } = listening;

  const users = options.users ?? [];
  const userFor = (login: string): LocalIssuerUser | undefined =>
    users.find((user) => user.sub === login || user.email.toLowerCase() === login.toLowerCase());

  const provider = withoutProviderWarnings(
    () =>
      new Provider(
        url,
        inHostRealm({
          clients: options.clients.map((client) => ({
            client_id: client.clientId,
            client_secret: client.clientSecret,
            redirect_uris: client.redirectUris,
            grant_types: ['authorization_code'],
            response_types: ['code'],
            token_endpoint_auth_method: 'client_secret_basic',
          })),
          pkce: { required: () => true },
          features: { devInteractions: { enabled: true } },
          claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
          // The portal reads the email from the ID token, not from userinfo.
          conformIdTokenClaims: false,
          cookies: { keys: [randomBytes(32).toString('base64url')] },
          async findAccount(_ctx: ProviderContext, accountId: string): Promise<Account> {
            const user = userFor(accountId);
            const email = user?.email ?? (accountId.includes('@') ? accountId : undefined);
            const verified = user?.emailVerified ?? true;
            return {
              accountId,
              claims: async () => ({
                sub: accountId,
                ...(email === undefined ? {} : { email }),
                ...(email === undefined || verified === 'absent' ? {} : { email_verified: verified }),
                ...(user?.name === undefined ? {} : { name: user.name }),
              }),
            };
          },
          // First-party clients: grant the portal's scopes without a consent page.
          async loadExistingGrant(ctx: ProviderContext): Promise<Grant | undefined> {
            const { client, session, provider: self } = ctx.oidc;
            if (client === undefined || session?.accountId === undefined) return undefined;
            const existing = session.grantIdFor(client.clientId);
            if (existing !== undefined) {
              const found = await self.Grant.find(existing);
              if (found !== undefined) return found;
            }
            const grant = new self.Grant({ clientId: client.clientId, accountId: session.accountId });
            grant.addOIDCScope(SCOPES);
            await grant.save();
            return grant;
          },
          // The local runtime restarts often; short-lived everything.
          ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600, Session: 3600, Grant: 3600 },
        }),
      ),
  );
  // Quiet in tests: the development-only warnings are expected here.
  provider.on('server_error', () => undefined);
  server.on('request', provider.callback());

  return {
    url,
    stop: () => listening.stop(),
  };
}
