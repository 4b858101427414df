/**
 * The harness of `npm run bench:provision` at a small N: the same code the
 * benchmark runs (synth, in-process local runtime, admin API, receivers
 * echoing the challenge), checked for completeness, not for time.
 */
import { formatReport, runProvisionBench } from '../../bench/provision';

describe('bench:provision harness', () => {
  it('takes 3 admin-API webhooks of 2 tenants to live and gets every event to every webhook once', async () => {
    const report = await runProvisionBench({ webhooks: 3, tenants: 2, eventsPerTenant: 2, timeoutMs: 120_000 });

    expect(report).toMatchObject({ webhooks: 3, tenants: 2, expectedDeliveries: 6 });
    expect(report.toLive).toHaveLength(3);
    expect(report.toReceipt).toHaveLength(6);
    expect(report.toLive.every((ms) => ms > 0)).toBe(true);
    const printed = formatReport(report);
    expect(printed).toContain('| create -> live | 3/3 |');
    expect(printed).toContain('| PutEvents -> receipt | 6/6 |');
    expect(printed).toMatch(/machine: \d+ cores/);
  }, 300_000);
});
