/**
 * Listing and replaying a webhook's failed deliveries, shared by the
 * partner API, the admin API and the portal (each checks first that the
 * webhook is the caller's).
 *
 * A replay re-publishes each event, as the producer put it, onto the
 * webhook's shard bus with the replay marker in `detail` (`replayFor`: the
 * webhook, `replayOf`: the original event id) and its original time, so it
 * travels the webhook's own rule, destination, rate limit, retries and DLQ,
 * and no other rule (each webhook rule admits a marked event only when it
 * is addressed to it). The request id makes a replay idempotent: the same
 * id again answers the first replay's record and publishes nothing.
 */
import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Clock } from '../core/clock';
import { DAY_MS } from '../core/clock';
import { shardBusName } from '../core/delivery-names';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  DEFAULT_FAILURE_RETENTION_DAYS,
  type FailedDelivery,
  REPLAY_FOR_FIELD,
  REPLAY_OF_FIELD,
  shardOfRuleName,
} from '../core/failed-deliveries';
import { FailedDeliveriesRepository, type ReplayRecord } from '../repositories/failed-deliveries-repository';
import { optionalString } from './env';
import type { Page, PageRequest } from '../repositories/dynamo-support';

/** PutEvents takes at most this many entries a call. */
const PUT_EVENTS_BATCH = 10;
/** The most failures one replay re-publishes; "since" further back takes a second request. */
export const MAX_REPLAY_EVENTS = 10_000;

export type Publish = (entries: readonly PutEventsRequestEntry[]) => Promise<readonly boolean[]>;

/** PutEvents through a real client: whether each entry was accepted. */
export function eventBridgePublisher(client: EventBridgeClient): Publish {
  return async (entries) => {
    const result = await client.send(new PutEventsCommand({ Entries: [...entries] }));
    return entries.map((_, index) => !result.Entries?.[index]?.ErrorCode);
  };
}

export interface ReplayRequest {
  readonly orgId: string;
  readonly webhookId: string;
  /** Replays the webhook's failures (still `failed`) whose event happened at or after this time. */
  readonly since?: string;
  /** Replays exactly these events' failures, replayed before or not. */
  readonly eventIds?: readonly string[];
  /** The idempotency key: the same id again replays nothing more. */
  readonly requestId: string;
  /** Who asked, for the record (`partner:<keyId>`, `admin:<email>`, `portal:<email>`). */
  readonly requestedBy: string;
}

export interface ReplayOutcome extends ReplayRecord {
  /** True when this id had been replayed already and nothing was published now. */
  readonly duplicate: boolean;
}

export interface FailureReplayDependencies {
  readonly failures: FailedDeliveriesRepository;
  readonly publish: Publish;
  readonly environmentName: string;
  readonly clock: Clock;
  readonly retentionDays: number;
}

/** What the API handlers and the portal call. */
export type FailureReplayPort = Pick<FailureReplay, 'list' | 'replay'>;

export class FailureReplay {
  public constructor(private readonly deps: FailureReplayDependencies) {}

  public list(orgId: string, webhookId: string, page: PageRequest): Promise<Page<FailedDelivery>> {
    return this.deps.failures.list(orgId, webhookId, page);
  }

  public async replay(request: ReplayRequest): Promise<ReplayOutcome> {
    const { failures, clock } = this.deps;
    const now = clock.now();
    const claimed: ReplayRecord = {
      orgId: request.orgId,
      webhookId: request.webhookId,
      replayId: request.requestId,
      requestedBy: request.requestedBy,
      requestedAt: now.toISOString(),
      ...(request.since === undefined ? {} : { since: request.since }),
      ...(request.eventIds === undefined ? {} : { eventIds: [...request.eventIds] }),
      state: 'in_progress',
      expiresAt: Math.floor((now.getTime() + this.deps.retentionDays * DAY_MS) / 1000),
    };
    if (!(await failures.claimReplay(claimed))) {
      const first = await failures.getReplay(request.orgId, request.webhookId, request.requestId);
      return { ...(first ?? claimed), duplicate: true };
    }
    const chosen = await this.chosen(request);
    await failures.markReplayed(chosen, request.requestId, now.toISOString());
    const refused = await this.republish(chosen, request.webhookId);
    for (const failure of refused) await failures.unmarkReplayed(failure);
    const done: ReplayRecord = {
      ...claimed,
      state: 'completed',
      published: chosen.length - refused.length,
      failedToPublish: refused.length,
    };
    await failures.completeReplay(done);
    return { ...done, duplicate: false };
  }

  private async chosen(request: ReplayRequest): Promise<FailedDelivery[]> {
    const { failures } = this.deps;
    if (request.eventIds !== undefined) {
      return failures.byEventIds(request.orgId, request.webhookId, request.eventIds);
    }
    const since = await failures.since(request.orgId, request.webhookId, request.since ?? '', MAX_REPLAY_EVENTS);
    return since.filter((failure) => failure.status === 'failed');
  }

  /** Publishes in batches of ten; returns the failures EventBridge refused. */
  private async republish(chosen: readonly FailedDelivery[], webhookId: string): Promise<FailedDelivery[]> {
    const refused: FailedDelivery[] = [];
    for (let offset = 0; offset < chosen.length; offset += PUT_EVENTS_BATCH) {
      const batch = chosen.slice(offset, offset + PUT_EVENTS_BATCH);
      const accepted = await this.deps.publish(batch.map((failure) => this.entryOf(failure, webhookId)));
      batch.forEach((failure, index) => {
        if (!accepted[index]) refused.push(failure);
      });
    }
    return refused;
  }

  private entryOf(failure: FailedDelivery, webhookId: string): PutEventsRequestEntry {
    const env = this.deps.environmentName;
    const shard = shardOfRuleName(failure.ruleName, env) ?? 0;
    const { event } = failure;
    return {
      EventBusName: shardBusName(env, shard),
      Source: event.source,
      DetailType: event['detail-type'],
      Detail: JSON.stringify({ ...event.detail, [REPLAY_FOR_FIELD]: webhookId, [REPLAY_OF_FIELD]: failure.eventId }),
      Time: new Date(event.time),
      ...(Array.isArray(event.resources) ? { Resources: event.resources as string[] } : {}),
    };
  }
}

/** The variables `DeadLetterConsumer.grantReplay` sets on a function (beside ENVIRONMENT_NAME, which the functions read already). */
export const failureReplayEnvironment = {
  FAILED_DELIVERIES_TABLE: optionalString,
  FAILURE_RETENTION_DAYS: optionalString,
};

/** The replay service a function's environment configures, or undefined when it is not granted one. */
export function failureReplayFromEnv(
  env: { FAILED_DELIVERIES_TABLE?: string; ENVIRONMENT_NAME?: string; FAILURE_RETENTION_DAYS?: string },
  clients: { doc: DynamoDBDocumentClient; eventBridge: EventBridgeClient },
  clock: Clock,
): FailureReplay | undefined {
  if (env.FAILED_DELIVERIES_TABLE === undefined || env.ENVIRONMENT_NAME === undefined) return undefined;
  return new FailureReplay({
    failures: new FailedDeliveriesRepository({ doc: clients.doc, tableName: env.FAILED_DELIVERIES_TABLE }),
    publish: eventBridgePublisher(clients.eventBridge),
    environmentName: env.ENVIRONMENT_NAME,
    clock,
    retentionDays: Number(env.FAILURE_RETENTION_DAYS ?? DEFAULT_FAILURE_RETENTION_DAYS),
  });
}
