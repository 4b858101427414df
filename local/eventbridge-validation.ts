/**
 * Input checks shared by the local control-plane operations, with
 * EventBridge's constraints and messages close to its own, and the paging
 * EventBridge's List* calls use (`Limit`, opaque `NextToken`).
 */
import { invalid } from './eventbridge-errors';

export type Input = Readonly<Record<string, unknown>>;

/** Names of connections, API destinations, rules and target ids. */
const NAME = /^[.\-_A-Za-z0-9]+$/;

export function requiredString(input: Input, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    throw invalid(
      `1 validation error detected: Value at '${lowerFirst(field)}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function optionalString(input: Input, field: string): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`${field} must be a string`);
  return value;
}

export function resourceName(input: Input, field = 'Name', maxLength = 64): string {
  const name = requiredString(input, field);
  if (name.length > maxLength || !NAME.test(name)) {
    throw invalid(
      `1 validation error detected: Value '${name}' at '${lowerFirst(field)}' failed to satisfy constraint: ` +
        `Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+ and have length at most ${maxLength}`,
    );
  }
  return name;
}

export function isValidName(name: string, maxLength = 64): boolean {
  return name.length <= maxLength && NAME.test(name);
}

/** The resource name at the end of an ARN (`...:kind/NAME` or `...:kind/NAME/uuid`), or the value itself. */
export function nameFromArn(value: string, kind: string): string {
  const marker = `:${kind}/`;
  const index = value.indexOf(marker);
  return index >= 0 ? value.slice(index + marker.length).split('/')[0] : value;
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken?: string;
}

/** `Limit` 1..100 (default 100) and a `NextToken` from a previous page of the same listing. */
export function paginate<T>(items: readonly T[], input: Input): Page<T> {
  const limit = input.Limit === undefined ? 100 : Number(input.Limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw invalid('Limit must be between 1 and 100');
  let offset = 0;
  const token = optionalString(input, 'NextToken');
  if (token !== undefined) {
    const decoded = /^local:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!decoded) throw invalid('The NextToken is not valid');
    offset = Number(decoded[1]);
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit;
  return next < items.length
    ? { items: page, nextToken: Buffer.from(`local:${next}`).toString('base64url') }
    : { items: page };
}

/** Epoch seconds with milliseconds, as the JSON 1.1 protocol carries timestamps. */
export function epochSeconds(date = new Date()): number {
  return date.getTime() / 1000;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
