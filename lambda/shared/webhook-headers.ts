/**
 * Headers the EventBridge connection sends with every delivery. The
 * constructs (lib/partner-webhook.ts) and the rotation handler must agree on
 * them; lib may import this file, which has no dependencies.
 */

/** Carries the current webhook secret (the connection's API key header). */
export const WEBHOOK_SECRET_HEADER = 'x-partner-platform-secret';

/** Carries the previous secret during a rotation's overlap window, so partners can switch at their pace. */
export const WEBHOOK_PREVIOUS_SECRET_HEADER = 'x-partner-platform-secret-previous';
