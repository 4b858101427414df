/**
 * The three repositories every handler that touches tenants, keys and
 * webhooks builds from its environment: one place that knows which table
 * variable feeds which repository.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT, MAX_ACTIVE_PER_ENVIRONMENT_CAP } from '../core/api-keys';
import type { Clock } from '../core/clock';
import { KEY_POLICY_ENV } from '../core/contracts';
import { optionalString, requiredString } from '../shared/env';
import { ActivityRepository } from './activity-repository';
import { ApiKeysRepository } from './api-keys-repository';
import { TenantsRepository } from './tenants-repository';
import { WebhooksRepository } from './webhooks-repository';

export { KEY_POLICY_ENV };

const KEY_LIMIT_MESSAGE = `must be a whole number of keys from 1 to ${MAX_ACTIVE_PER_ENVIRONMENT_CAP}`;

/**
 * The environment's key policy (`apiKey.maxActivePerEnvironment` in
 * config/<env>.yaml), set beside the table names on every function that
 * binds the platform tables, so every door that issues keys applies the
 * same limit. Unset means the default (1).
 */
export const keyPolicyVariable = optionalString
  .transform((value) => (value === undefined ? DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT : Number(value)))
  .pipe(
    z.number().int(KEY_LIMIT_MESSAGE).min(1, KEY_LIMIT_MESSAGE).max(MAX_ACTIVE_PER_ENVIRONMENT_CAP, KEY_LIMIT_MESSAGE),
  );

/** The table variables, to spread into a handler's environment schema. */
export const platformTablesEnvironment = {
  TENANTS_TABLE: requiredString,
  API_KEYS_TABLE: requiredString,
  WEBHOOKS_TABLE: requiredString,
  [KEY_POLICY_ENV]: keyPolicyVariable,
};

export interface PlatformTablesEnvironment {
  readonly TENANTS_TABLE: string;
  readonly API_KEYS_TABLE: string;
  readonly WEBHOOKS_TABLE: string;
  /** @default 1 */
  readonly [KEY_POLICY_ENV]?: number;
}

export interface PlatformRepositories {
  readonly tenants: TenantsRepository;
  readonly keys: ApiKeysRepository;
  readonly webhooks: WebhooksRepository;
  /** The orgs' activity logs (team changes), in the tenants table. */
  readonly activity: ActivityRepository;
}

/** The physical names of the three tables. */
export interface PlatformTableNames {
  readonly tenants: string;
  readonly apiKeys: string;
  readonly webhooks: string;
}

export interface RepositoryOptions {
  /** Drops the partner API's cached authorizer answers after a revoke or rotation. @default none */
  readonly flushAuthorizerCache?: () => Promise<void>;
  /** The environment's key policy limit. @default 1 */
  readonly maxActivePerEnvironment?: number;
}

/** The three repositories over the named tables. */
export function repositoriesFor(
  doc: DynamoDBDocumentClient,
  tables: PlatformTableNames,
  clock: Clock,
  options: RepositoryOptions = {},
): PlatformRepositories {
  return {
    tenants: new TenantsRepository({ doc, tableName: tables.tenants, clock }),
    keys: new ApiKeysRepository({
      doc,
      apiKeysTableName: tables.apiKeys,
      tenantsTableName: tables.tenants,
      clock,
      ...(options.flushAuthorizerCache === undefined ? {} : { flushAuthorizerCache: options.flushAuthorizerCache }),
      ...(options.maxActivePerEnvironment === undefined
        ? {}
        : { maxActivePerEnvironment: options.maxActivePerEnvironment }),
    }),
    webhooks: new WebhooksRepository({ doc, tableName: tables.webhooks, clock }),
    activity: new ActivityRepository(doc, tables.tenants),
  };
}

/** The three repositories over the tables a handler's environment names. */
export function platformRepositories(
  doc: DynamoDBDocumentClient,
  env: PlatformTablesEnvironment,
  clock: Clock,
  options: RepositoryOptions = {},
): PlatformRepositories {
  return repositoriesFor(
    doc,
    { tenants: env.TENANTS_TABLE, apiKeys: env.API_KEYS_TABLE, webhooks: env.WEBHOOKS_TABLE },
    clock,
    env[KEY_POLICY_ENV] === undefined ? options : { maxActivePerEnvironment: env[KEY_POLICY_ENV], ...options },
  );
}
