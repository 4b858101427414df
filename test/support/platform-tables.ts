/**
 * The platform's tables for integration tests (created as the benchmarks
 * create them, scripts/lib/platform-tables.ts) and a test-only snapshot of
 * their items.
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../lambda/core/clock';
import type { PlatformTableNames } from '../../lambda/repositories/platform-repositories';
import { UsageRepository, type UsageRepositoryProps } from '../../lambda/repositories/usage-repository';
import type { TestTableNames } from '../../scripts/lib/platform-tables';

export type { PlatformTableNames };
export {
  createPlatformTables,
  deletePlatformTables,
  platformTemplate,
  type TestTableNames,
} from '../../scripts/lib/platform-tables';

/**
 * Every item of the three tables (a test-only Scan), each as JSON with its
 * attributes in a fixed order, sorted: for "a refused request changed
 * nothing" comparisons. `omit` leaves out attributes that change by design.
 */
export async function scanPlatformTables(
  doc: DynamoDBDocumentClient,
  tables: PlatformTableNames,
  omit: readonly string[] = [],
): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const [name, table] of Object.entries(tables)) {
    const { Items } = await doc.send(new ScanCommand({ TableName: table, ConsistentRead: true }));
    result[name] = (Items ?? [])
      .map((item) => Object.fromEntries(Object.entries(item).filter(([attribute]) => !omit.includes(attribute))))
      .map((item) => JSON.stringify(item, Object.keys(item).sort()))
      .sort();
  }
  return result;
}

/** The usage store over the test tables (what `usageFromEnv` builds in the functions), over the given keys repository. */
export function usageRepositoryOver(
  doc: DynamoDBDocumentClient,
  tables: TestTableNames,
  keys: UsageRepositoryProps['keys'],
  clock: Clock,
): UsageRepository {
  return new UsageRepository({ doc, usageTableName: tables.usage, apiKeysTableName: tables.apiKeys, keys, clock });
}
