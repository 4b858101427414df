/**
 * The authorizer's environment, checked by hand rather than with zod: the
 * authorizer runs on every partner request and zod alone was 450 KB of its
 * bundle. Same error and messages as the other handlers' readEnv.
 *
 * API_KEYS_TABLE, TENANTS_TABLE (table names), AUTHORIZER_CACHE_TTL_SECONDS
 * (the stage's authorizer TTL, a whole number from 0 to
 * PARTNER_AUTHORIZER_CACHE_SECONDS, so no cached answer outlives a key).
 */
import { PARTNER_AUTHORIZER_CACHE_SECONDS } from '../core/contracts';
import { EnvironmentError } from '../shared/environment-error';

export interface AuthorizerEnvironment {
  readonly API_KEYS_TABLE: string;
  readonly TENANTS_TABLE: string;
  readonly AUTHORIZER_CACHE_TTL_SECONDS: number;
}

type Source = Readonly<Record<string, string | undefined>>;

/** @throws EnvironmentError naming every missing or malformed variable (never its value). */
export function readAuthorizerEnvironment(source: Source = process.env): AuthorizerEnvironment {
  const problems: [string, string][] = [];
  const text = (name: string): string => {
    const value = source[name]?.trim() ?? '';
    if (value === '') problems.push([name, source[name] === undefined ? 'is not set' : 'is empty']);
    return value;
  };
  const apiKeysTable = text('API_KEYS_TABLE');
  const tenantsTable = text('TENANTS_TABLE');
  const ttlText = text('AUTHORIZER_CACHE_TTL_SECONDS');
  const ttl = Number(ttlText);
  if (ttlText !== '' && !(Number.isInteger(ttl) && ttl >= 0 && ttl <= PARTNER_AUTHORIZER_CACHE_SECONDS)) {
    problems.push([
      'AUTHORIZER_CACHE_TTL_SECONDS',
      `must be a whole number from 0 to ${PARTNER_AUTHORIZER_CACHE_SECONDS}`,
    ]);
  }
  if (problems.length > 0) {
    throw new EnvironmentError(
      `Invalid handler environment: ${problems.map(([name, reason]) => `${name} ${reason}`).join('; ')}`,
      problems.map(([name]) => name),
    );
  }
  return { API_KEYS_TABLE: apiKeysTable, TENANTS_TABLE: tenantsTable, AUTHORIZER_CACHE_TTL_SECONDS: ttl };
}
