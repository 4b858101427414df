/**
 * Creates, in DynamoDB Local, the tables a synthesized CloudFormation template
 * declares, so integration tests and the local runtime run against exactly the
 * keys and indexes that get deployed, never a hand-copied schema.
 *
 * Kept: KeySchema, AttributeDefinitions, GlobalSecondaryIndexes and
 * LocalSecondaryIndexes (name, keys, projection), StreamSpecification, and an
 * enabled TimeToLiveSpecification (applied with UpdateTimeToLive after create).
 * Every table is PAY_PER_REQUEST. Dropped, because DynamoDB Local ignores or
 * rejects them: SSE, point-in-time recovery, deletion protection, tags,
 * replicas, throughput settings, contributor insights, Kinesis streams, table
 * class, resource policies. Does not import jest: the local runtime uses it too.
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type KeyType,
  type LocalSecondaryIndex,
  type Projection,
  type ProjectionType,
  ResourceInUseException,
  ResourceNotFoundException,
  type ScalarAttributeType,
  type StreamSpecification,
  type StreamViewType,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

const TABLE_TYPES: ReadonlySet<string> = new Set(['AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable']);
const DEFAULT_ACTIVE_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 50;

/** A table resource's `Properties` as they appear in the template. */
export type TemplateTableProperties = Readonly<Record<string, unknown>>;

export interface CreateTablesFromTemplateOptions {
  /**
   * The physical name to create for a table resource. Tests add a per-test
   * prefix (see `uniqueTablePrefix`) so parallel test files never share a table.
   */
  readonly nameFor: (logicalId: string, properties: TemplateTableProperties) => string;
  /**
   * Keep a table that already exists (the local runtime with a persistent
   * data directory) instead of failing with ResourceInUseException.
   * @default false
   */
  readonly reuseExisting?: boolean;
  /** How long to wait for each table and its indexes to become ACTIVE. @default 30000 */
  readonly activeTimeoutMs?: number;
}

/** What CreateTable needs for one template resource, minus the physical name. */
export interface TableDefinition {
  readonly logicalId: string;
  readonly properties: TemplateTableProperties;
  readonly createTable: Omit<CreateTableCommandInput, 'TableName'>;
  /** The TTL attribute, when the template enables TTL. */
  readonly timeToLiveAttribute?: string;
}

/** A table property the local copy cannot be built from (for example an unresolved `Ref`). */
export class TemplateTableError extends Error {
  constructor(logicalId: string, propertyPath: string, problem: string) {
    super(`Table ${logicalId}: ${propertyPath} ${problem}`);
    this.name = 'TemplateTableError';
  }
}

/**
 * Creates every AWS::DynamoDB::Table and AWS::DynamoDB::GlobalTable in
 * `template` and waits until each is ACTIVE.
 * @returns logical id -> created table name
 */
export async function createTablesFromTemplate(
  client: DynamoDBClient,
  template: object,
  options: CreateTablesFromTemplateOptions,
): Promise<Record<string, string>> {
  const definitions = tableDefinitionsFromTemplate(template);
  const names: Record<string, string> = {};
  const owners = new Map<string, string>();
  for (const { logicalId, properties } of definitions) {
    const name = options.nameFor(logicalId, properties);
    const owner = owners.get(name);
    if (owner !== undefined) {
      throw new Error(
        `Tables ${owner} and ${logicalId} would both be created as "${name}"; nameFor must give distinct names`,
      );
    }
    owners.set(name, logicalId);
    names[logicalId] = name;
  }

  const timeoutMs = options.activeTimeoutMs ?? DEFAULT_ACTIVE_TIMEOUT_MS;
  await Promise.all(
    definitions.map((definition) =>
      createTable(client, definition, names[definition.logicalId], options.reuseExisting ?? false, timeoutMs),
    ),
  );
  return names;
}

/** Deletes tables created for one test; tables already gone are fine. */
export async function deleteTables(client: DynamoDBClient, tableNames: Iterable<string>): Promise<void> {
  await Promise.all(
    [...tableNames].map(async (tableName) => {
      try {
        await client.send(new DeleteTableCommand({ TableName: tableName }));
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
    }),
  );
}

/** The table resources of a template, translated to what DynamoDB Local accepts. */
export function tableDefinitionsFromTemplate(template: object): TableDefinition[] {
  const resources = (template as { Resources?: unknown }).Resources;
  if (!isRecord(resources)) return [];
  const definitions: TableDefinition[] = [];
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isRecord(resource) || typeof resource.Type !== 'string' || !TABLE_TYPES.has(resource.Type)) continue;
    const properties = isRecord(resource.Properties) ? resource.Properties : {};
    definitions.push(toDefinition(logicalId, properties));
  }
  return definitions;
}

function toDefinition(logicalId: string, properties: TemplateTableProperties): TableDefinition {
  const read = new PropertyReader(logicalId);
  const createTable: Omit<CreateTableCommandInput, 'TableName'> = {
    KeySchema: read.keySchema(properties.KeySchema, 'KeySchema'),
    AttributeDefinitions: read.list(properties.AttributeDefinitions, 'AttributeDefinitions', (value, at) =>
      read.attributeDefinition(value, at),
    ),
    BillingMode: 'PAY_PER_REQUEST',
  };

  if (properties.GlobalSecondaryIndexes !== undefined) {
    createTable.GlobalSecondaryIndexes = read.list<GlobalSecondaryIndex>(
      properties.GlobalSecondaryIndexes,
      'GlobalSecondaryIndexes',
      (value, at) => read.index(value, at),
    );
  }
  if (properties.LocalSecondaryIndexes !== undefined) {
    createTable.LocalSecondaryIndexes = read.list<LocalSecondaryIndex>(
      properties.LocalSecondaryIndexes,
      'LocalSecondaryIndexes',
      (value, at) => read.index(value, at),
    );
  }
  const stream = read.stream(properties.StreamSpecification);
  if (stream) createTable.StreamSpecification = stream;

  const timeToLiveAttribute = read.timeToLiveAttribute(properties.TimeToLiveSpecification);
  return {
    logicalId,
    properties,
    createTable,
    ...(timeToLiveAttribute === undefined ? {} : { timeToLiveAttribute }),
  };
}

/** Reads literal values out of a table's properties, naming the path of anything it cannot use. */
class PropertyReader {
  constructor(private readonly logicalId: string) {}

  list<T>(value: unknown, at: string, item: (value: unknown, at: string) => T): T[] {
    if (!Array.isArray(value)) throw this.error(at, value, 'a list');
    return value.map((entry, index) => item(entry, `${at}[${index}]`));
  }

  record(value: unknown, at: string): Readonly<Record<string, unknown>> {
    if (!isRecord(value)) throw this.error(at, value, 'an object');
    return value;
  }

  string<T extends string = string>(value: unknown, at: string): T {
    if (typeof value !== 'string') throw this.error(at, value, 'a literal string');
    // Enum values (KeyType, ProjectionType, ...) are checked by DynamoDB itself.
    return value as T;
  }

  keySchema(value: unknown, at: string): KeySchemaElement[] {
    return this.list(value, at, (entry, entryAt) => {
      const element = this.record(entry, entryAt);
      return {
        AttributeName: this.string(element.AttributeName, `${entryAt}.AttributeName`),
        KeyType: this.string<KeyType>(element.KeyType, `${entryAt}.KeyType`),
      };
    });
  }

  attributeDefinition(value: unknown, at: string): AttributeDefinition {
    const definition = this.record(value, at);
    return {
      AttributeName: this.string(definition.AttributeName, `${at}.AttributeName`),
      AttributeType: this.string<ScalarAttributeType>(definition.AttributeType, `${at}.AttributeType`),
    };
  }

  /** Name, keys and projection only: throughput and insights settings are dropped. */
  index(value: unknown, at: string): GlobalSecondaryIndex & LocalSecondaryIndex {
    const index = this.record(value, at);
    const projection = this.record(index.Projection, `${at}.Projection`);
    const local: Projection = {
      ProjectionType: this.string<ProjectionType>(projection.ProjectionType, `${at}.Projection.ProjectionType`),
    };
    if (projection.NonKeyAttributes !== undefined) {
      const namesAt = `${at}.Projection.NonKeyAttributes`;
      local.NonKeyAttributes = this.list(projection.NonKeyAttributes, namesAt, (name, nameAt) =>
        this.string(name, nameAt),
      );
    }
    return {
      IndexName: this.string(index.IndexName, `${at}.IndexName`),
      KeySchema: this.keySchema(index.KeySchema, `${at}.KeySchema`),
      Projection: local,
    };
  }

  /** CloudFormation enables a stream by giving its view type; the API wants both. */
  stream(value: unknown): StreamSpecification | undefined {
    if (value === undefined) return undefined;
    const stream = this.record(value, 'StreamSpecification');
    if (stream.StreamViewType === undefined) return undefined;
    return {
      StreamEnabled: true,
      StreamViewType: this.string<StreamViewType>(stream.StreamViewType, 'StreamSpecification.StreamViewType'),
    };
  }

  timeToLiveAttribute(value: unknown): string | undefined {
    if (value === undefined) return undefined;
    const ttl = this.record(value, 'TimeToLiveSpecification');
    if (ttl.Enabled !== true) return undefined;
    return this.string(ttl.AttributeName, 'TimeToLiveSpecification.AttributeName');
  }

  private error(at: string, value: unknown, expected: string): TemplateTableError {
    return new TemplateTableError(this.logicalId, at, `is ${JSON.stringify(value)}, expected ${expected}`);
  }
}

async function createTable(
  client: DynamoDBClient,
  definition: TableDefinition,
  tableName: string,
  reuseExisting: boolean,
  timeoutMs: number,
): Promise<void> {
  let created = true;
  try {
    await client.send(new CreateTableCommand({ ...definition.createTable, TableName: tableName }));
  } catch (error) {
    if (!(reuseExisting && error instanceof ResourceInUseException)) {
      throw new Error(`Creating table ${tableName} for ${definition.logicalId} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
    created = false;
  }
  await waitUntilActive(client, tableName, timeoutMs);

  const attribute = definition.timeToLiveAttribute;
  if (attribute === undefined) return;
  if (!created) {
    const current = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    if (current.TimeToLiveDescription?.TimeToLiveStatus === 'ENABLED') return;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
    }),
  );
}

/** ACTIVE means the table and every global secondary index on it. */
async function waitUntilActive(client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() >= deadline) {
      throw new Error(`Table ${tableName} is still ${table?.TableStatus ?? 'missing'} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
