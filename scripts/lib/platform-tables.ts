/**
 * The platform's tables in DynamoDB Local, created from the synthesized
 * PlatformStack template so integration tests and the key benchmark run
 * against the deployed key schema and indexes. Each call creates a fresh set
 * of tables under a unique prefix.
 *
 * The template is synthesized in process, without bundling any Lambda asset,
 * once for every test file and benchmark: it is kept in
 * node_modules/.cache/partner-platform/test-templates under the digest of
 * every source file a template can be made of (lib/, lambda/, bin/, the
 * package and compiler files: lib/bundle-input-hash.ts), of this file and of
 * template-app.ts, so any change to them synthesizes it again. A file that reads
 * it from there never loads aws-cdk-lib for it (about 4 s of CPU a file).
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PlatformTableNames } from '../../lambda/repositories/platform-repositories';
import { appSourceDigest } from '../../lib/bundle-input-hash';
import { contentKey, ValidationCache } from '../../lib/validation-cache/validation-cache';
import { createTablesFromTemplate, deleteTables } from '../../local/tables-from-template';
import { uniqueTablePrefix } from './unique-table-prefix';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

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

/** The stack the tables come from. */
const STACK = {
  id: 'P',
  props: { environmentName: 'dev', allowHttpWebhooks: false, platformBusName: 'b', archiveRetentionDays: 1 },
} as const;

const TEMPLATES = new ValidationCache(
  path.join(REPO_ROOT, 'node_modules', '.cache', 'partner-platform', 'test-templates'),
);
const KIND = 'platform-tables-template';

let cachedTemplate: object | undefined;

/** The PlatformStack template: from the cache when no source changed, else synthesized (once per process). */
export function platformTemplate(): object {
  if (cachedTemplate === undefined) {
    const key = contentKey([
      appSourceDigest(REPO_ROOT),
      ...[__filename, path.join(__dirname, 'template-app.ts')].map((file) => readFileSync(file, 'utf8')),
    ]);
    cachedTemplate = TEMPLATES.get<object>(KIND, key);
    if (cachedTemplate === undefined) {
      cachedTemplate = synthesizePlatformTemplate();
      TEMPLATES.put(KIND, key, cachedTemplate);
    }
  }
  return cachedTemplate;
}

/** Loads aws-cdk-lib only here, for a template the cache does not hold. */
function synthesizePlatformTemplate(): object {
  const { Duration } = require('aws-cdk-lib') as typeof import('aws-cdk-lib');
  const { Template } = require('aws-cdk-lib/assertions') as typeof import('aws-cdk-lib/assertions');
  const { PlatformStack } = require('../../lib/platform-stack') as typeof import('../../lib/platform-stack');
  const { templateApp } = require('./template-app') as typeof import('./template-app');
  const { archiveRetentionDays, ...props } = STACK.props;
  const stack = new PlatformStack(templateApp(), STACK.id, {
    ...props,
    archiveRetention: Duration.days(archiveRetentionDays),
  });
  return Template.fromStack(stack).toJSON();
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
