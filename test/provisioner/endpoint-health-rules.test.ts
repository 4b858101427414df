/**
 * How endpoint health reaches the rules, without AWS: a run-time webhook's
 * desired rule is DISABLED while health disabled it (and its spec changes,
 * so the stream converges it), and a config webhook's template rule gets
 * only a State change, and only for health's reasons.
 */
import { FakeClock, HOUR_MS } from '../../lambda/core/clock';
import { onDeliveryFailed, onDisabled, onReenabled } from '../../lambda/core/endpoint-health';
import { webhookEventPattern } from '../../lambda/core/event-catalog';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { deliverySpec, desiredWebhook } from '../../lambda/core/provisioning';
import type { WebhookRecord } from '../../lambda/core/webhooks';
import { settleConfigRuleState } from '../../lambda/provisioner/config-rule-state';
import { TOPOLOGY } from './provisioner-world';

const clock = new FakeClock('2026-03-01T00:00:00.000Z');
const patternOf = (orgId: string, types: readonly string[]) =>
  webhookEventPattern(orgId, types, PLATFORM_EVENT_CATALOG);
const record = (source: WebhookRecord['source']): WebhookRecord & { secretArn: string } => ({
  orgId: 'acme',
  webhookId: 'wh_orders',
  url: 'https://acme.example/hook',
  verifiedUrl: 'https://acme.example/hook',
  events: ['LockCreated'],
  status: 'active',
  source,
  createdAt: '2026-03-01T00:00:00.000Z',
  updatedAt: '2026-03-01T00:00:00.000Z',
  attempts: 1,
  secretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:acme',
});
const disabledHealth = onDisabled(
  onDeliveryFailed(undefined, clock.now()),
  120,
  new Date(clock.now().getTime() + 120 * HOUR_MS),
);

/** A rule store with one rule: what settleConfigRuleState may read and switch. */
function oneRule(enabled: boolean | undefined) {
  const calls: boolean[] = [];
  return {
    calls,
    resources: {
      rule: async () => (enabled === undefined ? undefined : { enabled }),
      setRuleState: async (_name: string, _bus: string, on: boolean) => {
        calls.push(on);
      },
    },
  };
}

describe('run-time webhooks: the provisioner writes the rule DISABLED', () => {
  it('while endpoint health disabled it, and ENABLED again once re-enabled', () => {
    const healthy = desiredWebhook(record('api'), true, TOPOLOGY, patternOf)!;
    const disabled = desiredWebhook({ ...record('api'), health: disabledHealth }, true, TOPOLOGY, patternOf)!;
    expect(healthy.enabled).toBe(true);
    expect(disabled.enabled).toBe(false);
    expect(deliverySpec(disabled)).not.toBe(deliverySpec(healthy)); // the stream converges the change
    const reenabled = onReenabled(disabledHealth, clock.now(), 'admin:a@example.com');
    expect(desiredWebhook({ ...record('api'), health: reenabled }, true, TOPOLOGY, patternOf)!.enabled).toBe(true);
  });
});

describe("config webhooks: the template's rule gets DisableRule/EnableRule only", () => {
  it.each([
    ['disabled by health, rule enabled', disabledHealth, true, 'disabled', [false]],
    ['disabled by health, rule already disabled', disabledHealth, false, 'unchanged', []],
    ['re-enabled, rule disabled', onReenabled(disabledHealth, clock.now(), 'x'), false, 'enabled', [true]],
    ['never disabled by health, rule disabled by someone else: left for the audit', undefined, false, 'unchanged', []],
    ['healthy, rule enabled', undefined, true, 'unchanged', []],
  ] as const)('%s', async (_label, health, enabled, outcome, calls) => {
    const store = oneRule(enabled);
    const result = await settleConfigRuleState(store.resources, TOPOLOGY, { ...record('config'), health });
    expect(result).toBe(outcome);
    expect(store.calls).toEqual(calls);
  });

  it('a rule the template does not have (yet) is left alone', async () => {
    const store = oneRule(undefined);
    expect(
      await settleConfigRuleState(store.resources, TOPOLOGY, { ...record('config'), health: disabledHealth }),
    ).toBe('absent');
    expect(store.calls).toEqual([]);
  });
});
