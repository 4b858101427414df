/**
 * The three repositories every handler that touches tenants, keys and
 * webhooks builds from its environment: one place that knows which table
 * variable feeds which repository.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../core/clock';
import { requiredString } from '../shared/env';
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
}

export function platformRepositories(
  doc: DynamoDBDocumentClient,
  env: PlatformTablesEnvironment,
  clock: Clock,
): PlatformRepositories {
  return {
    tenants: new TenantsRepository({ doc, tableName: env.TENANTS_TABLE, clock }),
    keys: new ApiKeysRepository({
      doc,
      apiKeysTableName: env.API_KEYS_TABLE,
      tenantsTableName: env.TENANTS_TABLE,
      clock,
    }),
    webhooks: new WebhooksRepository({ doc, tableName: env.WEBHOOKS_TABLE, clock }),
  };
}
