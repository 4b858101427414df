import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

export interface PlatformKeyProps {
  /** Environment name, used in the alias. */
  readonly environmentName: string;
  /** What happens to the key when it leaves the stack. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The customer-managed key that encrypts the platform's tables. Rotated
 * yearly by KMS; retained by default because losing it loses the data.
 */
export class PlatformKey extends Construct {
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: PlatformKeyProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      alias: `alias/partner-platform-${props.environmentName}`,
      description: `partner-platform ${props.environmentName}: tenants, API keys and webhooks`,
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
  }
}
