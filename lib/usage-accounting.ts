import { Duration } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as destinations from 'aws-cdk-lib/aws-logs-destinations';
import { Construct } from 'constructs';
import { ACCESS_LOG_EMPTY, ACCESS_LOG_VARIABLES } from '../lambda/core/access-log';
import { PlatformFunction } from './platform-function';
import type { PlatformTables } from './platform-tables';

export interface UsageAccountingProps {
  /** The tables: usage is written to `usage`, `lastUsedAt` to the keys in `apiKeys`. */
  readonly tables: PlatformTables;
}

/**
 * Per-key usage counted from API access logs: the ingestion function
 * (lambda/usage-ingest) and, per subscribed log group, a subscription filter
 * that sends it the lines of requests that passed the partner authorizer.
 * Any API whose stage writes `ACCESS_LOG_FORMAT` (lambda/core/access-log.ts)
 * to a log group is counted once that group is subscribed: the platform API
 * here, and APIs that attach the exported partner key authorizer.
 */
export class UsageAccounting extends Construct {
  /** Reads subscription batches; its grants are the usage table's writes and the keys' `lastUsedAt`. */
  public readonly ingestFunction: PlatformFunction;

  constructor(scope: Construct, id: string, props: UsageAccountingProps) {
    super(scope, id);
    this.ingestFunction = new PlatformFunction(this, 'Ingest', {
      handler: 'usage-ingest',
      serviceName: 'usage-ingest',
      description: "Counts each API key's requests per hour from the API access logs",
      timeout: Duration.minutes(1),
    })
      // Per-batch markers are put, hourly counters updated; nothing is deleted (TTL removes both).
      .bindTable('USAGE_TABLE', props.tables.usage, 'write')
      // Finds a key by org and id (Query of byOrg, GetItem) and moves its lastUsedAt forward.
      .bindTable('API_KEYS_TABLE', props.tables.apiKeys, 'update');
    // The keys repository is built with the tenants table's name; ingestion never reads it.
    this.ingestFunction.addEnvironment('TENANTS_TABLE', props.tables.tenants.tableName);
  }

  /**
   * Counts the requests that `logGroup` logs (an API stage's access logs in
   * `ACCESS_LOG_FORMAT`): a subscription filter, scoped to this construct
   * under `id`, that sends the ingestion function every line with a key.
   */
  public subscribe(id: string, logGroup: logs.ILogGroup): logs.SubscriptionFilter {
    return new logs.SubscriptionFilter(this, id, {
      logGroup,
      destination: new destinations.LambdaDestination(this.ingestFunction),
      // Lines of requests the authorizer refused carry no key: they never leave CloudWatch.
      filterPattern: keyRequestFilterPattern(),
    });
  }
}

const KEY_ID_FIELD: keyof typeof ACCESS_LOG_VARIABLES = 'keyId';

/** The access-log lines usage counts: those with a key (the authorizer let the request through). */
export function keyRequestFilterPattern(): logs.IFilterPattern {
  return logs.FilterPattern.stringValue(`$.${KEY_ID_FIELD}`, '!=', ACCESS_LOG_EMPTY);
}
