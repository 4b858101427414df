/**
 * The CloudWatch Logs subscription event a Lambda destination receives:
 * `awslogs.data` is the base64 of a gzip of the JSON below. Decoding is
 * checked with zod, so a malformed event fails loudly (and CloudWatch Logs
 * retries it) instead of counting nothing in silence. The local runtime
 * encodes its access-log batches with {@link encodeSubscriptionEvent}, so the
 * handler reads exactly what AWS sends.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CloudWatchLogsDecodedData, CloudWatchLogsEvent } from 'aws-lambda';
import { z } from 'zod';

const decodedData = z.object({
  messageType: z.enum(['DATA_MESSAGE', 'CONTROL_MESSAGE']),
  owner: z.string(),
  logGroup: z.string(),
  logStream: z.string(),
  subscriptionFilters: z.array(z.string()),
  logEvents: z.array(z.object({ id: z.string(), timestamp: z.number(), message: z.string() })),
});

export type SubscriptionData = z.output<typeof decodedData>;

const subscriptionEvent = z.object({ awslogs: z.object({ data: z.string().min(1) }) });

/** @throws Error (never echoing the payload) when the event is not a subscription event. */
export function decodeSubscriptionEvent(event: unknown): SubscriptionData {
  const { awslogs } = subscriptionEvent.parse(event);
  let json: unknown;
  try {
    json = JSON.parse(gunzipSync(Buffer.from(awslogs.data, 'base64')).toString('utf8'));
  } catch (error) {
    throw new Error('awslogs.data is not base64 gzip of JSON', { cause: error });
  }
  return decodedData.parse(json);
}

export function encodeSubscriptionEvent(data: CloudWatchLogsDecodedData): CloudWatchLogsEvent {
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(data), 'utf8')).toString('base64') } };
}

/**
 * The same id for every delivery of one batch: its log group and stream and
 * the ids of its log events (which CloudWatch Logs assigns once per event).
 */
export function batchIdOf(data: Pick<SubscriptionData, 'logGroup' | 'logStream' | 'logEvents'>): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([data.logGroup, data.logStream]));
  for (const event of data.logEvents) hash.update(`\n${event.id}`);
  return hash.digest('base64url');
}
