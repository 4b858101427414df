/**
 * What invokes the provisioner locally, as AWS invokes its Lambda: the
 * webhooks table's DynamoDB stream (read from DynamoDB Local by
 * {@link DynamoStreamTrigger}, partial batch failures retried) and a
 * periodic full reconcile (every 15 minutes in AWS; seconds here), plus one
 * reconcile at start for whatever was written while nothing was listening.
 * Reconciles never overlap: a tick that finds one running waits for it.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { DynamoStreamTrigger, latestStreamArn } from './dynamodb-stream-trigger';

export interface ProvisioningEntryPoints<Report> {
  /** The Lambda's stream batch handler (partial batch response). */
  readonly handleStreamBatch: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;
  readonly reconcile: () => Promise<Report>;
}

export interface ProvisioningTriggerOptions<Report> {
  readonly dynamo: DynamoDBClient;
  readonly endpoint: string;
  readonly webhooksTable: string;
  readonly entryPoints: ProvisioningEntryPoints<Report>;
  /** @default 10000 */
  readonly reconcileIntervalMs?: number;
  /** @default 50 */
  readonly pollIntervalMs?: number;
  readonly onError: (what: 'stream' | 'reconcile', error: unknown) => void;
}

export interface ProvisioningTrigger<Report> {
  /** Runs a full reconcile now (after the one in progress, if any). */
  reconcileNow(): Promise<Report>;
  /** Resolves once every write to the webhooks table made before the call has been handed to the provisioner. */
  whenCaughtUp(): Promise<void>;
  stop(): Promise<void>;
}

export async function startProvisioningTrigger<Report>(
  options: ProvisioningTriggerOptions<Report>,
): Promise<ProvisioningTrigger<Report>> {
  const streams = new DynamoDBStreamsClient({
    endpoint: options.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const trigger = new DynamoStreamTrigger({
    streams,
    streamArn: await latestStreamArn(options.dynamo, options.webhooksTable),
    handler: options.entryPoints.handleStreamBatch,
    pollIntervalMs: options.pollIntervalMs ?? 50,
    onError: (error) => options.onError('stream', error),
  });
  await trigger.start();

  let running: Promise<Report> | undefined;
  const reconcileNow = async (): Promise<Report> => {
    while (running) await running.catch(() => undefined);
    running = options.entryPoints.reconcile().finally(() => (running = undefined));
    return running;
  };
  const tick = () => void reconcileNow().catch((error) => options.onError('reconcile', error));
  tick();
  const timer = setInterval(tick, options.reconcileIntervalMs ?? 10_000);
  timer.unref();

  return {
    reconcileNow,
    whenCaughtUp: () => trigger.whenCaughtUp(),
    stop: async () => {
      clearInterval(timer);
      await trigger.stop();
      await running?.catch(() => undefined);
      streams.destroy();
    },
  };
}
