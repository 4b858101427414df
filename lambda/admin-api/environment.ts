/**
 * The admin API Lambda's environment, read once at cold start. Kept apart
 * from index.ts (which loads jose) so it can be tested without the handler.
 */
import { z } from 'zod';
import { adminTokenEnvironment } from '../api/admin-auth';
import { platformTablesEnvironment } from '../repositories/platform-repositories';
import { devOnlyHttpWebhooks, requiredString, webhookUrlEnvironment } from '../shared/env';
import { failureReplayEnvironment } from '../shared/failure-replay';
import { usageReadEnvironment } from '../repositories/usage-repository';

export const adminApiEnvironment = devOnlyHttpWebhooks(
  z.object({
    ...platformTablesEnvironment,
    WEBHOOK_SECRET_PREFIX: requiredString,
    ADMIN_API_KEY_SECRET_ARN: requiredString,
    ADMIN_JWT_ISSUER: requiredString,
    ADMIN_JWT_AUDIENCE: requiredString,
    ADMIN_JWKS_URI: z.url(),
    ADMIN_EMAIL_DOMAIN: requiredString,
    ...adminTokenEnvironment,
    ...webhookUrlEnvironment,
    ...failureReplayEnvironment,
    ...usageReadEnvironment,
  }),
);
