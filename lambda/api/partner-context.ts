/**
 * What the partner authorizer tells the partner API about the caller. API
 * Gateway passes it in `requestContext.authorizer` as flat strings; this
 * schema is shared by both sides so they cannot drift apart.
 */
import { z } from 'zod';
import { KEY_ENVIRONMENTS, LEGACY_KEY_ENVIRONMENT } from '../core/api-keys';
import { UnauthorizedError } from '../core/errors';
import type { ApiEvent } from './router';

export const partnerContextSchema = z.object({
  orgId: z.string().min(1),
  keyId: z.string().min(1),
  keyPrefix: z.string().min(1),
  /** Lets the API record usage without a second lookup of the key. */
  keyHash: z.string().regex(/^[0-9a-f]{64}$/),
  status: z.enum(['active', 'expiring', 'grace', 'revoked']),
  /** Empty when the key never expires (authorizer context values cannot be null). */
  expiresAt: z.string(),
  /**
   * The key's environment; the access log reads it as `$context.authorizer.environment`.
   * An answer cached by an authorizer from before environments has none: its keys were production keys.
   */
  environment: z.enum(KEY_ENVIRONMENTS).default(LEGACY_KEY_ENVIRONMENT),
});

export type PartnerCaller = z.output<typeof partnerContextSchema>;

/**
 * The caller as the authorizer described it. A request without that context
 * never passed the authorizer (misconfigured route, direct invoke): refuse it.
 */
export function partnerCallerOf(event: Pick<ApiEvent, 'requestContext'>): PartnerCaller {
  const parsed = partnerContextSchema.safeParse(event.requestContext?.authorizer ?? undefined);
  if (!parsed.success) throw new UnauthorizedError('no partner authorizer context');
  return parsed.data;
}

export { PARTNER_AUTHORIZER_CACHE_SECONDS } from '../core/contracts';
