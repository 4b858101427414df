/**
 * Usage accounting on one machine: the local gateway's access-log lines are
 * collected as CloudWatch Logs would collect the stage's, and every
 * `usageFlushIntervalMs` (or on `flush()`) handed to the real ingestion code
 * as one subscription event (base64 gzip), so `npm run local` counts usage
 * exactly as AWS does, cached authorizer answers included.
 */
import { randomUUID } from 'node:crypto';
import { UsageRepository } from '../../lambda/repositories/usage-repository';
import { decodeSubscriptionEvent, encodeSubscriptionEvent } from '../../lambda/usage-ingest/subscription-event';
import { ingestUsage } from '../../lambda/usage-ingest/usage-ingest';
import type { RuntimeContext } from './context';

const DEFAULT_FLUSH_INTERVAL_MS = 1000;

export interface LocalUsage {
  /** Takes one access-log line (the gateway's `onAccessLog`). */
  write(line: string): void;
  /** Ingests every line written so far; joins a flush already running. */
  flush(): Promise<void>;
}

/** The usage store over the template's usage table, or undefined for an assembly without one. */
export function localUsageRepository(ctx: RuntimeContext): UsageRepository | undefined {
  const { usageTable, repositories, doc, names } = ctx.tables;
  if (usageTable === undefined) return undefined;
  return new UsageRepository({
    doc,
    usageTableName: usageTable,
    apiKeysTableName: names.apiKeys,
    keys: repositories.keys,
    clock: ctx.clock,
  });
}

export function startUsageIngestion(ctx: RuntimeContext): LocalUsage | undefined {
  const usage = localUsageRepository(ctx);
  if (usage === undefined) return undefined;
  const logger = ctx.logger('usage-ingest');
  const stream = `local-${randomUUID()}`;
  const pending: string[] = [];
  let sequence = 0;
  let flushing: Promise<void> | undefined;
  const ingest = async (messages: string[]) => {
    const timestamp = ctx.clock.now().getTime();
    const event = encodeSubscriptionEvent({
      messageType: 'DATA_MESSAGE',
      owner: '000000000000',
      logGroup: 'local/api/access-logs',
      logStream: stream,
      subscriptionFilters: ['usage'],
      logEvents: messages.map((message) => ({ id: `${stream}-${++sequence}`, timestamp, message })),
    });
    await ingestUsage({ usage, logger }, decodeSubscriptionEvent(event));
  };
  const flush = (): Promise<void> => {
    flushing ??= (async () => {
      while (pending.length > 0) await ingest(pending.splice(0, pending.length));
    })()
      .catch((error) => logger.error('usage ingestion failed', { error: String(error) }))
      .finally(() => (flushing = undefined));
    return flushing;
  };
  const timer = setInterval(() => void flush(), ctx.options.usageFlushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
  timer.unref();
  ctx.stoppables.onStop(async () => {
    clearInterval(timer);
    await flush();
  });
  return { write: (line) => void pending.push(line), flush };
}
