/**
 * Flushing the partner API stage's authorizer cache, so a revoked,
 * rotated-away or disabled tenant's key stops at once instead of when API
 * Gateway's cached answer (up to 30 s) runs out. The functions that revoke
 * or rotate keys (partner API, portal, rotation and sweep, onboarding's
 * disable) hand this to ApiKeysRepository as `flushAuthorizerCache`.
 *
 * A flush that fails is logged and never fails the request: the key change
 * is already committed, the partner API handlers re-read the key for every
 * credential change, and the authorizer's TTL still bounds the rest.
 */
import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { z } from 'zod';
import { optionalString } from './env';
import { loggableError } from './observability';

/** Set together by `PlatformFunction.bindAuthorizerCacheFlush` (lib/platform-function.ts). */
export const AUTHORIZER_CACHE_ENV = { restApiId: 'PARTNER_API_ID', stage: 'PARTNER_API_STAGE' } as const;

/** Both or neither: a function without them has nothing to flush (tests, local tools). */
export const authorizerCacheEnvironment = {
  [AUTHORIZER_CACHE_ENV.restApiId]: optionalString,
  [AUTHORIZER_CACHE_ENV.stage]: optionalString,
};

export type FlushAuthorizerCache = () => Promise<void>;

export interface FlushLogger {
  warn(message: string, extra: Record<string, unknown>): void;
  error(message: string, extra: Record<string, unknown>): void;
}

export interface StageFlusherProps {
  readonly client: Pick<APIGatewayClient, 'send'>;
  readonly restApiId: string;
  readonly stageName: string;
  readonly logger?: FlushLogger;
  /** Attempts, for the control plane's low request rate. @default 3 */
  readonly attempts?: number;
}

/** FlushStageAuthorizersCache with a short jittered retry; never throws. */
export function stageAuthorizerCacheFlusher(props: StageFlusherProps): FlushAuthorizerCache {
  const attempts = props.attempts ?? 3;
  return async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await props.client.send(
          new FlushStageAuthorizersCacheCommand({ restApiId: props.restApiId, stageName: props.stageName }),
        );
        return;
      } catch (error) {
        if (attempt >= attempts) {
          props.logger?.error('authorizer cache not flushed', {
            restApiId: props.restApiId,
            stage: props.stageName,
            error: loggableError(error),
          });
          return;
        }
        props.logger?.warn('authorizer cache flush retried', { attempt, error: loggableError(error) });
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 100));
      }
    }
  };
}

/** The flusher a handler's environment asks for, or undefined when it names no API. */
export function authorizerCacheFlusherFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  logger?: FlushLogger,
): FlushAuthorizerCache | undefined {
  const parsed = z.object(authorizerCacheEnvironment).parse(env);
  const restApiId = parsed[AUTHORIZER_CACHE_ENV.restApiId];
  const stageName = parsed[AUTHORIZER_CACHE_ENV.stage];
  if (restApiId === undefined || stageName === undefined) return undefined;
  return stageAuthorizerCacheFlusher({ client: apiGatewayClient(), restApiId, stageName, logger });
}

let client: APIGatewayClient | undefined;

/** Created on first use; `AWS_ENDPOINT_URL_API_GATEWAY` points it elsewhere, as the SDK resolves it. */
function apiGatewayClient(): APIGatewayClient {
  client ??= new APIGatewayClient({});
  return client;
}
