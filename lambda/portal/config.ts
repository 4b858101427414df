/**
 * The portal's runtime configuration. It is validated on every request (a
 * zod parse of a few strings is cheap), so a setting broken after deploy, or
 * a secret that stopped being readable, shows a page naming the setting
 * instead of a stack trace or, worse, a half-working sign-in. Values are
 * never echoed: several of them are secrets.
 */
import { z } from 'zod';
import { KEY_POLICY_ENV, type PlatformTableNames, keyPolicyVariable } from '../repositories/platform-repositories';
import { booleanFlag, optionalString, requiredString } from '../shared/env';
import { PLATFORM_BUS_ENV } from '../shared/event-publisher';
import { DEFAULT_TEST_EVENTS_PER_MINUTE, TEST_EVENTS_PER_MINUTE_ENV } from './test-event-limit';

/** The shortest session secret accepted: 32 characters, the HMAC-SHA256 key size. */
export const MIN_SESSION_SECRET_LENGTH = 32;

/** Hosts on which the portal may run over plain HTTP: the local runtime only. */
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLocalHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname);
}

const httpsOrLocal = (what: string) =>
  z
    .url({ error: `must be an absolute URL (${what})` })
    .transform((value) => new URL(value))
    .refine((url) => url.protocol === 'https:' || isLocalHttp(url), {
      message: `must use https:// (plain http:// only on 127.0.0.1 or localhost, for the local runtime)`,
    })
    .refine((url) => url.username === '' && url.password === '' && url.search === '' && url.hash === '', {
      message: 'must not carry credentials, a query or a fragment',
    });

/**
 * Every setting, by the name an operator knows it by: the Lambda's
 * environment variable, or for the two secret values the variable naming
 * the secret that holds them.
 */
export const portalSettingsSchema = z.object({
  PORTAL_ISSUER_URL: httpsOrLocal('the OIDC issuer'),
  PORTAL_CLIENT_ID: requiredString,
  PORTAL_CLIENT_SECRET: requiredString,
  PORTAL_SESSION_SECRET: z
    .string({ error: 'is not set' })
    .min(MIN_SESSION_SECRET_LENGTH, `must be at least ${MIN_SESSION_SECRET_LENGTH} characters of random data`),
  // Required: redirect URIs and links are never built from a request's Host header.
  PORTAL_BASE_URL: z
    .string({ error: 'is not set (the origin partners open; the portal never takes it from a request)' })
    .trim()
    .pipe(
      httpsOrLocal('the portal as partners reach it').refine((url) => url.pathname === '/', {
        message: 'must be an origin without a path, e.g. https://portal.example.com',
      }),
    ),
  TENANTS_TABLE: requiredString,
  API_KEYS_TABLE: requiredString,
  WEBHOOKS_TABLE: requiredString,
  /** The environment's key policy limit (live keys per org and environment). @default 1 */
  [KEY_POLICY_ENV]: keyPolicyVariable,
  ALLOW_HTTP_WEBHOOKS: booleanFlag,
  WEBHOOK_SECRET_PREFIX: optionalString,
  /** The platform bus test events go through; without it the portal sends none. */
  [PLATFORM_BUS_ENV]: optionalString,
  /** How many test events each org may send a minute. @default 10 */
  [TEST_EVENTS_PER_MINUTE_ENV]: optionalString
    .transform((value) => (value === undefined ? DEFAULT_TEST_EVENTS_PER_MINUTE : Number(value)))
    .pipe(
      z
        .number()
        .int('must be a whole number of test events per minute')
        .min(1, 'must be at least 1 test event per minute')
        .max(600, 'must be at most 600 test events per minute'),
    ),
});

export type PortalSettingName = keyof z.input<typeof portalSettingsSchema>;

/** Where a setting comes from, for the error page. */
const SETTING_SOURCES: Readonly<Partial<Record<PortalSettingName, string>>> = {
  PORTAL_CLIENT_SECRET: 'the SecretString of the secret named by PORTAL_CLIENT_SECRET_ID',
  PORTAL_SESSION_SECRET: 'the SecretString of the secret named by PORTAL_SESSION_SECRET_ID',
};

/** The raw values, as the environment (and Secrets Manager) hold them. */
export interface RawPortalSettings {
  readonly values: Readonly<Partial<Record<PortalSettingName, string | undefined>>>;
  /** Settings whose source could not be read (e.g. a secret that is missing or not readable). */
  readonly unreadable?: readonly PortalSettingName[];
}

/** The settings an operator may get wrong, as the portal uses them. */
export interface PortalSettings {
  readonly issuerUrl: URL;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly sessionSecret: string;
  /** The origin partners open: redirect URIs and links start here, never at a request's Host. */
  readonly baseUrl: URL;
  readonly tables: PlatformTableNames;
  /** The environment's key policy limit. */
  readonly maxActiveKeysPerEnvironment: number;
  readonly allowHttpWebhooks: boolean;
  /** Secrets Manager name prefix for webhook secrets; without it the portal cannot create a webhook. */
  readonly webhookSecretPrefix?: string;
  /** Where test events are published; without it the portal sends none. */
  readonly platformBusName?: string;
  /** Test events each org may send a minute. */
  readonly testEventsPerMinute: number;
}

/** One problem with one setting; says what is wrong, never the value. */
export interface SettingProblem {
  readonly setting: string;
  readonly message: string;
}

export type SettingsResult =
  | { readonly ok: true; readonly settings: PortalSettings }
  | { readonly ok: false; readonly problems: readonly SettingProblem[] };

export function parsePortalSettings(raw: RawPortalSettings): SettingsResult {
  const unreadable = new Set(raw.unreadable ?? []);
  const problems: SettingProblem[] = [...unreadable].map((setting) => ({
    setting,
    message: `could not be read from ${SETTING_SOURCES[setting] ?? 'its source'}`,
  }));
  const parsed = portalSettingsSchema.safeParse(raw.values);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const setting = String(issue.path[0] ?? '(settings)') as PortalSettingName;
      if (unreadable.has(setting)) continue;
      const source = SETTING_SOURCES[setting];
      problems.push({ setting, message: source === undefined ? issue.message : `${issue.message} (${source})` });
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  const values = parsed.data;
  return {
    ok: true,
    settings: {
      issuerUrl: values.PORTAL_ISSUER_URL,
      clientId: values.PORTAL_CLIENT_ID,
      clientSecret: values.PORTAL_CLIENT_SECRET,
      sessionSecret: values.PORTAL_SESSION_SECRET,
      baseUrl: values.PORTAL_BASE_URL,
      tables: { tenants: values.TENANTS_TABLE, apiKeys: values.API_KEYS_TABLE, webhooks: values.WEBHOOKS_TABLE },
      maxActiveKeysPerEnvironment: values[KEY_POLICY_ENV],
      allowHttpWebhooks: values.ALLOW_HTTP_WEBHOOKS,
      ...(values.WEBHOOK_SECRET_PREFIX === undefined ? {} : { webhookSecretPrefix: values.WEBHOOK_SECRET_PREFIX }),
      ...(values[PLATFORM_BUS_ENV] === undefined ? {} : { platformBusName: values[PLATFORM_BUS_ENV] }),
      testEventsPerMinute: values[TEST_EVENTS_PER_MINUTE_ENV],
    },
  };
}
