/**
 * The webhook verification handler as the local runtime and the tests run
 * it: the real handler over the webhooks repository and a secret store,
 * with a challenge sender that may reach loopback receivers (local only)
 * and the local URL overrides applied to each challenge.
 */
import type { Clock } from '../lambda/core/clock';
import type { WebhooksRepository } from '../lambda/repositories/webhooks-repository';
import type { SecretStore } from '../lambda/shared/secret-store';
import { RepositoryWebhookStore, SecretStoreReader } from '../lambda/verification/adapters';
import { ChallengeSender } from '../lambda/verification/send-challenge';
import {
  createVerificationHandler,
  type SweepResult,
  type VerificationLogger,
} from '../lambda/verification/verification-handler';

export interface LocalVerifierOptions {
  readonly webhooks: WebhooksRepository;
  readonly secrets: Pick<SecretStore, 'getSecretValue'>;
  readonly clock: Clock;
  readonly logger: VerificationLogger;
  /** Configured URL -> local receiver URL. */
  readonly urlOverrides?: Readonly<Record<string, string>>;
  /** Deadline of one challenge. @default the sender's (5 s) */
  readonly timeoutMs?: number;
}

export interface LocalVerifier {
  /** One sweep over the due pending webhooks, as the schedule runs it. */
  sweep(): Promise<SweepResult>;
  /** Verifies one webhook now: the handler's direct invoke `{orgId, webhookId}`, as the provisioner makes it. */
  verify(orgId: string, webhookId: string): Promise<unknown>;
  /** Releases the sender's connections. */
  close(): Promise<void>;
}

export function createLocalVerifier(options: LocalVerifierOptions): LocalVerifier {
  const sender = new ChallengeSender({
    allowHttp: true,
    allowLoopback: true,
    clock: options.clock,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
  const verify = createVerificationHandler({
    store: new RepositoryWebhookStore(options.webhooks),
    secrets: new SecretStoreReader(options.secrets),
    transport: {
      timeoutMs: sender.timeoutMs,
      send: (request) => sender.send({ ...request, url: options.urlOverrides?.[request.url] ?? request.url }),
    },
    clock: options.clock,
    logger: options.logger,
  });
  return {
    sweep: async () => (await verify({ action: 'sweep' })) as SweepResult,
    verify: (orgId, webhookId) => verify({ orgId, webhookId }),
    close: () => sender.close(),
  };
}
