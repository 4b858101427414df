/**
 * EventBridge event-pattern matching, as a pure function: the scale tests
 * route sample events through the synthesized rules with it, and the local
 * runtime delivers events with the same rules it would have in AWS.
 *
 * Supported: exact values (strings, numbers, booleans, null), `prefix`,
 * `suffix`, `equals-ignore-case`, `anything-but` (a value, a list, or a
 * `prefix`/`suffix`), `exists`, and `$or` at any level. Array values in the
 * event match when any element matches. Numeric ranges, `cidr` and
 * `wildcard` are not supported: a pattern that uses them throws
 * {@link UnsupportedEventPatternError} rather than matching wrongly.
 */

/** An event pattern as written into a rule (JSON). */
export type EventPattern = { readonly [field: string]: unknown };

/** An event as EventBridge sees it: the envelope (`source`, `detail-type`, ...) with `detail`. */
export type MatchableEvent = { readonly [field: string]: unknown };

export class EventPatternError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventPatternError';
  }
}

/** The pattern uses an EventBridge operator this matcher does not implement. */
export class UnsupportedEventPatternError extends EventPatternError {
  constructor(operator: string, path: string) {
    super(`event pattern operator "${operator}" at ${path} is not supported by this matcher`);
    this.name = 'UnsupportedEventPatternError';
  }
}

/** The pattern is not a valid EventBridge pattern (e.g. a field maps to a bare string). */
export class InvalidEventPatternError extends EventPatternError {
  constructor(message: string, path: string) {
    super(`invalid event pattern at ${path}: ${message}`);
    this.name = 'InvalidEventPatternError';
  }
}

type Scalar = string | number | boolean | null;

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isScalar = (value: unknown): value is Scalar =>
  value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

const UNSUPPORTED = new Set(['numeric', 'cidr', 'wildcard']);

/**
 * Whether `event` matches `pattern` (an object, or its JSON text as a
 * template may hold it). Throws on an invalid or unsupported pattern.
 */
export function matchesEventPattern(pattern: EventPattern | string, event: MatchableEvent): boolean {
  if (typeof pattern === 'string') return matchesEventPattern(JSON.parse(pattern) as EventPattern, event);
  if (!isPlainObject(pattern)) throw new InvalidEventPatternError('a pattern must be a JSON object', '(pattern)');
  return matchObject(pattern, event, '');
}

function matchObject(pattern: Record<string, unknown>, event: unknown, path: string): boolean {
  for (const [field, condition] of Object.entries(pattern)) {
    const fieldPath = path ? `${path}.${field}` : field;
    if (field === '$or') {
      if (!Array.isArray(condition) || condition.length < 2 || !condition.every(isPlainObject)) {
        throw new InvalidEventPatternError('$or takes a list of at least two patterns', fieldPath);
      }
      if (!condition.some((alternative) => matchObject(alternative, event, path))) return false;
      continue;
    }
    const value = isPlainObject(event) ? event[field] : undefined;
    if (isPlainObject(condition)) {
      // A nested pattern: the event must have an object here that matches it.
      if (!isPlainObject(value) || !matchObject(condition, value, fieldPath)) return false;
      continue;
    }
    if (!Array.isArray(condition)) {
      throw new InvalidEventPatternError('a field must map to a list of values or to a nested pattern', fieldPath);
    }
    if (!matchField(condition, value, fieldPath)) return false;
  }
  return true;
}

/** A leaf: a list of alternatives, any of which may match. */
function matchField(alternatives: readonly unknown[], value: unknown, path: string): boolean {
  const present = value !== undefined;
  const values: readonly unknown[] = Array.isArray(value) ? value : present ? [value] : [];
  return alternatives.some((alternative) => {
    if (isScalar(alternative)) return values.some((v) => v === alternative);
    if (!isPlainObject(alternative)) throw new InvalidEventPatternError('values must be scalars or operators', path);
    const operators = Object.keys(alternative);
    if (operators.length !== 1) {
      throw new InvalidEventPatternError(
        `an operator object holds exactly one operator, not ${operators.length}`,
        path,
      );
    }
    const [operator] = operators;
    const argument = alternative[operator];
    if (operator === 'exists') {
      if (typeof argument !== 'boolean') throw new InvalidEventPatternError('exists takes true or false', path);
      return argument ? present && values.length > 0 : !present;
    }
    if (UNSUPPORTED.has(operator)) throw new UnsupportedEventPatternError(operator, path);
    // Every other operator needs the field present.
    return values.some((v) => matchOperator(operator, argument, v, path));
  });
}

function matchOperator(operator: string, argument: unknown, value: unknown, path: string): boolean {
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && stringOperand(argument, path, value, (v, a) => v.startsWith(a));
    case 'suffix':
      return typeof value === 'string' && stringOperand(argument, path, value, (v, a) => v.endsWith(a));
    case 'equals-ignore-case':
      if (typeof argument !== 'string') throw new InvalidEventPatternError('equals-ignore-case takes a string', path);
      return typeof value === 'string' && value.toLowerCase() === argument.toLowerCase();
    case 'anything-but':
      return matchAnythingBut(argument, value, path);
    default:
      throw new UnsupportedEventPatternError(operator, path);
  }
}

/** `prefix`/`suffix` take a string, or `{ "equals-ignore-case": string }`. */
function stringOperand(
  argument: unknown,
  path: string,
  value: string,
  test: (v: string, a: string) => boolean,
): boolean {
  if (typeof argument === 'string') return test(value, argument);
  if (isPlainObject(argument) && typeof argument['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), (argument['equals-ignore-case'] as string).toLowerCase());
  }
  throw new InvalidEventPatternError('prefix and suffix take a string', path);
}

function matchAnythingBut(argument: unknown, value: unknown, path: string): boolean {
  if (isScalar(argument)) return value !== argument;
  if (Array.isArray(argument)) {
    if (!argument.every(isScalar)) throw new InvalidEventPatternError('anything-but lists hold scalars only', path);
    return !argument.includes(value as Scalar);
  }
  if (isPlainObject(argument)) {
    const [operator, ...rest] = Object.keys(argument);
    if (rest.length > 0 || (operator !== 'prefix' && operator !== 'suffix')) {
      throw new UnsupportedEventPatternError(`anything-but.${operator}`, path);
    }
    return !matchOperator(operator, argument[operator], value, path);
  }
  throw new InvalidEventPatternError('anything-but takes a value, a list or a prefix/suffix', path);
}
