import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import {
  onboardingProviderFunctionName,
  pickupSecretPrefix,
  shardsNamePrefix,
  webhookSecretPrefix,
} from './config/naming';
import { PlatformFunction } from './platform-function';
import type { PlatformTables } from './platform-tables';

export interface PlatformHandlersProps {
  readonly environmentName: string;
  readonly tables: PlatformTables;
  /** Plain http:// webhook URLs are verified in dev only. */
  readonly allowHttpWebhooks: boolean;
}

/**
 * The Lambda functions of flows 1, 3 and 4 (onboarding, rotation and sweep,
 * webhook verification) with least-privilege grants, their schedules, and
 * the provider that the partners' onboarding custom resources call.
 */
export class PlatformHandlers extends Construct {
  public readonly onboarding: PlatformFunction;
  public readonly rotation: PlatformFunction;
  public readonly verification: PlatformFunction;
  public readonly onboardingProvider: cr.Provider;
  /** The role the provider's framework function runs as. */
  public readonly onboardingProviderRole: iam.Role;

  constructor(scope: Construct, id: string, props: PlatformHandlersProps) {
    super(scope, id);
    const env = props.environmentName;
    const { tables } = props;
    const shardNames = shardsNamePrefix(env);
    const common = { ENVIRONMENT_NAME: env, ALLOW_HTTP_WEBHOOKS: String(props.allowHttpWebhooks) };

    this.verification = new PlatformFunction(this, 'Verification', {
      handler: 'verification',
      serviceName: 'webhook-verification',
      description: 'Verifies webhook URLs with a signed challenge and records the result',
      timeout: Duration.minutes(2),
      environment: common,
    })
      .bindTable('WEBHOOKS_TABLE', tables.webhooks, 'write')
      .allowOnNamePrefix({
        service: 'secretsmanager',
        resource: 'secret',
        namePrefix: webhookSecretPrefix(env),
        actions: ['secretsmanager:GetSecretValue'],
        reason:
          'Signs verification challenges with the webhook secrets of this environment, found by their name prefix.',
      });

    this.onboarding = new PlatformFunction(this, 'Onboarding', {
      handler: 'onboarding',
      serviceName: 'onboarding',
      description: 'Registers partners, issues their first API key and records their webhooks (custom resource)',
      timeout: Duration.minutes(2),
      environment: { ...common, PICKUP_SECRET_PREFIX: pickupSecretPrefix(env) },
    })
      // Removing a partner file deletes its webhooks' records; tenants and keys are kept (disabled, revoked).
      .bindPlatformTables(tables, { tenants: 'write', apiKeys: 'write', webhooks: 'readWrite' })
      .allowOnNamePrefix({
        service: 'secretsmanager',
        resource: 'secret',
        namePrefix: pickupSecretPrefix(env),
        // Reads the pickup secret back to finish an onboarding a crash interrupted.
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
          'secretsmanager:TagResource',
        ],
        reason: "Writes each new partner's initial API key once to its own pickup secret, all under one name prefix.",
      });

    this.rotation = new PlatformFunction(this, 'Rotation', {
      handler: 'rotation',
      serviceName: 'key-rotation',
      description: 'Rotates API keys and webhook secrets; sweeps grace, expiring and expired keys',
      timeout: Duration.minutes(5),
      environment: common,
    })
      // Ending a secret overlap deletes its marker item; tenants and keys are only updated.
      .bindPlatformTables(tables, { tenants: 'write', apiKeys: 'write', webhooks: 'readWrite' })
      .allowOnNamePrefix({
        service: 'secretsmanager',
        resource: 'secret',
        namePrefix: webhookSecretPrefix(env),
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        reason: 'Rotates the webhook secrets of this environment, found by their name prefix.',
      })
      .allowOnNamePrefix({
        service: 'events',
        resource: 'connection',
        namePrefix: shardNames,
        actions: ['events:UpdateConnection'],
        reason: 'Puts a rotated webhook secret (and the previous one during the overlap) on the partner connections.',
      })
      .allowOnNamePrefix({
        service: 'secretsmanager',
        resource: 'secret',
        namePrefix: `events!connection/${shardNames}`,
        // UpdateConnection stores the new credentials in the connection's
        // own EventBridge-managed secret, with the caller's permissions.
        actions: [
          'secretsmanager:CreateSecret',
          'secretsmanager:UpdateSecret',
          'secretsmanager:DescribeSecret',
          'secretsmanager:DeleteSecret',
          'secretsmanager:GetSecretValue',
          'secretsmanager:PutSecretValue',
        ],
        reason:
          "EventBridge keeps each connection's credentials in a managed secret that UpdateConnection writes as the caller.",
      });

    new events.Rule(this, 'SweepSchedule', {
      description: 'Revokes ended grace keys, marks expiring keys and ends webhook secret overlaps',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [
        new targets.LambdaFunction(this.rotation, { event: events.RuleTargetInput.fromObject({ action: 'sweep' }) }),
      ],
    });
    new events.Rule(this, 'VerificationSchedule', {
      description: 'Verifies pending webhooks as soon as they are due, with backoff',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [
        new targets.LambdaFunction(this.verification, {
          event: events.RuleTargetInput.fromObject({ action: 'sweep' }),
        }),
      ],
    });

    // The framework function's role is ours, so its findings are acknowledged on it, not found inside the provider.
    this.onboardingProviderRole = new iam.Role(this, 'OnboardingProviderRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
      description: 'Runs the onboarding provider framework function, which invokes the onboarding function',
    });
    this.onboardingProvider = new cr.Provider(this, 'OnboardingProvider', {
      onEventHandler: this.onboarding,
      providerFunctionName: onboardingProviderFunctionName(env),
      frameworkOnEventRole: this.onboardingProviderRole,
    });
    const onboardingArn = `<${Stack.of(this).getLogicalId(this.onboarding.node.defaultChild as never)}.Arn>`;
    const frameworkRole = this.onboardingProviderRole;
    Validations.of(frameworkRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason: 'The provider framework function only writes its own logs with this policy.',
    });
    Validations.of(frameworkRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${onboardingArn}:*]`,
      reason: 'The provider framework invokes any version of the onboarding function, and nothing else.',
    });
  }
}
