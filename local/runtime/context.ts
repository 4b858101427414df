/**
 * What every component started after the tables receives: the assembly,
 * the runtime's clock, logs and URL rules, the secrets, the tables, and
 * the stoppables it adds its own stop to. A new component (a trigger, a
 * control plane, a server) is a function of this context.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '../../lambda/core/clock';
import type { UrlPolicyOptions } from '../../lambda/core/url-policy';
import type { PlatformRepositories, PlatformTableNames } from '../../lambda/repositories/platform-repositories';
import type { CloudAssemblyView, StackArtifact } from '../cloud-assembly';
import type { AuthorizerCacheLink } from './authorizer-cache';
import type { PortPlan } from './ports';
import type { LocalSecrets } from './secrets';
import type { Stoppables } from './stoppables';
import type { LocalRuntimeOptions } from './types';

export interface LocalTables {
  /** DynamoDB Local's endpoint. */
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly names: PlatformTableNames;
  readonly repositories: PlatformRepositories;
  /** The key policy limit the template gives the functions (`apiKey.maxActivePerEnvironment`); the portal enforces it too. */
  readonly maxActivePerEnvironment: number;
  /** The usage table (the usage-ingest function's USAGE_TABLE), when the template has one. */
  readonly usageTable?: string;
}

export interface RuntimeContext {
  readonly options: LocalRuntimeOptions;
  readonly ports: PortPlan;
  readonly assembly: CloudAssemblyView;
  /** The stack with the REST API, the tables and the handlers' environments. */
  readonly platform: StackArtifact;
  readonly clock: Clock;
  /** The local-only webhook URL rules: plain http and loopback receivers allowed. */
  readonly urlPolicy: UrlPolicyOptions;
  /** A handler logger at the runtime's log level. */
  logger(serviceName: string): Logger;
  readonly secrets: LocalSecrets;
  readonly tables: LocalTables;
  /** Where run-time webhook secrets go (the admin API's WEBHOOK_SECRET_PREFIX in the template). */
  readonly webhookSecretPrefix: string;
  readonly stoppables: Stoppables;
  /** Flushed by key changes; the API component attaches its gateway. */
  readonly authorizerCache: AuthorizerCacheLink;
}

/** The logger factory for a log level. */
export function loggerFactory(logLevel: LocalRuntimeOptions['logLevel'] = 'WARN'): (serviceName: string) => Logger {
  return (serviceName) => new Logger({ serviceName, logLevel });
}
