import * as os from 'node:os';
import {
  App,
  CfnResource,
  Duration,
  Environment,
  IPolicyValidationPlugin,
  RemovalPolicy,
  Stack,
  Tags,
  Validations,
} from 'aws-cdk-lib';
import type { Construct, IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeliveryPlan, planDelivery, ShardPlan } from './config/delivery-plan';
import type { PlatformConfig } from './config/load-config';
import {
  deadLetterConsumerFunctionName,
  onboardingProviderFunctionName,
  platformStackName,
  TAG_PREFIX,
} from './config/naming';
import { checkQuotas, QuotaError } from './config/quota-check';
import { PartnerShardStack, PartnerShardStackProps } from './partner-shard-stack';
import { PlatformStack, PlatformStackProps } from './platform-stack';
import { CachedShardStack, ShardStackEntry } from './stack-cache/cached-shard-stack';
import { ShardStackCache } from './stack-cache/shard-stack-cache';
import { useLambdaBundleCache } from './house-bundler';
import { enforceResourceLimit } from './stack-limits';
import { CachedCloudFormationValidatePlugin } from './validation-cache/cached-cloudformation-validate-plugin';
import { CachedNagChecks } from './validation-cache/cached-nag-checks';
import type { ValidationCache } from './validation-cache/validation-cache';

export interface PlatformAppOptions {
  /** Run the cdk-nag AwsSolutions pack as a validation plugin. @default true */
  readonly nag?: boolean;
  /** Only test stacks pass DESTROY. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Serve cdk-nag's findings per stack, and the built-in CloudFormation
   * validation's per template, from this cache when what they read is
   * unchanged (lib/validation-cache). Both still run over everything else.
   * The Lambda bundles are kept there too (lib/house-bundler.ts).
   * @default no cache: both run over every stack
   */
  readonly validationCache?: ValidationCache;
  /**
   * Serve each shard stack whose inputs are all unchanged whole from the
   * validation cache's directory instead of building it (lib/stack-cache).
   * Needs `validationCache` and cdk-nag. Only for an app that adds nothing
   * to the shard stacks after this function returns.
   * @default every shard stack is built
   */
  readonly stackCache?: {
    /** The project root (the source files the key digests). */
    readonly rootDir: string;
    /** @default the digest of the source files under rootDir */
    readonly sourceDigest?: string;
  };
}

export interface PlatformApp {
  readonly plan: DeliveryPlan;
  /** The platform stack as built (throws when it was served from the stack cache: see `platformStack`). */
  readonly platform: PlatformStack;
  /** The platform stack, built or served from the stack cache. */
  readonly platformStack: PlatformStack | CachedShardStack;
  /** The shard stacks built (all of them without a stack cache). */
  readonly shards: readonly PartnerShardStack[];
  /** The shard stacks served from the stack cache. */
  readonly cachedShards: readonly CachedShardStack[];
}

/**
 * Builds the platform stack and one stack per non-empty shard from a
 * validated config. Throws {@link QuotaError} before creating any construct
 * when the plan would cross an EventBridge quota.
 */
export function buildPlatformApp(app: App, config: PlatformConfig, options: PlatformAppOptions = {}): PlatformApp {
  const { environment } = config;
  if (options.validationCache) useLambdaBundleCache(app, options.validationCache);
  // Validation threads start now, so their engines are ready when the templates are.
  const validation = startValidation(app, options);
  const plan = planDelivery(config);
  const problems = checkQuotas(plan, environment);
  if (problems.length > 0) throw new QuotaError(problems);

  const nag = addNag(app, options);
  const stackCache = shardStackCache(app, config, options, nag, validation);
  const platform = buildPlatformStack(app, environment, plan, options, stackCache);
  const built = plan.shards.map((shardPlan) =>
    buildShardStack(app, environment, plan, shardPlan, platform, stackCache),
  );
  const shards = built.filter((stack): stack is PartnerShardStack => stack instanceof PartnerShardStack);
  const cachedShards = built.filter((stack): stack is CachedShardStack => stack instanceof CachedShardStack);

  Tags.of(platform).add(`${TAG_PREFIX}:environment`, environment.name);
  validation?.prepare([...resourceTypes(app), 'AWS::CDK::Metadata']);
  for (const stack of [platform, ...built]) validation?.validateWhenWritten(stack);
  return {
    plan,
    get platform(): PlatformStack {
      if (platform instanceof PlatformStack) return platform;
      throw new Error(`${platform.node.path} was served from the stack cache; use platformStack`);
    },
    platformStack: platform,
    shards,
    cachedShards,
  };
}

/** One way to construct either class, so both record the same creation stack trace. */
type PlatformStackClass = new (
  scope: Construct,
  id: string,
  props: PlatformStackProps & { readonly served?: ShardStackEntry },
) => PlatformStack | CachedShardStack;

/**
 * The platform stack: built, or served whole from the stack cache when
 * every input is unchanged (its props come from the environment config
 * alone, which the key digests with the sources, versions and context; the
 * shard stacks only name its resources by their fixed names). Its Lambda
 * bundles must already be staged in the cloud assembly to be served.
 */
function buildPlatformStack(
  app: App,
  environment: PlatformConfig['environment'],
  plan: DeliveryPlan,
  options: PlatformAppOptions,
  stackCache: ShardStackCache | undefined,
): PlatformStack | CachedShardStack {
  const env = stackEnvironment(environment);
  const props: PlatformStackProps = {
    env,
    description: `partner-platform (${environment.name}): key, tables and the partner event bus`,
    environmentName: environment.name,
    platformBusName: plan.platformBusName,
    archiveRetention: Duration.days(environment.archiveRetentionDays),
    allowHttpWebhooks: environment.allowHttpWebhooks,
    waf: environment.waf,
    partnerRateLimit: environment.partnerApi.rateLimit,
    maxActiveKeysPerEnvironment: environment.apiKey.maxActivePerEnvironment,
    adminApi: environment.adminApi,
    portal:
      environment.portal === undefined || environment.mail === undefined
        ? environment.portal
        : { ...environment.portal, mail: environment.mail },
    removalPolicy: options.removalPolicy,
    failureRetentionDays: environment.failures.retentionDays,
    alarms: { topicArn: environment.alarms.topicArn, emails: environment.alarms.emails },
    disableAfterHours: environment.failures.disableAfterHours,
    ...(environment.runtime === undefined
      ? {}
      : {
          provisioner: {
            shardCount: environment.sharding.shardCount,
            routesPerShard: environment.runtime.routesPerShard,
            rateLimitPerSecond: environment.runtime.rateLimitPerSecond,
            retryPolicy: environment.delivery,
            limits: {
              ...environment.quotas,
              maxWebhooks: environment.runtime.maxWebhooks,
              maxWebhooksPerShard: environment.runtime.maxWebhooksPerShard,
            },
          },
        }),
  };
  const id = platformStackName(environment.name);
  const key = stackCache?.keyOf(id, props);
  const served = key === undefined ? undefined : stackCache?.lookup(key, id, env ?? {});
  const Platform: PlatformStackClass = served ? CachedShardStack : PlatformStack;
  const stack = new Platform(app, id, { ...props, served });
  Tags.of(stack).add(`${TAG_PREFIX}:component`, 'platform');
  if (key !== undefined) stackCache?.track(stack, key);
  return stack;
}

/** One way to construct either class, so both record the same creation stack trace. */
type ShardStackClass = new (
  scope: Construct,
  id: string,
  props: PartnerShardStackProps & { readonly served?: ShardStackEntry },
) => Stack;

/**
 * The shard's stack: built, or served whole from the stack cache when every
 * input is unchanged. Either way with the same id, environment, tags and
 * dependency on the platform stack.
 */
function buildShardStack(
  app: App,
  environment: PlatformConfig['environment'],
  plan: DeliveryPlan,
  shardPlan: ShardPlan,
  platform: Stack,
  stackCache: ShardStackCache | undefined,
): Stack {
  const env = stackEnvironment(environment);
  const props: PartnerShardStackProps = {
    env,
    description: `partner-platform (${environment.name}): webhooks of the partners in ${shardPlan.busName}`,
    plan: shardPlan,
    platformBusName: plan.platformBusName,
    retryPolicy: environment.delivery,
    onboardingProviderFunctionName: onboardingProviderFunctionName(environment.name),
    deadLetterConsumerFunctionName: deadLetterConsumerFunctionName(environment.name),
    alarms: {
      environmentName: environment.name,
      topicArn: environment.alarms.topicArn,
      deadLetterMaxAgeMinutes: environment.alarms.deadLetterMaxAgeMinutes,
    },
  };
  const key = stackCache?.keyOf(shardPlan.stackName, props);
  const served = key === undefined ? undefined : stackCache?.lookup(key, shardPlan.stackName, env ?? {});
  const ShardStack: ShardStackClass = served ? CachedShardStack : PartnerShardStack;
  const stack = new ShardStack(app, shardPlan.stackName, { ...props, served });
  // Only for deploy order: the routing rules sit on the platform bus.
  stack.addStackDependency(platform);
  // Stack tags (CloudFormation copies them to every taggable resource at
  // deploy) rather than the Tags aspect, which would write them into each of
  // the shard's resources: a third of a 3,000-partner synth's template bytes
  // and of its built-in validation time. Each partner resource still carries
  // its orgId tag in the template.
  stack.tags.setTag(`${TAG_PREFIX}:component`, 'partner-shard');
  stack.tags.setTag(`${TAG_PREFIX}:shard`, String(shardPlan.shard));
  stack.tags.setTag(`${TAG_PREFIX}:environment`, environment.name);
  if (!served) {
    enforceResourceLimit(
      stack,
      environment.sharding.maxResourcesPerStack,
      `raise sharding.shardCount in config/${environment.name}.yaml or move webhooks out of this shard's partners`,
    );
  }
  if (key !== undefined) stackCache?.track(stack, key);
  return stack;
}

function stackEnvironment(environment: PlatformConfig['environment']): Environment | undefined {
  return environment.account || environment.region
    ? { account: environment.account, region: environment.region }
    : undefined;
}

/**
 * Unchanged shard stacks are served whole (lib/stack-cache) only when the
 * caller asks for it and both checks are cached: cdk-nag must run, and the
 * CloudFormation validation's findings are required when it runs.
 */
function shardStackCache(
  app: App,
  config: PlatformConfig,
  options: PlatformAppOptions,
  nag: IPolicyValidationPlugin | undefined,
  validation: CachedCloudFormationValidatePlugin | undefined,
): ShardStackCache | undefined {
  if (!options.stackCache || !options.validationCache || !(nag instanceof CachedNagChecks)) return undefined;
  return new ShardStackCache(options.validationCache, app, config, {
    rootDir: options.stackCache.rootDir,
    sourceDigest: options.stackCache.sourceDigest,
    nag,
    cloudFormation: builtinValidationEnabled(app) ? validation : undefined,
  });
}

function addNag(app: App, options: PlatformAppOptions): IPolicyValidationPlugin | undefined {
  if (!(options.nag ?? true)) return undefined;
  // Acknowledged findings are also written into the templates' metadata, so
  // auditors (and the audit report, which reads cdk.out only) see each reason.
  const pack = new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true });
  const cache = options.validationCache;
  const plugin = cache ? new CachedNagChecks(pack, cache) : pack;
  Validations.of(app).addPlugins(plugin);
  return plugin;
}

/**
 * With a cache, the built-in CloudFormation validation is served from it and
 * runs on threads beside the app, when aws-cdk-lib would run it at all (App
 * prop, `cdk synth --no-validation`).
 */
function startValidation(app: App, options: PlatformAppOptions): CachedCloudFormationValidatePlugin | undefined {
  if (!options.validationCache) return undefined;
  return CachedCloudFormationValidatePlugin.install(options.validationCache, {
    threads: builtinValidationEnabled(app) ? os.availableParallelism() : 0,
  });
}

/** Whether aws-cdk-lib will run its CloudFormation validation (App prop, `cdk synth --no-validation`). */
function builtinValidationEnabled(app: App): boolean {
  const builtin = (app as unknown as { _builtinCloudFormationValidation?: boolean })._builtinCloudFormationValidation;
  return builtin !== false && process.env.CDK_VALIDATION !== 'false';
}

function resourceTypes(app: App): Set<string> {
  const types = new Set<string>();
  const visit = (node: IConstruct): void => {
    if (CfnResource.isCfnResource(node)) types.add(node.cfnResourceType);
    for (const child of node.node.children) visit(child);
  };
  visit(app);
  return types;
}
