/**
 * The Lambda's settings: environment variables, read on every request, and
 * the two secret values (OIDC client secret, session secret) read from
 * Secrets Manager once per container and kept for a few minutes, so a
 * rotated secret is picked up without a redeploy and requests do not pay
 * for a Secrets Manager call each.
 */
import { type Clock, MINUTE_MS } from '../core/clock';
import type { SecretStore } from '../shared/secret-store';
import type { PortalSettingName, RawPortalSettings } from './config';

export const SECRET_CACHE_TTL_MS = 5 * MINUTE_MS;

/** Plain environment variables that are settings as they are. */
const PLAIN_SETTINGS = [
  'PORTAL_ISSUER_URL',
  'PORTAL_CLIENT_ID',
  'PORTAL_BASE_URL',
  'TENANTS_TABLE',
  'API_KEYS_TABLE',
  'WEBHOOKS_TABLE',
  'ALLOW_HTTP_WEBHOOKS',
  'WEBHOOK_SECRET_PREFIX',
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
