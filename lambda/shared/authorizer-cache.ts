/**
 * Flushing the authorizer cache of the partner API stage and of every stage
 * that attaches PartnerKeyAuthorizer (registered in the tenants table), so a
 * revoked, rotated-away or disabled tenant's key stops at once on every API
 * instead of when API Gateway's cached answer (up to 30 s) runs out. The
 * functions that revoke or rotate keys (partner API, portal, rotation and
 * sweep, onboarding's disable) hand this to ApiKeysRepository as
 * `flushAuthorizerCache`.
 *
 * A flush that fails is logged (with the API and stage) and never fails the
 * request nor stops the other stages' flushes: the key change is already
 * committed, the partner API handlers re-read the key for every credential
 * change, and the authorizer's TTL still bounds the rest.
 */
import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import { z } from 'zod';
import type { AuthorizerStage } from '../core/data-model';
import { AuthorizerStageRegistry } from '../repositories/authorizer-stage-registry';
import { awsClients } from './aws-clients';
import { mapConcurrently } from './concurrency';
import { optionalString } from './env';
import { loggableError } from './observability';

/** Set together by `PlatformFunction.bindAuthorizerCacheFlush` (lib/platform-function.ts). */
export const AUTHORIZER_CACHE_ENV = {
  restApiId: 'PARTNER_API_ID',
  stage: 'PARTNER_API_STAGE',
  /** The tenants table, where attached stages are registered. */
  stageRegistryTable: 'AUTHORIZER_STAGES_TABLE',
} as const;

/** The API id and stage both or neither: a function without any has nothing to flush (tests, local tools). */
export const authorizerCacheEnvironment = {
  [AUTHORIZER_CACHE_ENV.restApiId]: optionalString,
  [AUTHORIZER_CACHE_ENV.stage]: optionalString,
  [AUTHORIZER_CACHE_ENV.stageRegistryTable]: optionalString,
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
        props.logger?.warn('authorizer cache flush retried', {
          restApiId: props.restApiId,
          stage: props.stageName,
          attempt,
          error: loggableError(error),
        });
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 100));
      }
    }
  };
}

/** Where the stages to flush come from: the attached ones, read anew for every flush. */
export interface AuthorizerStageSource {
  list(): Promise<readonly AuthorizerStage[]>;
}

export interface FanOutFlusherProps {
  readonly client: Pick<APIGatewayClient, 'send'>;
  /** The platform API's own stage: flushed even when the registry cannot be read. @default none */
  readonly platformStage?: AuthorizerStage;
  /** The stages that attach PartnerKeyAuthorizer. @default none */
  readonly registry?: AuthorizerStageSource;
  readonly logger?: FlushLogger;
  /** Attempts per stage. @default 3 */
  readonly attempts?: number;
  /** Stages flushed at the same time, for the control plane's low request rate. @default 4 */
  readonly concurrency?: number;
}

/**
 * Flushes the platform stage and every registered stage, each with
 * {@link stageAuthorizerCacheFlusher}: one stage failing is logged by its
 * ids and the others are still flushed. Never throws.
 */
export function authorizerCacheFanOutFlusher(props: FanOutFlusherProps): FlushAuthorizerCache {
  return async () => {
    const stages = new Map<string, AuthorizerStage>();
    const add = (stage: AuthorizerStage) => stages.set(`${stage.restApiId}/${stage.stageName}`, stage);
    if (props.platformStage !== undefined) add(props.platformStage);
    if (props.registry !== undefined) {
      try {
        (await props.registry.list()).forEach(add);
      } catch (error) {
        props.logger?.error('attached stages not read; their authorizer caches not flushed', {
          error: loggableError(error),
        });
      }
    }
    await mapConcurrently([...stages.values()], props.concurrency ?? 4, (stage) =>
      stageAuthorizerCacheFlusher({ ...props, restApiId: stage.restApiId, stageName: stage.stageName })(),
    );
  };
}

/** The flusher a handler's environment asks for, or undefined when it names no stage and no registry. */
export function authorizerCacheFlusherFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  logger?: FlushLogger,
): FlushAuthorizerCache | undefined {
  const parsed = z.object(authorizerCacheEnvironment).parse(env);
  const restApiId = parsed[AUTHORIZER_CACHE_ENV.restApiId];
  const stageName = parsed[AUTHORIZER_CACHE_ENV.stage];
  const registryTable = parsed[AUTHORIZER_CACHE_ENV.stageRegistryTable];
  const platformStage = restApiId === undefined || stageName === undefined ? undefined : { restApiId, stageName };
  if (platformStage === undefined && registryTable === undefined) return undefined;
  return authorizerCacheFanOutFlusher({
    client: apiGatewayClient(),
    logger,
    ...(platformStage === undefined ? {} : { platformStage }),
    ...(registryTable === undefined ? {} : { registry: new AuthorizerStageRegistry(awsClients().doc, registryTable) }),
  });
}

let client: APIGatewayClient | undefined;

/** Created on first use; `AWS_ENDPOINT_URL_API_GATEWAY` points it elsewhere, as the SDK resolves it. */
function apiGatewayClient(): APIGatewayClient {
  client ??= new APIGatewayClient({});
  return client;
}
