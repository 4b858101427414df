/**
 * Test events: what a partner may send itself to try a webhook. The event is
 * the catalog example of one type the webhook subscribes to (any catalog
 * type for `["*"]`), from that type's own source, with `detail.partnerId`
 * forced to the sender's own orgId, so it can only ever reach that org's
 * rules. No AWS imports.
 */
import { ValidationError } from './errors';
import { type EventCatalog, subscribedTypes } from './event-catalog';
import type { ProducerEvent } from './event-validation';

/**
 * @throws ValidationError (field `type`) when the webhook does not subscribe
 * to `typeName` or the catalog does not hold it.
 */
export function testEventOf(
  orgId: string,
  webhookEvents: readonly string[],
  typeName: string,
  catalog: EventCatalog,
): ProducerEvent {
  // The types a webhook may be sent a test of are the ones its rule matches (all for "*").
  const type = subscribedTypes(webhookEvents, catalog).find((candidate) => candidate.name === typeName);
  if (type === undefined) {
    throw new ValidationError(`this webhook does not subscribe to ${JSON.stringify(typeName)}; pick one it does`, {
      field: 'type',
    });
  }
  return { source: type.source, detailType: type.name, detail: { ...type.example, partnerId: orgId } };
}
