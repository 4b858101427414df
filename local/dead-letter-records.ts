/**
 * A local dead letter as the SQS message EventBridge would have put into the
 * shard's queue: the event as the body, and RULE_ARN, TARGET_ARN,
 * ERROR_CODE, ERROR_MESSAGE and RETRY_ATTEMPTS as message attributes, so
 * the DLQ consumer's own code reads it.
 */
import type { SQSRecord } from 'aws-lambda';
import type { DeadLetter } from './event-bus';

export function sqsRecordOf(letter: DeadLetter, account: string, region: string): SQSRecord {
  const attribute = (value: string) => ({ stringValue: value, dataType: 'String' as const });
  const busName = letter.busName ?? letter.ruleId.split('/')[0];
  const attributes: Record<string, string> = {
    RULE_ARN: `arn:aws:events:${region}:${account}:rule/${busName}/${letter.ruleName}`,
    TARGET_ARN: letter.targetArn ?? letter.destination,
    ERROR_CODE: letter.status === undefined ? 'CONNECTION_ERROR' : 'HTTP_ERROR',
    ERROR_MESSAGE: letter.error,
    RETRY_ATTEMPTS: String(Math.max(0, letter.attempts - 1)),
  };
  return {
    messageId: letter.messageId ?? '',
    receiptHandle: letter.messageId ?? '',
    body: JSON.stringify(letter.event),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.parse(letter.time)),
      SenderId: 'events.amazonaws.com',
      ApproximateFirstReceiveTimestamp: String(Date.parse(letter.time)),
    },
    messageAttributes: Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, attribute(value)])),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:${account}:${letter.queue}`,
    awsRegion: region,
  };
}
