/**
 * A config webhook's rule is its template's: the provisioner never writes
 * its pattern or targets. The one run-time change is its State, for
 * endpoint health: `DisableRule` when health disabled the webhook and
 * `EnableRule` once its owner re-enabled it (only a rule health switched
 * off is switched on again: `reenabledAt` says health was involved). The
 * stream converges it at once and the 15-minute reconcile re-asserts it,
 * because a stack update puts a template's State back to ENABLED. The audit
 * report (`npm run audit -- --live`) names such a rule disabled-by-health,
 * so the difference from the template is never a silent drift.
 */
import { deliveryRuleOf, isDisabledByHealth } from '../core/endpoint-health';
import type { DeliveryTopology } from '../core/provisioning';
import type { WebhookRecord } from '../core/webhooks';
import type { EventBridgeResources } from './event-bridge-resources';

export type ConfigRuleStateOutcome = 'enabled' | 'disabled' | 'unchanged' | 'absent';

export async function settleConfigRuleState(
  resources: Pick<EventBridgeResources, 'rule' | 'setRuleState'>,
  topology: Pick<DeliveryTopology, 'env' | 'shardCount'>,
  record: WebhookRecord,
): Promise<ConfigRuleStateOutcome> {
  const { ruleName, busName } = deliveryRuleOf(record, topology.env, topology.shardCount);
  const rule = await resources.rule(ruleName, busName);
  if (rule === undefined) return 'absent';
  const disabled = isDisabledByHealth(record);
  if (disabled && rule.enabled) {
    await resources.setRuleState(ruleName, busName, false);
    return 'disabled';
  }
  if (!disabled && !rule.enabled && record.health?.reenabledAt !== undefined) {
    await resources.setRuleState(ruleName, busName, true);
    return 'enabled';
  }
  return 'unchanged';
}
