/**
 * The API key lifecycle: issue, rotate with a grace window, revoke, and the
 * scheduled sweep that moves keys along as time passes. Every function is
 * pure: it takes the current record and a clock and returns the next record,
 * leaving the single DynamoDB transaction that stores it to the caller.
 *
 * Timestamps are ISO-8601 UTC strings from `toISOString()`: they sort
 * lexicographically, which the `byOrg` and `byDue` index sort keys rely on.
 */
import { createHash } from 'node:crypto';
import { Clock, DAY_MS, HOUR_MS } from './clock';
import { DUE_BUCKET } from './data-model';
import { ConflictError, ValidationError } from './errors';
import { RandomSource, cryptoRandom, randomAlphanumeric } from './random';

export const API_KEY_LENGTH = 40;
/** Key ids are public handles (URLs, logs); the prefix tells them apart from keys. */
export const KEY_ID_PREFIX = 'key_';
const KEY_ID_RANDOM_LENGTH = 20;
const PREFIX_LENGTH = 8;
const LAST_LENGTH = 4;

export const DEFAULT_VALIDITY_DAYS = 365;
/**
 * Longer lifetimes must be asked for explicitly with `'never'`; the cap also
 * keeps expiry dates inside four-digit years, which string sorting needs.
 */
export const MAX_VALIDITY_DAYS = 3650;
/** How long before expiry a key turns `expiring`, so partners see the warning in time. */
export const EXPIRING_WINDOW_DAYS = 14;
/** The grace windows the product offers; 0 revokes the old key at once. */
export const GRACE_HOURS = [0, 24, 48, 72] as const;
export type GraceHours = (typeof GRACE_HOURS)[number];

export type ApiKeyStatus = 'active' | 'expiring' | 'grace' | 'revoked';

/** Which of the partner's environments a key is for; the authorizer passes it on with every request. */
export const KEY_ENVIRONMENTS = ['development', 'production'] as const;
export type KeyEnvironment = (typeof KEY_ENVIRONMENTS)[number];

/**
 * What a key issued before keys had names and environments reads as: the
 * one key those orgs had was their production key.
 */
export const LEGACY_KEY_NAME = 'Default';
export const LEGACY_KEY_ENVIRONMENT: KeyEnvironment = 'production';

export const KEY_NAME_MAX_LENGTH = 64;

/**
 * The expiry a person picks when creating a key (the portal guide's choices);
 * the APIs also keep their documented `expiresAt` and validity inputs.
 */
export const KEY_EXPIRY_CHOICES = ['never', 30, 90, 180] as const;
export type KeyExpiryChoice = (typeof KEY_EXPIRY_CHOICES)[number];

/**
 * The key policy: at most this many live (active or expiring) keys per org
 * and environment. 1 keeps the onboarding document's "one active key" (409);
 * the environment's config and a partner's file may raise it up to the cap.
 */
export const DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT = 1;
export const MAX_ACTIVE_PER_ENVIRONMENT_CAP = 10;

/**
 * A stored key. Only the hash identifies the key; prefix and last4 are kept
 * so people can tell keys apart without the plaintext ever being stored.
 */
export interface ApiKeyRecord {
  /** SHA-256 hex of the plaintext: the table's partition key. */
  readonly keyHash: string;
  readonly keyId: string;
  readonly orgId: string;
  /** What people call the key; absent on keys issued before names (read as {@link LEGACY_KEY_NAME}). */
  readonly name?: string;
  /** Absent on keys issued before environments (read as {@link LEGACY_KEY_ENVIRONMENT}). */
  readonly environment?: KeyEnvironment;
  /** First 8 characters of the plaintext. */
  readonly prefix: string;
  /** Last 4 characters of the plaintext. */
  readonly last4: string;
  readonly status: ApiKeyStatus;
  readonly createdAt: string;
  /** Who asked for the key (admin email, partner key id, `schedule`), for the audit trail. */
  readonly createdBy?: string;
  /** Absent when the key was issued with validity `'never'`. */
  readonly expiresAt?: string;
  /** Set when the key enters `grace`; never later than `expiresAt`. */
  readonly graceEndsAt?: string;
  readonly revokedAt?: string;
  readonly lastUsedAt?: string;
  /** When the sweep must next look at this key; absent when nothing will ever change. */
  readonly dueAt?: string;
  /** Present exactly when `dueAt` is, which keeps the `byDue` index sparse. */
  readonly dueBucket?: typeof DUE_BUCKET;
}

/** The part of a key record that says when it stops working (all `isKeyUsable` reads). */
export type KeyLifetime = Pick<ApiKeyRecord, 'status' | 'expiresAt' | 'graceEndsAt'>;

/** A newly issued key. The plaintext exists only here: show it once, never store or log it. */
export interface IssuedKey {
  readonly plaintext: string;
  readonly record: ApiKeyRecord;
}

/** How long a new key lives: whole days from now (default 365), an exact instant, or no expiry. */
export type KeyValidity =
  | { readonly validityDays?: number | 'never'; readonly expiresAt?: undefined }
  | { readonly expiresAt: string; readonly validityDays?: undefined };

/** A new key's name and environment. */
export interface KeyLabels {
  /** @default {@link LEGACY_KEY_NAME} */
  readonly name?: string;
  /** @default {@link LEGACY_KEY_ENVIRONMENT} */
  readonly environment?: KeyEnvironment;
}

export type IssueKeyInput = KeyValidity &
  KeyLabels & {
    readonly orgId: string;
    readonly createdBy?: string;
    readonly clock: Clock;
    /** @default node:crypto randomBytes */
    readonly random?: RandomSource;
  };

export type PlanRotationInput = KeyValidity & {
  /** The org's active or expiring key. */
  readonly current: ApiKeyRecord;
  readonly graceHours: GraceHours;
  readonly clock: Clock;
  readonly createdBy?: string;
  /** @default node:crypto randomBytes */
  readonly random?: RandomSource;
};

/** Both records are written in one transaction, so the org never has zero or two active keys. */
export interface RotationPlan {
  readonly newKey: IssuedKey;
  readonly oldKeyAfter: ApiKeyRecord;
}

export type SweepReason = 'grace-ended' | 'expired' | 'expiry-near';

export interface SweepDecision {
  /** The transition due now; absent when the key stays as it is. */
  readonly transition?: {
    readonly from: ApiKeyStatus;
    readonly to: 'expiring' | 'revoked';
    readonly reason: SweepReason;
  };
  /**
   * The record to store: transitioned if due, and in every case with its due
   * index recomputed, so a stale `dueAt` is repaired rather than swept again.
   */
  readonly record: ApiKeyRecord;
}

/**
 * Legal status changes. `revoked` is terminal, and nothing returns to
 * `active`: a key that has started to wind down is replaced, not revived.
 */
export const API_KEY_TRANSITIONS: Readonly<Record<ApiKeyStatus, readonly ApiKeyStatus[]>> = {
  active: ['expiring', 'grace', 'revoked'],
  expiring: ['grace', 'revoked'],
  grace: ['revoked'],
  revoked: [],
};

const EXPIRING_WINDOW_MS = EXPIRING_WINDOW_DAYS * DAY_MS;

export function generateApiKey(random: RandomSource = cryptoRandom): string {
  return randomAlphanumeric(API_KEY_LENGTH, random);
}

export function generateKeyId(random: RandomSource = cryptoRandom): string {
  return KEY_ID_PREFIX + randomAlphanumeric(KEY_ID_RANDOM_LENGTH, random);
}

/** Lets the authorizer refuse malformed input before spending a hash and a lookup on it. */
export function isWellFormedApiKey(candidate: string): boolean {
  return /^[A-Za-z0-9]{40}$/.test(candidate);
}

/**
 * The lookup key for a presented key. Plain SHA-256 without a salt is enough
 * because keys carry 238 bits of entropy, and it keeps the lookup a GetItem.
 */
export function hashApiKey(plaintext: string): string {
  return createHash('sha256').update(plaintext, 'utf8').digest('hex');
}

export function keyPrefix(plaintext: string): string {
  return plaintext.slice(0, PREFIX_LENGTH);
}

export function last4(plaintext: string): string {
  return plaintext.slice(-LAST_LENGTH);
}

/**
 * First 8, `…`, last 4. A string shorter than a key is not one of ours, and
 * 12 revealed characters could be most of it, so it masks to `…` alone.
 */
export function maskApiKey(plaintext: string): string {
  if (plaintext.length < API_KEY_LENGTH) return '…';
  return `${keyPrefix(plaintext)}…${last4(plaintext)}`;
}

/** The same mask as `maskApiKey`, from the parts a stored record keeps. */
export function maskRecord(record: Pick<ApiKeyRecord, 'prefix' | 'last4'>): string {
  return `${record.prefix}…${record.last4}`;
}

/** The key's name, with keys from before names read as {@link LEGACY_KEY_NAME}. */
export function keyNameOf(record: Pick<ApiKeyRecord, 'name'>): string {
  return record.name ?? LEGACY_KEY_NAME;
}

/** The key's environment, with keys from before environments read as {@link LEGACY_KEY_ENVIRONMENT}. */
export function keyEnvironmentOf(record: Pick<ApiKeyRecord, 'environment'>): KeyEnvironment {
  return record.environment ?? LEGACY_KEY_ENVIRONMENT;
}

export function isKeyEnvironment(value: unknown): value is KeyEnvironment {
  return typeof value === 'string' && (KEY_ENVIRONMENTS as readonly string[]).includes(value);
}

/** Whether the key counts towards its environment's limit: active or expiring (grace keys do not). */
export function isLiveKey(record: Pick<ApiKeyRecord, 'status'>): boolean {
  return record.status === 'active' || record.status === 'expiring';
}

/** 1-64 printable characters (no control or format characters): shown in lists, logs and the activity log. */
export const KEY_NAME_PATTERN = new RegExp(`^[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]{1,${KEY_NAME_MAX_LENGTH}}$`, 'u');

/** @throws ValidationError (field `name`) unless the name is 1-64 printable characters and not blank. */
export function assertKeyName(name: string): void {
  if (!KEY_NAME_PATTERN.test(name) || name.trim() === '') {
    throw new ValidationError(`name must be 1-${KEY_NAME_MAX_LENGTH} printable characters, not blank`, {
      field: 'name',
    });
  }
}

/** The validity of an expiry choice: `never`, or 30, 90 or 180 days. */
export function validityOfChoice(choice: KeyExpiryChoice): { readonly validityDays: number | 'never' } {
  return { validityDays: choice };
}

/** An expiry choice as a form or query sends it (`never`, `30`, `90`, `180`); undefined for anything else. */
export function parseExpiryChoice(value: unknown): KeyExpiryChoice | undefined {
  return KEY_EXPIRY_CHOICES.find((choice) => String(choice) === value);
}

/** @throws ValidationError unless `limit` is a whole number from 1 to the cap. */
export function assertKeyLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_ACTIVE_PER_ENVIRONMENT_CAP) {
    throw new ValidationError(
      `maxActivePerEnvironment must be a whole number from 1 to ${MAX_ACTIVE_PER_ENVIRONMENT_CAP}`,
      { field: 'maxActivePerEnvironment' },
    );
  }
}

export function canTransition(from: ApiKeyStatus, to: ApiKeyStatus): boolean {
  return API_KEY_TRANSITIONS[from].includes(to);
}

/** @throws ConflictError when the table does not allow `from -> to`. */
export function assertTransition(from: ApiKeyStatus, to: ApiKeyStatus): void {
  if (!canTransition(from, to)) {
    throw new ConflictError(`an API key cannot go from ${from} to ${to}`);
  }
}

/**
 * Creates a key and its record. The caller stores the record and hands the
 * plaintext to its one recipient.
 * @throws ValidationError for an empty orgId or a validity that is out of range or in the past.
 */
export function issueKey(input: IssueKeyInput): IssuedKey {
  if (input.orgId.trim() === '') {
    throw new ValidationError('orgId must not be empty', { field: 'orgId' });
  }
  const name = input.name ?? LEGACY_KEY_NAME;
  assertKeyName(name);
  const environment = input.environment ?? LEGACY_KEY_ENVIRONMENT;
  if (!isKeyEnvironment(environment)) {
    throw new ValidationError(`environment must be one of ${KEY_ENVIRONMENTS.join(', ')}`, { field: 'environment' });
  }
  const now = input.clock.now().getTime();
  const expiresMs = resolveExpiry(input, now);
  const random = input.random ?? cryptoRandom;
  const plaintext = generateApiKey(random);
  // A key issued close to its expiry starts out `expiring`, as the sweep would make it.
  const status: ApiKeyStatus = expiresMs !== undefined && now >= expiresMs - EXPIRING_WINDOW_MS ? 'expiring' : 'active';
  const record = withDueIndex({
    keyHash: hashApiKey(plaintext),
    keyId: generateKeyId(random),
    orgId: input.orgId,
    name,
    environment,
    prefix: keyPrefix(plaintext),
    last4: last4(plaintext),
    status,
    createdAt: iso(now),
    ...(input.createdBy === undefined ? {} : { createdBy: input.createdBy }),
    ...(expiresMs === undefined ? {} : { expiresAt: iso(expiresMs) }),
  });
  return { plaintext, record };
}

/**
 * Replaces one key: a new active key with the same name and environment, and the old one in `grace` until
 * `graceHours` from now, or revoked at once for 0 hours. Grace never extends
 * a key past its own expiry; when none of it would remain, the old key is
 * revoked instead.
 * @throws ValidationError for a grace other than 0, 24, 48 or 72 hours, or a bad validity.
 * @throws ConflictError when `current` is not active or expiring.
 */
export function planRotation(input: PlanRotationInput): RotationPlan {
  const { current, graceHours, ...issue } = input;
  if (!(GRACE_HOURS as readonly number[]).includes(graceHours)) {
    throw new ValidationError(`graceHours must be one of ${GRACE_HOURS.join(', ')}`, { field: 'graceHours' });
  }
  if (current.status !== 'active' && current.status !== 'expiring') {
    throw new ConflictError(`key ${current.keyId} is ${current.status}; only the active key can be rotated`);
  }
  const newKey = issueKey({
    ...issue,
    orgId: current.orgId,
    name: keyNameOf(current),
    environment: keyEnvironmentOf(current),
  });
  const now = input.clock.now().getTime();
  const graceEndsMs = Math.min(now + graceHours * HOUR_MS, endOfUse(current));
  const oldKeyAfter =
    graceEndsMs <= now
      ? withDueIndex({ ...current, status: 'revoked', revokedAt: iso(now) })
      : withDueIndex({ ...current, status: 'grace', graceEndsAt: iso(graceEndsMs) });
  return { newKey, oldKeyAfter };
}

/** @throws ConflictError when the key is already revoked. */
export function revoke(record: ApiKeyRecord, clock: Clock): ApiKeyRecord {
  assertTransition(record.status, 'revoked');
  return withDueIndex({ ...record, status: 'revoked', revokedAt: iso(clock.now().getTime()) });
}

/**
 * Whether the authorizer may accept the key at `now`. Decided from the
 * timestamps, not the status alone, so a key stays safe between sweeps.
 */
export function isKeyUsable(record: KeyLifetime, now: Date): boolean {
  return now.getTime() < endOfUse(record);
}

/**
 * Whether a partner key may issue, rotate or revoke keys or change webhooks
 * at `now`: only the org's live key (`active`, or `expiring` as its expiry
 * nears, so it can still rotate itself) that is usable at this instant. A key
 * in `grace` is on its way out and does ordinary calls only, whatever its
 * remaining time; revoked and expired keys do nothing. Callers decide this
 * from a fresh read of the key, never from a cached authorizer answer.
 */
export function mayChangeCredentials(record: ApiKeyRecord, now: Date): boolean {
  return (record.status === 'active' || record.status === 'expiring') && isKeyUsable(record, now);
}

/**
 * Whole days until the key stops working, rounded up so that the last day
 * reads "1 day", not "0 days"; 0 once it has stopped; undefined when it never will.
 */
export function expiresInDays(record: ApiKeyRecord, now: Date): number | undefined {
  const end = endOfUse(record);
  if (end === Infinity) return undefined;
  return Math.max(0, Math.ceil((end - now.getTime()) / DAY_MS));
}

/** What the scheduled sweep must do with a key at `now`. */
export function sweepDecision(record: ApiKeyRecord, now: Date): SweepDecision {
  const nowMs = now.getTime();
  if (record.status !== 'revoked' && nowMs >= endOfUse(record)) {
    return {
      transition: {
        from: record.status,
        to: 'revoked',
        reason: record.status === 'grace' ? 'grace-ended' : 'expired',
      },
      record: withDueIndex({ ...record, status: 'revoked', revokedAt: iso(nowMs) }),
    };
  }
  const warnFromMs = expiringFrom(record);
  if (record.status === 'active' && warnFromMs !== undefined && nowMs >= warnFromMs) {
    return {
      transition: { from: 'active', to: 'expiring', reason: 'expiry-near' },
      record: withDueIndex({ ...record, status: 'expiring' }),
    };
  }
  return { record: withDueIndex(record) };
}

/** When the key stops working, in ms: Infinity for never, -Infinity for revoked. */
function endOfUse(record: KeyLifetime): number {
  const expiresMs = record.expiresAt === undefined ? Infinity : Date.parse(record.expiresAt);
  switch (record.status) {
    case 'revoked':
      return -Infinity;
    case 'grace':
      // A grace key without an end is corrupt data; refuse it rather than accept it forever.
      return record.graceEndsAt === undefined ? -Infinity : Math.min(Date.parse(record.graceEndsAt), expiresMs);
    case 'active':
    case 'expiring':
      return expiresMs;
  }
}

function expiringFrom(record: ApiKeyRecord): number | undefined {
  return record.expiresAt === undefined ? undefined : Date.parse(record.expiresAt) - EXPIRING_WINDOW_MS;
}

/** The next moment the sweep changes this key, or undefined when it never will. */
function nextDueMs(record: ApiKeyRecord): number | undefined {
  if (record.status === 'active') return expiringFrom(record);
  const end = endOfUse(record);
  return Number.isFinite(end) ? end : undefined;
}

function withDueIndex(record: ApiKeyRecord): ApiKeyRecord {
  const { dueAt: _dueAt, dueBucket: _dueBucket, ...rest } = record;
  const due = nextDueMs(rest);
  return due === undefined ? rest : { ...rest, dueAt: iso(due), dueBucket: DUE_BUCKET };
}

const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Only full ISO instants with a zone: other forms parse in the host's local
 * time. The calendar date is checked separately because `Date.parse` rolls
 * 2025-02-30 over into March instead of refusing it.
 */
function parseIsoInstant(text: string): number {
  const match = ISO_INSTANT.exec(text);
  if (!match) return NaN;
  const [year, month, day] = match.slice(1, 4).map(Number);
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return NaN;
  return Date.parse(text);
}

function resolveExpiry(validity: KeyValidity, nowMs: number): number | undefined {
  if (validity.expiresAt !== undefined) {
    if (validity.validityDays !== undefined) {
      throw new ValidationError('give either expiresAt or validityDays, not both', { field: 'expiresAt' });
    }
    const expiresMs = parseIsoInstant(validity.expiresAt);
    if (Number.isNaN(expiresMs)) {
      throw new ValidationError('expiresAt must be an ISO-8601 instant such as 2026-01-31T00:00:00Z', {
        field: 'expiresAt',
      });
    }
    if (expiresMs <= nowMs) {
      throw new ValidationError('expiresAt must be in the future', { field: 'expiresAt' });
    }
    if (expiresMs > nowMs + MAX_VALIDITY_DAYS * DAY_MS) {
      throw new ValidationError(
        `expiresAt must be within ${MAX_VALIDITY_DAYS} days; use validity 'never' for no expiry`,
        { field: 'expiresAt' },
      );
    }
    return expiresMs;
  }
  const days = validity.validityDays ?? DEFAULT_VALIDITY_DAYS;
  if (days === 'never') return undefined;
  if (!Number.isInteger(days) || days < 1 || days > MAX_VALIDITY_DAYS) {
    throw new ValidationError(`validityDays must be a whole number from 1 to ${MAX_VALIDITY_DAYS}, or 'never'`, {
      field: 'validityDays',
    });
  }
  return nowMs + days * DAY_MS;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
