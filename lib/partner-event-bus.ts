import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';

export interface PartnerEventBusProps {
  /** Physical name; shard stacks find the bus by it, with no cross-stack export. */
  readonly eventBusName: string;
  /** How long the archive keeps events for replay. */
  readonly archiveRetention: Duration;
}

/**
 * The bus producers put partner events on. Every event in this account is
 * archived, so deliveries lost downstream can be replayed.
 */
export class PartnerEventBus extends Construct {
  public readonly eventBus: events.EventBus;
  public readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: PartnerEventBusProps) {
    super(scope, id);
    this.eventBus = new events.EventBus(this, 'Bus', {
      eventBusName: props.eventBusName,
      description: 'partner-platform: producers put partner events here; shards route them to partners',
    });
    this.archive = this.eventBus.archive('Archive', {
      archiveName: `${props.eventBusName}-archive`,
      description: 'Every partner event, for replay after a delivery failure',
      eventPattern: { account: [Stack.of(this).account] },
      retention: props.archiveRetention,
    });
  }
}
