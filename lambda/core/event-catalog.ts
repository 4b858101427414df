/**
 * The event catalog: the detail-types producers put on the platform bus,
 * each with its one source, and the one builder of a webhook's event pattern.
 * Config webhooks (lib/config/delivery-plan.ts) and run-time webhooks (the
 * provisioner) both call {@link webhookEventPattern}, so a webhook matches
 * the same events whichever door made it. No AWS imports.
 */
import { ValidationError } from './errors';

/** Every event type; `['*']` alone subscribes a webhook to the whole catalog. */
export const ALL_EVENTS = '*';

export interface EventTypeEntry {
  /** The EventBridge detail-type, e.g. `LockCreated` or `Shadow Update`. */
  readonly name: string;
  /** The EventBridge source that publishes it, e.g. `spk.api`. */
  readonly source: string;
  readonly description: string;
  /** JSON Schema (draft-07) of the event's `detail`; `partnerId` is always required. */
  readonly schema: Record<string, unknown>;
  /** One `detail` that validates against `schema`. */
  readonly example: Record<string, unknown>;
}

export interface EventCatalog {
  readonly types: readonly EventTypeEntry[];
}

/** An EventBridge event pattern, as written into a rule. */
export type EventPattern = Record<string, unknown>;

/** A webhook names a type the catalog does not hold. */
export class UnknownEventTypeError extends ValidationError {
  public readonly eventType: string;

  public constructor(eventType: string, catalog: EventCatalog) {
    super(
      `unknown event type "${eventType}"; use one of ${catalog.types.map((type) => type.name).join(', ')} or "${ALL_EVENTS}"`,
      { field: 'events' },
    );
    this.name = 'UnknownEventTypeError';
    this.eventType = eventType;
  }
}

/** One thing wrong with a webhook's event list; `index` points at the entry when one is at fault. */
export interface EventListProblem {
  readonly index?: number;
  readonly message: string;
}

/**
 * The rules of a webhook's `events`, the same in a partner file and in every
 * API and portal door: at least one entry; `["*"]` alone or catalog names
 * only; each name once.
 * @param known the catalog's detail-types; undefined skips the name check
 *   (the catalog itself is broken and reported once elsewhere).
 * @param catalogAt where the reader finds the catalog, quoted in the
 *   unknown-type message (a file for admins, an endpoint for partners).
 */
export function eventListProblems(
  events: readonly string[],
  known: readonly string[] | undefined,
  catalogAt: string,
): EventListProblem[] {
  if (events.length === 0) return [{ message: `list at least one event type, or ["${ALL_EVENTS}"] for all` }];
  const problems: EventListProblem[] = [];
  if (events.includes(ALL_EVENTS) && events.length > 1) {
    problems.push({
      message: `"${ALL_EVENTS}" means every event type and cannot be mixed with names; use ["${ALL_EVENTS}"] alone or list the names`,
    });
  }
  const names = known === undefined ? undefined : new Set(known);
  const seen = new Set<string>();
  events.forEach((event, index) => {
    if (names && event !== ALL_EVENTS && !names.has(event)) {
      const choices = [...names].map((name) => JSON.stringify(name)).join(', ');
      problems.push({
        index,
        message: `unknown event type ${JSON.stringify(event)}; use one of ${choices} (${catalogAt}) or "${ALL_EVENTS}"`,
      });
    }
    if (seen.has(event)) problems.push({ index, message: `${JSON.stringify(event)} is listed twice; list it once` });
    seen.add(event);
  });
  return problems;
}

/** The catalog's sources, sorted: what routing rules forward and `*` covers. */
export function catalogSources(catalog: EventCatalog): string[] {
  return [...new Set(catalog.types.map((type) => type.source))].sort();
}

export function findEventType(catalog: EventCatalog, name: string): EventTypeEntry | undefined {
  return catalog.types.find((type) => type.name === name);
}

/**
 * The catalog entries a webhook's filter selects, in catalog order (so the
 * pattern does not change when a partner reorders its list).
 * @throws UnknownEventTypeError for a name the catalog does not hold.
 */
export function subscribedTypes(events: readonly string[], catalog: EventCatalog): EventTypeEntry[] {
  if (events.includes(ALL_EVENTS)) return [...catalog.types];
  for (const name of events) {
    if (!findEventType(catalog, name)) throw new UnknownEventTypeError(name, catalog);
  }
  const wanted = new Set(events);
  return catalog.types.filter((type) => wanted.has(type.name));
}

/**
 * Each subscribed type only from its own source; `['*']` = every catalog type
 * from every catalog source (each still from its own); `detail.partnerId`
 * exact, so a rule can never match another partner's events. Types that span
 * sources become an EventBridge `$or` of one `{ source, detail-type }` branch
 * per source.
 * @throws UnknownEventTypeError for a name the catalog does not hold.
 */
export function webhookEventPattern(orgId: string, events: readonly string[], catalog: EventCatalog): EventPattern {
  const bySource = new Map<string, string[]>();
  for (const type of subscribedTypes(events, catalog)) {
    bySource.set(type.source, [...(bySource.get(type.source) ?? []), type.name]);
  }
  const branches = [...bySource.keys()].sort().map((source) => ({
    source: [source],
    'detail-type': bySource.get(source) ?? [],
  }));
  if (branches.length === 0) {
    throw new ValidationError('a webhook must subscribe to at least one event type', { field: 'events' });
  }
  const detail = { partnerId: [orgId] };
  return branches.length === 1 ? { ...branches[0], detail } : { $or: branches, detail };
}
