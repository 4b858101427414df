/**
 * A function's environment variables from the synthesized template with
 * the values CloudFormation would resolve at deploy replaced by the local
 * ones: the pseudo parameters (partition, region, account), `Ref`s to the
 * platform's tables (their local names) and `Fn::Join`s of those. Lambda's
 * own `AWS_REGION` is added, as Lambda sets it.
 */
import { type CloudAssemblyView, renderValue, type StackArtifact } from '../cloud-assembly';
import { localArnOf } from '../eventbridge-template-resources';
import type { EventBridgeStore } from '../eventbridge-store';
import { functionEnvironment } from './assembly';
import { localTableName } from './tables';

export function localFunctionEnvironment(
  assembly: CloudAssemblyView,
  stack: StackArtifact,
  service: string,
  store: EventBridgeStore,
): Record<string, string> {
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': store.region,
    'AWS::AccountId': store.account,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const resolve = (value: unknown): string => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
    const record = (value ?? {}) as Record<string, unknown>;
    if (typeof record.Ref === 'string') {
      if (pseudo[record.Ref] !== undefined) return pseudo[record.Ref];
      const table = stack.template.Resources?.[record.Ref];
      if (table?.Type === 'AWS::DynamoDB::Table') return localTableName(stack, record.Ref, table.Properties ?? {});
    }
    if (Array.isArray(record['Fn::Join'])) {
      const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    return localArnOf(store, assembly, stack, value) ?? renderValue(value);
  };
  const variables = Object.fromEntries(
    Object.entries(functionEnvironment(stack, service)).map(([name, value]) => [name, resolve(value)]),
  );
  return { AWS_REGION: store.region, ...variables };
}
