/**
 * The platform's tables in DynamoDB Local, created from the synthesized
 * PlatformStack template so integration tests and the key benchmark run
 * against the deployed key schema and indexes. The template is built once
 * per process (in process, without bundling any Lambda asset); each call
 * creates a fresh set of tables under a unique prefix.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { App, Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { PlatformTableNames } from '../../lambda/repositories/platform-repositories';
import { PlatformStack } from '../../lib/platform-stack';
import { createTablesFromTemplate, deleteTables } from '../../local/tables-from-template';
import { uniqueTablePrefix } from './unique-table-prefix';

/** The three platform tables and the usage table (which only the usage code reads). */
export interface TestTableNames extends PlatformTableNames {
  readonly usage: string;
}

/** The logical-id prefixes PlatformTables gives its tables (the suffix is a hash). */
const LOGICAL_ID_PREFIXES: Readonly<Record<keyof TestTableNames, string>> = {
  tenants: 'TablesTenants',
  apiKeys: 'TablesApiKeys',
  webhooks: 'TablesWebhooks',
  usage: 'TablesUsage',
};

let cachedTemplate: object | undefined;

/** The PlatformStack template, synthesized once per test file. */
export function platformTemplate(): object {
  if (cachedTemplate === undefined) {
    // No bundling: the stack's Lambda functions must not run esbuild in tests.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new PlatformStack(app, 'P', {
      environmentName: 'dev',
      allowHttpWebhooks: false,
      platformBusName: 'b',
      archiveRetention: Duration.days(1),
    });
    cachedTemplate = Template.fromStack(stack).toJSON();
  }
  return cachedTemplate;
}

/** Creates the platform's tables under a new unique prefix; returns the tenants, API keys, webhooks and usage tables. */
export async function createPlatformTables(client: DynamoDBClient, label = 'it'): Promise<TestTableNames> {
  const prefix = uniqueTablePrefix(label);
  const created = await createTablesFromTemplate(client, platformTemplate(), {
    nameFor: (logicalId) => `${prefix}${logicalId}`,
  });
  const pick = (table: keyof TestTableNames): string => {
    const matches = Object.keys(created).filter((logicalId) => logicalId.startsWith(LOGICAL_ID_PREFIXES[table]));
    if (matches.length !== 1) {
      throw new Error(
        `Expected one table whose logical id starts with ${LOGICAL_ID_PREFIXES[table]}, found ${matches.length}: ${Object.keys(created).join(', ')}`,
      );
    }
    return created[matches[0]];
  };
  return { tenants: pick('tenants'), apiKeys: pick('apiKeys'), webhooks: pick('webhooks'), usage: pick('usage') };
}

export async function deletePlatformTables(
  client: DynamoDBClient,
  tables: PlatformTableNames | undefined,
): Promise<void> {
  if (tables !== undefined) await deleteTables(client, Object.values(tables));
}
