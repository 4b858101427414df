import { Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import type { PartnerPlan } from './config/delivery-plan';
import { TAG_PREFIX } from './config/naming';
import type { PartnerShard } from './partner-shard';
import { PartnerWebhook } from './partner-webhook';

export interface PartnerProps {
  /** The partner's validated config and its webhooks' names and patterns. */
  readonly plan: PartnerPlan;
  /** The shard the partner lives in. */
  readonly shard: PartnerShard;
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

  constructor(scope: Construct, id: string, props: PartnerProps) {
    super(scope, id);
    const { config } = props.plan;
    this.orgId = config.orgId;
    this.webhooks = props.plan.webhooks.map(
      (webhook) =>
        new PartnerWebhook(this, `Webhook-${webhook.config.id}`, {
          orgId: config.orgId,
          webhookId: webhook.config.id,
          resourceName: webhook.resourceName,
          url: webhook.config.url,
          rateLimitPerSecond: webhook.config.rateLimitPerSecond,
          eventPattern: webhook.pattern,
          shard: props.shard,
        }),
    );
    Tags.of(this).add(`${TAG_PREFIX}:org-id`, config.orgId);
  }
}
