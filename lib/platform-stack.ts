import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { PartnerEventBus } from './partner-event-bus';
import { PlatformKey } from './platform-key';
import { PlatformTables } from './platform-tables';

export interface PlatformStackProps extends StackProps {
  readonly environmentName: string;
  readonly platformBusName: string;
  readonly archiveRetention: Duration;
  /** Only test stacks pass DESTROY. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/** The shared platform: encryption key, tables and the partner event bus. */
export class PlatformStack extends Stack {
  public readonly key: PlatformKey;
  public readonly tables: PlatformTables;
  public readonly bus: PartnerEventBus;

  constructor(scope: Construct, id: string, props: PlatformStackProps) {
    super(scope, id, props);
    this.key = new PlatformKey(this, 'Encryption', {
      environmentName: props.environmentName,
      removalPolicy: props.removalPolicy,
    });
    this.tables = new PlatformTables(this, 'Tables', {
      encryptionKey: this.key.key,
      removalPolicy: props.removalPolicy,
    });
    this.bus = new PartnerEventBus(this, 'PartnerEvents', {
      eventBusName: props.platformBusName,
      archiveRetention: props.archiveRetention,
    });
  }
}
