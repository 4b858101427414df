import type { DynamoDBRecord } from 'aws-lambda';
import { ValidationError } from '../../lambda/core/errors';
import type { ChangeOutcome, Provisioner, WebhookKey } from '../../lambda/provisioner/provisioner';
import { dispatchProvisionerEvent, keyOfStreamRecord } from '../../lambda/provisioner/provisioner-events';

function streamRecord(orgId: string, webhookId: string, sequence: string): DynamoDBRecord {
  return {
    eventSource: 'aws:dynamodb',
    eventName: 'MODIFY',
    dynamodb: { Keys: { orgId: { S: orgId }, webhookId: { S: webhookId } }, SequenceNumber: sequence },
  };
}

/** Records which keys it was given; fails the ones named. */
function recordingProvisioner(failing: readonly string[] = []) {
  const seen: WebhookKey[][] = [];
  let reconciles = 0;
  const provisioner: Provisioner = {
    handleChanges: async (keys) => {
      seen.push([...keys]);
      return keys.map((key): ChangeOutcome =>
        failing.includes(key.webhookId)
          ? { ...key, outcome: 'error', error: new Error('x') }
          : { ...key, outcome: 'live' },
      );
    },
    reconcile: async () => {
      reconciles += 1;
      return { webhooks: 0, live: 0, failed: 0, errors: 0, routes: 0, orphansDeleted: 0 };
    },
  };
  return { provisioner, seen, reconciles: () => reconciles };
}

describe('provisioner events', () => {
  it('reports exactly the stream records of the webhooks that failed, so only those are retried', async () => {
    const { provisioner, seen } = recordingProvisioner(['wh_b']);
    const response = await dispatchProvisionerEvent(provisioner, {
      Records: [
        streamRecord('acme', 'wh_a', '100'),
        streamRecord('acme', 'wh_b', '101'),
        streamRecord('acme', 'wh_b#secret-overlap', '102'),
        streamRecord('acme', 'wh_b', '103'),
      ],
    });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '101' }, { itemIdentifier: '103' }] });
    // Secret-overlap markers are not webhooks.
    expect(seen).toEqual([
      [
        { orgId: 'acme', webhookId: 'wh_a' },
        { orgId: 'acme', webhookId: 'wh_b' },
        { orgId: 'acme', webhookId: 'wh_b' },
      ],
    ]);
  });

  it('reconciles on the schedule and on a direct {"action":"reconcile"}, and refuses anything else', async () => {
    const { provisioner, reconciles } = recordingProvisioner();
    await dispatchProvisionerEvent(provisioner, { source: 'aws.events', 'detail-type': 'Scheduled Event' });
    await dispatchProvisionerEvent(provisioner, { action: 'reconcile' });
    expect(reconciles()).toBe(2);
    await expect(dispatchProvisionerEvent(provisioner, { action: 'sweep' })).rejects.toBeInstanceOf(ValidationError);
  });

  it('keys come from the record keys, so a REMOVE (no new image) still names its webhook', () => {
    expect(keyOfStreamRecord({ ...streamRecord('acme', 'wh_gone', '1'), eventName: 'REMOVE' })).toEqual({
      orgId: 'acme',
      webhookId: 'wh_gone',
    });
  });
});
