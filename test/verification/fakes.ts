/**
 * In-memory stand-ins for the verification ports, with the same contracts as
 * the real adapters (conditional save included), plus a logger that keeps
 * every line so tests can prove no secret was ever logged.
 */
import { Clock } from '../../lambda/core/clock';
import { createWebhook } from '../../lambda/core/webhooks';
import type {
  SecretReader,
  VerifiableWebhook,
  VerificationLogger,
  VerificationMetrics,
  WebhookStore,
} from '../../lambda/verification/verification-handler';

const key = (orgId: string, webhookId: string): string => `${orgId}/${webhookId}`;

export class InMemoryWebhookStore implements WebhookStore {
  private readonly items = new Map<string, VerifiableWebhook>();
  /** Runs between a read and the conditional write, to simulate a concurrent change. */
  public beforeSave?: () => void;
  /** What the due index returns instead of the live items, to simulate its eventual consistency. */
  public staleDueIndex?: readonly VerifiableWebhook[];

  public put(record: VerifiableWebhook): void {
    this.items.set(key(record.orgId, record.webhookId), record);
  }

  public current(orgId: string, webhookId: string): VerifiableWebhook | undefined {
    return this.items.get(key(orgId, webhookId));
  }

  public async get(orgId: string, webhookId: string): Promise<VerifiableWebhook | undefined> {
    return this.items.get(key(orgId, webhookId));
  }

  public async listDue(now: Date, limit: number): Promise<readonly VerifiableWebhook[]> {
    if (this.staleDueIndex !== undefined) return this.staleDueIndex;
    const nowIso = now.toISOString();
    return [...this.items.values()]
      .filter((item) => item.dueBucket !== undefined && item.dueAt !== undefined && item.dueAt <= nowIso)
      .sort((left, right) => (left.dueAt ?? '').localeCompare(right.dueAt ?? ''))
      .slice(0, limit);
  }

  public async saveIfUnchanged(previous: VerifiableWebhook, next: VerifiableWebhook): Promise<boolean> {
    this.beforeSave?.();
    const stored = this.items.get(key(previous.orgId, previous.webhookId));
    if (
      stored === undefined ||
      stored.url !== previous.url ||
      stored.status !== previous.status ||
      stored.attempts !== previous.attempts
    ) {
      return false;
    }
    this.items.set(key(next.orgId, next.webhookId), next);
    return true;
  }
}

/** Values by ARN, or by `<arn>@<versionId>` for a named version. */
export class FakeSecrets implements SecretReader {
  public readonly reads: string[] = [];
  public failWith?: Error;

  public constructor(public readonly values: Record<string, string>) {}

  public async getSecretString(secretArn: string, versionId?: string): Promise<string> {
    const id = versionId === undefined ? secretArn : `${secretArn}@${versionId}`;
    this.reads.push(id);
    if (this.failWith) throw this.failWith;
    const value = this.values[id];
    if (value === undefined) throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
    return value;
  }
}

/** Keeps every log call as one JSON line. */
export class CapturingLogger implements VerificationLogger {
  public readonly lines: string[] = [];

  public info(message: string, attributes?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: 'INFO', message, ...attributes }));
  }

  public warn(message: string, attributes?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: 'WARN', message, ...attributes }));
  }

  public error(message: string, attributes?: Record<string, unknown>): void {
    this.lines.push(JSON.stringify({ level: 'ERROR', message, ...attributes }));
  }

  public text(): string {
    return this.lines.join('\n');
  }
}

export class CountingMetrics implements VerificationMetrics {
  public readonly counts: Record<string, number> = {};

  public addMetric(name: string, _unit: 'Count', value: number): void {
    this.counts[name] = (this.counts[name] ?? 0) + value;
  }
}

/** A pending webhook as onboarding would record it, with its secret ARN. */
export function pendingWebhook(
  input: { orgId: string; webhookId: string; url: string; clock: Clock } & Partial<
    Pick<VerifiableWebhook, 'secretArn'>
  >,
): VerifiableWebhook {
  return {
    ...createWebhook({
      orgId: input.orgId,
      webhookId: input.webhookId,
      url: input.url,
      events: ['*'],
      source: 'config',
      clock: input.clock,
      urlPolicy: { allowHttp: true, allowLoopback: true },
    }),
    secretArn:
      input.secretArn ?? `arn:aws:secretsmanager:eu-west-1:111111111111:secret:${input.orgId}-${input.webhookId}`,
  };
}
