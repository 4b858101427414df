import { CustomResource, RemovalPolicy, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { ONBOARDING_RESOURCE_TYPE } from '../lambda/core/contracts';
import type { PartnerPlan } from './config/delivery-plan';
import { TAG_PREFIX } from './config/naming';
import type { PartnerShard } from './partner-shard';
import { PartnerWebhook } from './partner-webhook';

export interface PartnerProps {
  /** The partner's validated config and its webhooks' names and patterns. */
  readonly plan: PartnerPlan;
  /** The shard the partner lives in. */
  readonly shard: PartnerShard;
  /** ARN of the onboarding provider (built from its name, so no cross-stack export). */
  readonly onboardingServiceToken: string;
}

/**
 * Everything one partner owns in its shard stack. Construct ids come from
 * the orgId and webhook ids, so a partner's logical ids never depend on which
 * other partners exist or on list order. Every taggable resource is tagged
 * with the orgId (connections and API destinations cannot carry tags; their
 * names and descriptions carry it instead).
 */
export class Partner extends Construct {
  public readonly orgId: string;
  public readonly webhooks: readonly PartnerWebhook[];
  /** Registers the tenant, issues its first key and records its webhooks. */
  public readonly onboarding: CustomResource;

  constructor(scope: Construct, id: string, props: PartnerProps) {
    super(scope, id);
    const { config } = props.plan;
    this.orgId = config.orgId;
    const webhooks = props.plan.webhooks.map((plan) => ({
      plan,
      construct: new PartnerWebhook(this, `Webhook-${plan.config.id}`, {
        orgId: config.orgId,
        webhookId: plan.config.id,
        resourceName: plan.resourceName,
        secretName: plan.secretName,
        url: plan.config.url,
        rateLimitPerSecond: plan.config.rateLimitPerSecond,
        eventPattern: plan.pattern,
        shard: props.shard,
      }),
    }));
    this.webhooks = webhooks.map((webhook) => webhook.construct);

    this.onboarding = new CustomResource(this, 'Onboarding', {
      serviceToken: props.onboardingServiceToken,
      resourceType: ONBOARDING_RESOURCE_TYPE,
      properties: {
        orgId: config.orgId,
        orgName: config.orgName,
        ownerEmail: config.ownerEmail,
        apiKeyValidityDays: String(config.apiKey.validityDays),
        rotationGraceHours: String(config.apiKey.rotationGraceHours),
        // Only when the file sets it, so partners on the environment's limit keep their templates.
        ...(config.apiKey.maxActivePerEnvironment === undefined
          ? {}
          : { maxActivePerEnvironment: String(config.apiKey.maxActivePerEnvironment) }),
        webhooks: webhooks.map(({ plan, construct }) => ({
          id: plan.config.id,
          url: plan.config.url,
          events: plan.config.events,
          secretArn: construct.secret.ref,
          connectionName: plan.resourceName,
          apiDestinationName: plan.resourceName,
        })),
      },
      // Deleting the resource disables the tenant and revokes its keys; the
      // handler keeps the data.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Tags.of(this).add(`${TAG_PREFIX}:org-id`, config.orgId);
  }
}
