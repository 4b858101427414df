/**
 * Routing rules on the platform bus: each forwards the events of a set of
 * partners to their shard bus. Config routes (the templates) and run-time
 * routes (the provisioner) have the same shape, built here once. No AWS imports.
 */

/** An EventBridge event pattern, as written into a rule. */
export type RoutingPattern = Record<string, unknown>;

/** The pattern of a routing rule that forwards a set of partners to their shard bus. */
export function routingEventPattern(orgIds: readonly string[], sources: readonly string[]): RoutingPattern {
  return { source: [...sources], detail: { partnerId: [...orgIds] } };
}

/** Characters of a pattern as EventBridge counts them (its JSON text). */
export function patternLength(pattern: Record<string, unknown>): number {
  return JSON.stringify(pattern).length;
}
