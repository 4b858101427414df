/**
 * Pending webhooks verified as the scheduled sweep does, through the local
 * URL overrides: once at start, then every `verificationIntervalMs`, never
 * two sweeps at once.
 */
import { createLocalVerifier } from '../local-verifier';
import type { RuntimeContext } from './context';

const DEFAULT_VERIFICATION_INTERVAL_MS = 2000;

export interface VerificationSweep {
  /** Verifies every due pending webhook now; joins a sweep already running. */
  verifyPendingWebhooks(): Promise<void>;
  /** Verifies one webhook now (what the provisioner calls on a new or changed URL). */
  verify(orgId: string, webhookId: string): Promise<unknown>;
}

export async function startVerificationSweep(ctx: RuntimeContext): Promise<VerificationSweep> {
  const logger = ctx.logger('webhook-verification');
  const verifier = createLocalVerifier({
    webhooks: ctx.tables.repositories.webhooks,
    secrets: ctx.secrets.store,
    clock: ctx.clock,
    logger,
    ...(ctx.options.urlOverrides === undefined ? {} : { urlOverrides: ctx.options.urlOverrides }),
  });
  let sweeping: Promise<void> | undefined;
  const verifyPendingWebhooks = () => {
    sweeping ??= verifier
      .sweep()
      .then(() => undefined)
      .catch((error) => logger.error('verification sweep failed', { error: String(error) }))
      .finally(() => (sweeping = undefined));
    return sweeping;
  };
  await verifyPendingWebhooks();
  const timer = setInterval(
    () => void verifyPendingWebhooks(),
    ctx.options.verificationIntervalMs ?? DEFAULT_VERIFICATION_INTERVAL_MS,
  );
  timer.unref();
  ctx.stoppables.onStop(async () => {
    clearInterval(timer);
    await sweeping;
    await verifier.close();
  });
  return { verifyPendingWebhooks, verify: (orgId, webhookId) => verifier.verify(orgId, webhookId) };
}
