import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { alarmTopicName } from './config/naming';
import { alarmTopicArn, topicAlarmAction } from './operator-alarm';

/** `alarms` in config/<env>.yaml. */
export interface AlarmTopicSettings {
  /** A topic the operators already run. @default a topic this construct creates */
  readonly topicArn?: string;
  /** Addresses subscribed to the created topic (each confirms once). @default none */
  readonly emails?: readonly string[];
}

export interface OperatorAlarmTopicProps extends AlarmTopicSettings {
  /** Names the created topic `partner-platform-<env>-alarms`. */
  readonly environmentName: string;
}

/**
 * The SNS topic every platform and shard alarm notifies. Without a
 * configured ARN it is created here under a fixed name (shard stacks build
 * its ARN from the name), encrypted with its own customer-managed key
 * (CloudWatch cannot publish to a topic under the AWS-managed SNS key),
 * TLS-only, and only CloudWatch alarms of this account may publish to it.
 */
export class OperatorAlarmTopic extends Construct {
  /** What alarms notify. */
  public readonly topicArn: string;
  public readonly alarmAction: cloudwatch.IAlarmAction;
  /** The created topic; absent when `topicArn` names the operators' own. */
  public readonly topic?: sns.Topic;

  constructor(scope: Construct, id: string, props: OperatorAlarmTopicProps) {
    super(scope, id);
    if (props.topicArn !== undefined && (props.emails ?? []).length > 0) {
      throw new Error(`${this.node.path}: emails are subscribed to the created topic only, not to ${props.topicArn}`);
    }
    if (props.topicArn === undefined) this.topic = this.createTopic(props);
    this.topicArn = this.topic?.topicArn ?? alarmTopicArn(this, props.environmentName, props.topicArn);
    this.alarmAction = topicAlarmAction(this.topicArn);
  }

  private createTopic(props: OperatorAlarmTopicProps): sns.Topic {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'Key', {
      description: `partner-platform ${props.environmentName}: alarm notifications`,
      enableKeyRotation: true,
      // Notifications are not stored, so nothing is lost with the key.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'Topic', {
      topicName: alarmTopicName(props.environmentName),
      displayName: `partner-platform ${props.environmentName} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm:*' }) },
        },
      }),
    );
    for (const email of props.emails ?? []) topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }
}
