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
 *
 * `$or` follows EventBridge's compiler exactly (see {@link patternBranches}).
 * Leaves are scalars: `exists` looks at leaf values only, as EventBridge's
 * does, and a path through an array of objects matches any element.
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
 * One way a pattern can match: every leaf path (e.g. `detail.partnerId`) with
 * its list of alternatives. A pattern without `$or` has one branch.
 */
export type PatternBranch = ReadonlyMap<string, readonly unknown[]>;

/** Field names that are operators, refused as field names inside `$or` (as EventBridge does). */
const RESERVED_IN_OR = new Set([
  'prefix',
  'suffix',
  'equals-ignore-case',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
]);

/**
 * Expands a pattern into its branches the way EventBridge's rule compiler
 * (aws/event-ruler's JsonRuleCompiler) does: fields are ANDed; each `$or`
 * forks every branch built so far once per alternative (at least two, each a
 * non-empty object); a later occurrence of the same path in a branch replaces
 * the earlier one, in the order the fields are written.
 * @throws InvalidEventPatternError for a pattern EventBridge would refuse.
 */
export function patternBranches(pattern: EventPattern | string): PatternBranch[] {
  const cached = typeof pattern === 'string' ? undefined : compiled.get(pattern);
  if (cached) return cached;
  const parsed = typeof pattern === 'string' ? (JSON.parse(pattern) as unknown) : pattern;
  if (!isPlainObject(parsed)) throw new InvalidEventPatternError('a pattern must be a JSON object', '(pattern)');
  const branches: Array<Map<string, readonly unknown[]>> = [];
  compileObject(parsed, [], branches, false);
  const result = branches.length === 0 ? [new Map()] : branches;
  if (typeof pattern !== 'string') compiled.set(pattern, result);
  return result;
}

/** Rules are matched against every event; their patterns are compiled once. */
const compiled = new WeakMap<EventPattern, PatternBranch[]>();

function compileObject(
  pattern: Record<string, unknown>,
  path: readonly string[],
  branches: Array<Map<string, readonly unknown[]>>,
  insideOr: boolean,
): void {
  const where = () => path.join('.') || '(pattern)';
  if (insideOr && Object.keys(pattern).length === 0) {
    throw new InvalidEventPatternError('empty objects are not allowed', where());
  }
  for (const [field, condition] of Object.entries(pattern)) {
    const fieldPath = [...path, field].join('.');
    if (field === '$or') {
      compileOr(condition, path, branches, fieldPath);
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(field)) {
      throw new InvalidEventPatternError(`"${field}" is an operator and cannot be a field name inside $or`, fieldPath);
    }
    if (isPlainObject(condition)) {
      compileObject(condition, [...path, field], branches, insideOr);
      continue;
    }
    if (!Array.isArray(condition)) {
      throw new InvalidEventPatternError('a field must map to a list of values or to a nested pattern', fieldPath);
    }
    if (condition.length === 0) throw new InvalidEventPatternError('empty lists are not allowed', fieldPath);
    if (branches.length === 0) branches.push(new Map());
    for (const branch of branches) branch.set(fieldPath, condition);
  }
}

function compileOr(
  condition: unknown,
  path: readonly string[],
  branches: Array<Map<string, readonly unknown[]>>,
  fieldPath: string,
): void {
  if (!Array.isArray(condition) || !condition.every(isPlainObject)) {
    throw new InvalidEventPatternError('$or takes a list of patterns (objects)', fieldPath);
  }
  if (condition.length < 2) throw new InvalidEventPatternError('$or takes at least two patterns', fieldPath);
  const before = branches.length === 0 ? [new Map<string, readonly unknown[]>()] : branches.map((b) => new Map(b));
  branches.length = 0;
  for (const alternative of condition) {
    const forked = before.map((branch) => new Map(branch));
    compileObject(alternative, path, forked, true);
    branches.push(...forked);
  }
}

/** The scalar leaves at `path` in the event; arrays contribute each element, objects are not leaves. */
function leavesAt(event: unknown, path: readonly string[]): unknown[] {
  let current: unknown[] = [event];
  for (const step of path) {
    current = current
      .flatMap((value) => (Array.isArray(value) ? value : [value]))
      .flatMap((value) => (isPlainObject(value) && step in value ? [value[step]] : []));
  }
  const flatten = (values: unknown[]): unknown[] => values.flatMap((v) => (Array.isArray(v) ? flatten(v) : [v]));
  return flatten(current).filter(isScalar);
}

/**
 * Whether `event` matches `pattern` (an object, or its JSON text as a
 * template may hold it): some branch has every leaf path matching. Throws on
 * an invalid or unsupported pattern.
 */
export function matchesEventPattern(pattern: EventPattern | string, event: MatchableEvent): boolean {
  return patternBranches(pattern).some((branch) =>
    [...branch].every(([path, alternatives]) => matchField(alternatives, leavesAt(event, path.split('.')), path)),
  );
}

/** A leaf: a list of alternatives, any of which may match one of the event's values there. */
function matchField(alternatives: readonly unknown[], values: readonly unknown[], path: string): boolean {
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
      return argument === values.length > 0;
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
