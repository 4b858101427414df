import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { EventPattern } from './config/delivery-plan';
import type { PartnerShard } from './partner-shard';
import { WEBHOOK_SECRET_HEADER } from '../lambda/shared/webhook-headers';

export { WEBHOOK_SECRET_HEADER };

export interface PartnerWebhookProps {
  /** The partner this webhook delivers to; used in the rule and in descriptions. */
  readonly orgId: string;
  /** The webhook's id within the partner (a slug). */
  readonly webhookId: string;
  /** Name of the connection, the API destination and the rule (unique, under 64 characters). */
  readonly resourceName: string;
  /** Secrets Manager name of the webhook secret (handlers are granted its prefix). */
  readonly secretName: string;
  /** Where the events are POSTed. */
  readonly url: string;
  /** Deliveries per second to the URL. @default 10 */
  readonly rateLimitPerSecond?: number;
  /** The rule's pattern: sources, detail-types and the partner's own orgId. */
  readonly eventPattern: EventPattern;
  /** The shard whose bus, role, retry policy and DLQ the webhook uses. */
  readonly shard: PartnerShard;
}

/**
 * One partner webhook: a generated secret, an EventBridge connection that
 * sends it as an API key header (by dynamic reference, so the value never
 * appears in a template), an API destination and the rule that feeds it.
 * Four resources, and nothing per webhook in any shared policy.
 */
export class PartnerWebhook extends Construct {
  public readonly secret: secretsmanager.CfnSecret;
  public readonly connection: events.CfnConnection;
  public readonly apiDestination: events.CfnApiDestination;
  public readonly rule: events.CfnRule;

  constructor(scope: Construct, id: string, props: PartnerWebhookProps) {
    super(scope, id);
    const label = `${props.orgId}/${props.webhookId}`;

    this.secret = new secretsmanager.CfnSecret(this, 'Secret', {
      name: props.secretName,
      description: `partner-platform webhook secret for ${label}`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    // A webhook secret is a credential, not data: it leaves with its webhook.
    this.secret.applyRemovalPolicy(RemovalPolicy.DESTROY);
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The webhook secret is shared with the partner, so it is rotated by the admin rotation flow with an overlap window, not by a Secrets Manager rotation Lambda.',
    });

    this.connection = new events.CfnConnection(this, 'Connection', {
      name: props.resourceName,
      description: `partner-platform webhook ${label}`,
      authorizationType: 'API_KEY',
      authParameters: {
        apiKeyAuthParameters: {
          apiKeyName: WEBHOOK_SECRET_HEADER,
          apiKeyValue: SecretValue.secretsManager(this.secret.ref).unsafeUnwrap(),
        },
      },
    });

    this.apiDestination = new events.CfnApiDestination(this, 'Destination', {
      name: props.resourceName,
      description: `partner-platform webhook ${label}`,
      connectionArn: this.connection.attrArn,
      invocationEndpoint: props.url,
      httpMethod: 'POST',
      invocationRateLimitPerSecond: props.rateLimitPerSecond ?? 10,
    });

    this.rule = new events.CfnRule(this, 'Rule', {
      name: props.resourceName,
      description: `partner-platform webhook ${label}`,
      eventBusName: props.shard.eventBus.eventBusName,
      eventPattern: props.eventPattern,
      state: 'ENABLED',
      targets: [props.shard.ruleTarget('webhook', this.apiDestination.attrArn)],
    });
  }
}
