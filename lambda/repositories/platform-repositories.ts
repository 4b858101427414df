/**
 * The three repositories every handler that touches tenants, keys and
 * webhooks builds from its environment: one place that knows which table
 * variable feeds which repository.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../core/clock';
import { requiredString } from '../shared/env';
import { ActivityRepository } from './activity-repository';
import { ApiKeysRepository } from './api-keys-repository';
import { TenantsRepository } from './tenants-repository';
import { WebhooksRepository } from './webhooks-repository';

/** The table variables, to spread into a handler's environment schema. */
export const platformTablesEnvironment = {
  TENANTS_TABLE: requiredString,
  API_KEYS_TABLE: requiredString,
  WEBHOOKS_TABLE: requiredString,
};

export interface PlatformTablesEnvironment {
  readonly TENANTS_TABLE: string;
  readonly API_KEYS_TABLE: string;
  readonly WEBHOOKS_TABLE: string;
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
    options,
  );
}
