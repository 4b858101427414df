/**
 * DynamoDB Local with the platform template's tables (reused when the data
 * directory already has them), named as the template names them.
 */
import * as path from 'node:path';
import type { Clock } from '../../lambda/core/clock';
import {
  KEY_POLICY_ENV,
  type PlatformTableNames,
  keyPolicyVariable,
  repositoriesFor,
} from '../../lambda/repositories/platform-repositories';
import type { StackArtifact } from '../cloud-assembly';
import { localDynamoClients, startDynamoDbLocal, type DynamoDbLocal } from '../dynamodb-local';
import { createTablesFromTemplate } from '../tables-from-template';
import { functionEnvironment } from './assembly';
import type { LocalTables } from './context';
import { LocalRuntimeError } from './errors';
import type { Stoppables } from './stoppables';

export async function startTables(
  platform: StackArtifact,
  dataDir: string | undefined,
  clock: Clock,
  stoppables: Stoppables,
  flushAuthorizerCache: () => Promise<void>,
): Promise<LocalTables> {
  const dynamo = stoppables.add(await startDynamoDb(dataDir));
  const { client, doc } = localDynamoClients(dynamo.endpoint);
  stoppables.onStop(() => client.destroy());
  const created = await createTablesFromTemplate(client, platform.template, {
    nameFor: (logicalId, properties) => localTableName(platform, logicalId, properties),
    reuseExisting: true,
  });
  const names = platformTableNames(platform, created);
  const usageTable = tableOfVariable(platform, created, 'usage-ingest', 'USAGE_TABLE');
  const maxActivePerEnvironment = keyPolicyOf(platform);
  return {
    endpoint: dynamo.endpoint,
    client,
    doc,
    names,
    repositories: repositoriesFor(doc, names, clock, {
      flushAuthorizerCache,
      maxActivePerEnvironment,
    }),
    maxActivePerEnvironment,
    ...(usageTable === undefined ? {} : { usageTable }),
  };
}

/** The name a template's table has locally: its `TableName`, or `<stack>-<logicalId>` where CloudFormation would generate one. */
export function localTableName(
  stack: StackArtifact,
  logicalId: string,
  properties: Readonly<Record<string, unknown>>,
): string {
  return typeof properties.TableName === 'string' ? properties.TableName : `${stack.stackName}-${logicalId}`;
}

async function startDynamoDb(dataDir: string | undefined): Promise<DynamoDbLocal> {
  try {
    return await startDynamoDbLocal(dataDir === undefined ? {} : { dataDir: path.join(dataDir, 'dynamodb') });
  } catch (error) {
    throw new LocalRuntimeError((error as Error).message.split('\n')[0], { cause: error });
  }
}

/** The local name of the table a function's variable refers to (`{Ref: logicalId}`), if any. */
function tableOfVariable(
  stack: StackArtifact,
  created: Record<string, string>,
  service: string,
  variable: string,
): string | undefined {
  const ref = (functionEnvironment(stack, service)[variable] as { Ref?: string } | undefined)?.Ref;
  return ref === undefined ? undefined : created[ref];
}

/** Table names from the onboarding function's TENANTS_TABLE / API_KEYS_TABLE / WEBHOOKS_TABLE refs. */
function platformTableNames(stack: StackArtifact, created: Record<string, string>): PlatformTableNames {
  const pick = (variable: string): string => {
    const name = tableOfVariable(stack, created, 'onboarding', variable);
    if (name === undefined) throw new LocalRuntimeError(`the onboarding function's ${variable} names no table`);
    return name;
  };
  return { tenants: pick('TENANTS_TABLE'), apiKeys: pick('API_KEYS_TABLE'), webhooks: pick('WEBHOOKS_TABLE') };
}

/** The key policy limit the template gives the platform's functions (the onboarding function's, as all share it). */
function keyPolicyOf(stack: StackArtifact): number {
  const value = functionEnvironment(stack, 'onboarding')[KEY_POLICY_ENV];
  const parsed = keyPolicyVariable.safeParse(typeof value === 'string' ? value : undefined);
  if (!parsed.success) throw new LocalRuntimeError(`the onboarding function's ${KEY_POLICY_ENV} is not a key limit`);
  return parsed.data;
}
