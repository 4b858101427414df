/**
 * The authorizer's one read: a key record by the SHA-256 hash of the key, a
 * strongly consistent GetItem on the API keys table (never a scan) that
 * projects only the attributes the authorizer reads, parsed by hand from
 * DynamoDB's JSON. It takes a bare GetItem port (lambda/shared/dynamodb-get-item.ts,
 * a signed request without the SDK), not the SDK client or ApiKeysRepository,
 * so the authorizer bundle carries neither (bench:keys measures it).
 */
import { type ApiKeyRecord, type ApiKeyStatus, isKeyEnvironment } from '../core/api-keys';
import { ApiKeysTable } from '../core/data-model';
import type { AttributeMap, GetItemPort } from '../shared/dynamodb-get-item';

/** What the authorizer decides on: who the key belongs to and when it stops working. */
export type AuthorizerKeyRecord = Pick<
  ApiKeyRecord,
  'keyHash' | 'keyId' | 'orgId' | 'prefix' | 'status' | 'expiresAt' | 'graceEndsAt' | 'environment'
>;

const REQUIRED = ['keyHash', 'keyId', 'orgId', 'prefix', 'status'] as const;
const OPTIONAL = ['expiresAt', 'graceEndsAt', 'environment'] as const;
const READ = [...REQUIRED, ...OPTIONAL];
// `status` is a DynamoDB reserved word, so every projected name goes through a placeholder.
const PROJECTION = READ.map((_, index) => `#a${index}`).join(', ');
const PROJECTED_NAMES = Object.fromEntries(READ.map((name, index) => [`#a${index}`, name]));
const KNOWN_STATUS = { active: true, expiring: true, grace: true, revoked: true } satisfies Record<ApiKeyStatus, true>;

/** A stored key record without what the authorizer needs: refused as an error, never read as a key. */
export class MalformedKeyRecordError extends Error {
  public constructor(attribute: string) {
    super(`API key record: ${attribute} is missing or malformed`);
    this.name = 'MalformedKeyRecordError';
  }
}

export class ApiKeyLookup {
  public constructor(
    private readonly dynamo: GetItemPort,
    private readonly apiKeysTableName: string,
  ) {}

  /** @throws DynamoDbRequestError when DynamoDB fails, MalformedKeyRecordError for a corrupt record. */
  public async getByHash(keyHash: string): Promise<AuthorizerKeyRecord | undefined> {
    const item = await this.dynamo.getItem({
      TableName: this.apiKeysTableName,
      Key: { [ApiKeysTable.partitionKey]: { S: keyHash } },
      ConsistentRead: true,
      ProjectionExpression: PROJECTION,
      ExpressionAttributeNames: PROJECTED_NAMES,
    });
    return item === undefined ? undefined : parseKeyRecord(item);
  }
}

/** The projected attributes of a key item, checked: strings where strings belong, a known status. */
export function parseKeyRecord(item: AttributeMap): AuthorizerKeyRecord {
  const text = (name: string): string | undefined => {
    const value = item[name];
    if (value === undefined) return undefined;
    if (typeof value.S !== 'string') throw new MalformedKeyRecordError(name);
    return value.S;
  };
  const required = (name: (typeof REQUIRED)[number]): string => {
    const value = text(name);
    if (value === undefined || value === '') throw new MalformedKeyRecordError(name);
    return value;
  };
  const status = required('status');
  if (!Object.hasOwn(KNOWN_STATUS, status)) throw new MalformedKeyRecordError('status');
  const expiresAt = text('expiresAt');
  const graceEndsAt = text('graceEndsAt');
  const environment = text('environment');
  if (environment !== undefined && !isKeyEnvironment(environment)) {
    throw new MalformedKeyRecordError('environment');
  }
  return {
    keyHash: required('keyHash'),
    keyId: required('keyId'),
    orgId: required('orgId'),
    prefix: required('prefix'),
    status: status as ApiKeyStatus,
    ...(expiresAt === undefined ? {} : { expiresAt }),
    ...(graceEndsAt === undefined ? {} : { graceEndsAt }),
    ...(environment === undefined ? {} : { environment }),
  };
}
