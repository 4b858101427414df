import * as os from 'node:os';
import { App, CfnResource, Duration, RemovalPolicy, Tags, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeliveryPlan, planDelivery } from './config/delivery-plan';
import type { PlatformConfig } from './config/load-config';
import { onboardingProviderFunctionName, platformStackName, TAG_PREFIX } from './config/naming';
import { checkQuotas, QuotaError } from './config/quota-check';
import { PartnerShardStack } from './partner-shard-stack';
import { PlatformStack } from './platform-stack';
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
   * @default no cache: both run over every stack
   */
  readonly validationCache?: ValidationCache;
}

export interface PlatformApp {
  readonly plan: DeliveryPlan;
  readonly platform: PlatformStack;
  readonly shards: readonly PartnerShardStack[];
}

/**
 * Builds the platform stack and one stack per non-empty shard from a
 * validated config. Throws {@link QuotaError} before creating any construct
 * when the plan would cross an EventBridge quota.
 */
export function buildPlatformApp(app: App, config: PlatformConfig, options: PlatformAppOptions = {}): PlatformApp {
  const { environment } = config;
  // Validation threads start now, so their engines are ready when the templates are.
  const validation = startValidation(app, options);
  const plan = planDelivery(config);
  const problems = checkQuotas(plan, environment);
  if (problems.length > 0) throw new QuotaError(problems);

  const env =
    environment.account || environment.region
      ? { account: environment.account, region: environment.region }
      : undefined;

  const platform = new PlatformStack(app, platformStackName(environment.name), {
    env,
    description: `partner-platform (${environment.name}): key, tables and the partner event bus`,
    environmentName: environment.name,
    platformBusName: plan.platformBusName,
    archiveRetention: Duration.days(environment.archiveRetentionDays),
    allowHttpWebhooks: environment.allowHttpWebhooks,
    waf: environment.waf,
    adminApi: environment.adminApi,
    portal:
      environment.portal === undefined || environment.mail === undefined
        ? environment.portal
        : { ...environment.portal, mail: environment.mail },
    removalPolicy: options.removalPolicy,
    failureRetentionDays: environment.failures.retentionDays,
    alarms: { topicArn: environment.alarms.topicArn, emails: environment.alarms.emails },
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
  });
  Tags.of(platform).add(`${TAG_PREFIX}:component`, 'platform');

  const shards = plan.shards.map((shardPlan) => {
    const stack = new PartnerShardStack(app, shardPlan.stackName, {
      env,
      description: `partner-platform (${environment.name}): webhooks of the partners in ${shardPlan.busName}`,
      plan: shardPlan,
      platformBusName: plan.platformBusName,
      retryPolicy: environment.delivery,
      onboardingProviderFunctionName: onboardingProviderFunctionName(environment.name),
      deadLetterConsumerFunctionName: platform.deadLetterConsumer.functionName,
      alarms: {
        environmentName: environment.name,
        topicArn: environment.alarms.topicArn,
        deadLetterMaxAgeMinutes: environment.alarms.deadLetterMaxAgeMinutes,
      },
    });
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
    enforceResourceLimit(
      stack,
      environment.sharding.maxResourcesPerStack,
      `raise sharding.shardCount in config/${environment.name}.yaml or move webhooks out of this shard's partners`,
    );
    return stack;
  });

  Tags.of(platform).add(`${TAG_PREFIX}:environment`, environment.name);
  addNag(app, options);
  validation?.prepare([...resourceTypes(app), 'AWS::CDK::Metadata']);
  return { plan, platform, shards };
}

function addNag(app: App, options: PlatformAppOptions): void {
  if (!(options.nag ?? true)) return;
  // Acknowledged findings are also written into the templates' metadata, so
  // auditors (and the audit report, which reads cdk.out only) see each reason.
  const pack = new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true });
  const cache = options.validationCache;
  Validations.of(app).addPlugins(cache ? new CachedNagChecks(pack, cache) : pack);
}

/**
 * With a cache, the built-in CloudFormation validation is served from it and
 * runs on threads beside the app, when aws-cdk-lib would run it at all (App
 * prop, `cdk synth --no-validation`).
 */
function startValidation(app: App, options: PlatformAppOptions): CachedCloudFormationValidatePlugin | undefined {
  if (!options.validationCache) return undefined;
  const builtin = (app as unknown as { _builtinCloudFormationValidation?: boolean })._builtinCloudFormationValidation;
  const enabled = builtin !== false && process.env.CDK_VALIDATION !== 'false';
  return CachedCloudFormationValidatePlugin.install(options.validationCache, {
    threads: enabled ? os.availableParallelism() : 0,
  });
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
