/**
 * What the repositories share: recognising DynamoDB's conditional failures,
 * opaque pagination cursors, and building an UpdateExpression from the
 * difference between two versions of a record.
 */
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TenantsTable } from '../core/data-model';
import { InvalidCursorError, ValidationError } from '../core/errors';

/** One page of a listing; pass `nextCursor` back to get the next page. */
export interface Page<T> {
  readonly items: readonly T[];
  /** Absent on the last page. */
  readonly nextCursor?: string;
}

export interface PageRequest {
  /** @default 50 */
  readonly limit?: number;
  readonly cursor?: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

export function pageSize(limit: number | undefined): number {
  const size = limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new ValidationError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`, { field: 'limit' });
  }
  return size;
}

/** LastEvaluatedKey as an opaque, URL-safe string. Keys hold ids and hashes only, never secrets. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  if (key === undefined) return undefined;
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * What a listing's cursor must be: exactly the key attributes of the table
 * and index it pages (DynamoDB's LastEvaluatedKey), with `fixed` ones equal
 * to the listing's partition (the org, the bucket). Anything else would
 * reach DynamoDB as a ValidationException (a 500) or page another org.
 */
export interface CursorShape {
  readonly attributes: readonly string[];
  readonly fixed?: Readonly<Record<string, string>>;
}

/** @throws InvalidCursorError (400 `invalid_cursor`) for a cursor this listing did not produce. */
export function decodeCursor(cursor: string | undefined, shape: CursorShape): Record<string, string> | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursorError();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidCursorError();
  const entries = Object.entries(value);
  const fits =
    entries.length === shape.attributes.length &&
    entries.every(([name, part]) => shape.attributes.includes(name) && typeof part === 'string' && part !== '') &&
    Object.entries(shape.fixed ?? {}).every(
      ([name, expected]) => (value as Record<string, unknown>)[name] === expected,
    );
  if (!fits) throw new InvalidCursorError();
  return value as Record<string, string>;
}

/** A single-item conditional write failed. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as Error | undefined)?.name === 'ConditionalCheckFailedException'
  );
}

/** The reason code of each transaction item (`None` for items that were fine). */
export function cancellationReasons(error: unknown): readonly string[] | undefined {
  if (
    !(error instanceof TransactionCanceledException) &&
    (error as Error | undefined)?.name !== 'TransactionCanceledException'
  ) {
    return undefined;
  }
  const reasons = (error as TransactionCanceledException).CancellationReasons;
  if (reasons !== undefined) return reasons.map((reason) => reason.Code ?? 'None');
  // Some emulators only put the reasons into the message: "... [None, ConditionalCheckFailed]".
  const listed = /\[([^\]]*)\]/.exec((error as Error).message)?.[1];
  return listed === undefined ? [] : listed.split(',').map((code) => code.trim());
}

/**
 * A transaction that failed because the state it was conditioned on had
 * changed, or because another transaction touched the same items at the same
 * time (`TransactionConflict`): both mean "re-read and decide again".
 */
export function isTransactionConflict(error: unknown): boolean {
  const reasons = cancellationReasons(error);
  return (
    reasons !== undefined && reasons.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')
  );
}

/** DynamoDB's own item size limit leaves no reason to retry forever; a few tries settle a race. */
export const CONFLICT_RETRIES = 5;

export interface UpdateParts {
  readonly UpdateExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
}

/**
 * SET for every attribute of `after` that differs from `before`, REMOVE for
 * every one `after` dropped; `skip` names attributes never written (keys).
 * Writing only the difference keeps concurrent updates of other attributes
 * (e.g. `lastUsedAt`) intact, which a whole-item Put would undo.
 * @returns undefined when nothing differs.
 */
export function diffUpdate(
  before: Readonly<Record<string, unknown>>,
  after: Readonly<Record<string, unknown>>,
  skip: readonly string[],
): UpdateParts | undefined {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const removes: string[] = [];
  let index = 0;
  for (const [name, value] of Object.entries(after)) {
    if (skip.includes(name) || value === undefined || sameValue(before[name], value)) continue;
    index++;
    names[`#u${index}`] = name;
    values[`:u${index}`] = value;
    sets.push(`#u${index} = :u${index}`);
  }
  for (const name of Object.keys(before)) {
    if (skip.includes(name) || before[name] === undefined || after[name] !== undefined) continue;
    index++;
    names[`#u${index}`] = name;
    removes.push(`#u${index}`);
  }
  if (sets.length === 0 && removes.length === 0) return undefined;
  const expression = [
    sets.length > 0 ? `SET ${sets.join(', ')}` : '',
    removes.length > 0 ? `REMOVE ${removes.join(', ')}` : '',
  ]
    .filter((part) => part !== '')
    .join(' ');
  return { UpdateExpression: expression, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
}

function sameValue(left: unknown, right: unknown): boolean {
  return JSON.stringify(left) === JSON.stringify(right);
}

/**
 * The items of one bucket of the tenants table's list index (members,
 * invitations, activity or sessions; see `tenantItemBucket`): one Query, a
 * page at a time until `limit` items or the end.
 */
export async function queryTenantBucket(
  doc: DynamoDBDocumentClient,
  tableName: string,
  bucket: string,
  options: { readonly limit?: number; readonly newestFirst?: boolean } = {},
): Promise<Record<string, unknown>[]> {
  const index = TenantsTable.byListIndex;
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: index.name,
        KeyConditionExpression: '#bucket = :bucket',
        ExpressionAttributeNames: { '#bucket': index.partitionKey },
        ExpressionAttributeValues: { ':bucket': bucket },
        ...(options.newestFirst ? { ScanIndexForward: false } : {}),
        ...(options.limit === undefined ? {} : { Limit: options.limit - items.length }),
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined && (options.limit === undefined || items.length < options.limit));
  return items;
}
