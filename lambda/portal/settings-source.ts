/**
 * The Lambda's settings: environment variables, read on every request, and
 * the two secret values (OIDC client secret, session secret) read from
 * Secrets Manager once per container and kept for a few minutes, so a
 * rotated secret is picked up without a redeploy and requests do not pay
 * for a Secrets Manager call each.
 *
 * The base URL is PORTAL_BASE_URL, or, when the deployment serves the portal
 * on its Function URL (PORTAL_BASE_URL_SOURCE=function-url: the URL is made
 * by the same deploy, so it cannot be in the function's own environment),
 * that Function URL's domain as Lambda states it in the invocation's
 * `requestContext.domainName` (never a Host header), checked to be a
 * Function URL domain and fixed by the first invocation. Neither: the
 * settings name PORTAL_BASE_URL as not set.
 */
import { type Clock, MINUTE_MS } from '../core/clock';
import type { SecretStore } from '../shared/secret-store';
import { PLATFORM_BUS_ENV } from '../shared/event-publisher';
import type { PortalSettingName, RawPortalSettings } from './config';
import { TEST_EVENTS_PER_MINUTE_ENV } from './test-event-limit';
import { KEY_POLICY_ENV } from '../repositories/platform-repositories';

export const SECRET_CACHE_TTL_MS = 5 * MINUTE_MS;

/** PORTAL_BASE_URL_SOURCE's one value: the base URL is the function's own Function URL. */
export const FUNCTION_URL_SOURCE = 'function-url';

/** `<url-id>.lambda-url.<region>.on.aws`, the only domain a Function URL has. */
const FUNCTION_URL_DOMAIN = /^[a-z0-9]{1,64}\.lambda-url\.[a-z0-9-]{1,32}\.on\.aws$/;

/** The Function URL domain of a Lambda invocation event, as Lambda set it; undefined for any other event. */
export function functionUrlDomainOf(event: unknown): string | undefined {
  const domain = (event as { requestContext?: { domainName?: unknown } } | undefined)?.requestContext?.domainName;
  return typeof domain === 'string' && FUNCTION_URL_DOMAIN.test(domain) ? domain : undefined;
}

/** Plain environment variables that are settings as they are. */
const PLAIN_SETTINGS = [
  'PORTAL_ISSUER_URL',
  'PORTAL_CLIENT_ID',
  'TENANTS_TABLE',
  'API_KEYS_TABLE',
  'WEBHOOKS_TABLE',
  KEY_POLICY_ENV,
  'ALLOW_HTTP_WEBHOOKS',
  'WEBHOOK_SECRET_PREFIX',
  PLATFORM_BUS_ENV,
  TEST_EVENTS_PER_MINUTE_ENV,
] as const satisfies readonly PortalSettingName[];

/** Settings whose value is the SecretString of the secret an environment variable names. */
const SECRET_SETTINGS = {
  PORTAL_CLIENT_SECRET: 'PORTAL_CLIENT_SECRET_ID',
  PORTAL_SESSION_SECRET: 'PORTAL_SESSION_SECRET_ID',
} as const satisfies Partial<Record<PortalSettingName, string>>;

type SecretSetting = keyof typeof SECRET_SETTINGS;

export function environmentSettingsSource(
  secrets: Pick<SecretStore, 'getSecretValue'>,
  clock: Clock,
  env: Readonly<Record<string, string | undefined>> = process.env,
  /** The Function URL domain the Lambda entry saw first (see {@link functionUrlDomainOf}). */
  functionUrlDomain: () => string | undefined = () => undefined,
): () => Promise<RawPortalSettings> {
  const cache = new Map<string, { value: Promise<string | undefined>; expiresAtMs: number }>();

  const read = (secretId: string): Promise<string | undefined> => {
    const nowMs = clock.now().getTime();
    const hit = cache.get(secretId);
    if (hit !== undefined && hit.expiresAtMs > nowMs) return hit.value;
    const value = secrets.getSecretValue(secretId).then((version) => version?.value);
    // A failed read is retried by the next request instead of being cached.
    value.catch(() => cache.delete(secretId));
    cache.set(secretId, { value, expiresAtMs: nowMs + SECRET_CACHE_TTL_MS });
    return value;
  };

  return async () => {
    const values: Partial<Record<PortalSettingName, string | undefined>> = {};
    for (const name of PLAIN_SETTINGS) values[name] = env[name];
    values.PORTAL_BASE_URL = env.PORTAL_BASE_URL ?? baseUrlFromFunctionUrl(env, functionUrlDomain);
    const unreadable: PortalSettingName[] = [];
    await Promise.all(
      (Object.entries(SECRET_SETTINGS) as [SecretSetting, string][]).map(async ([setting, variable]) => {
        const secretId = env[variable]?.trim();
        if (secretId === undefined || secretId === '') return; // reported by the schema as "is not set"
        try {
          values[setting] = await read(secretId);
        } catch {
          unreadable.push(setting);
        }
      }),
    );
    return { values, unreadable };
  };
}

function baseUrlFromFunctionUrl(
  env: Readonly<Record<string, string | undefined>>,
  functionUrlDomain: () => string | undefined,
): string | undefined {
  if (env.PORTAL_BASE_URL_SOURCE !== FUNCTION_URL_SOURCE) return undefined;
  const domain = functionUrlDomain();
  return domain === undefined ? undefined : `https://${domain}`;
}
