/**
 * Least privilege on the platform tables (issue 13 step 5): each function's
 * DynamoDB actions, per table, are exactly what its code calls. The review
 * found every request-path function granted Scan, DeleteItem and
 * BatchWriteItem on all three tables, and the authorizer more than its one
 * GetItem.
 */
import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { PlatformStack } from '../../lib/platform-stack';
import { actionsOf, statementsOfService } from '../support/iam-statements';
import { templateApp } from '../support/template-app';

const app = templateApp();
const stack = new PlatformStack(app, 'Platform', {
  environmentName: 'dev',
  allowHttpWebhooks: false,
  platformBusName: 'partner-platform-dev',
  archiveRetention: Duration.days(14),
  portal: { issuer: 'https://idp.example.com/', clientId: 'portal-client' },
});
const template = Template.fromStack(stack);
const tableIds = Object.keys(template.findResources('AWS::DynamoDB::Table'));
const tableOf = (prefix: string): string => tableIds.find((id) => id.startsWith(`Tables${prefix}`))!;

/** Table (Tenants, ApiKeys, Webhooks, Usage) -> sorted DynamoDB actions, and whether index ARNs are included. */
function tableGrants(service: string): Record<string, { actions: string[]; indexes: boolean }> {
  const grants: Record<string, { actions: string[]; indexes: boolean }> = {};
  for (const statement of statementsOfService(template, service)) {
    const actions = actionsOf(statement).filter((action) => action.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    const resources = JSON.stringify(statement.Resource);
    for (const table of ['Tenants', 'ApiKeys', 'Webhooks', 'Usage']) {
      if (!resources.includes(`"${tableOf(table)}"`)) continue;
      const previous = grants[table] ?? { actions: [], indexes: false };
      grants[table] = {
        actions: [...new Set([...previous.actions, ...actions])].sort(),
        indexes: previous.indexes || resources.includes('/index/*'),
      };
    }
  }
  return grants;
}

const read = ['dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:Query'];
const write = [...read, 'dynamodb:PutItem', 'dynamodb:UpdateItem'].sort();
const readWrite = [...write, 'dynamodb:DeleteItem'].sort();
const on = (actions: string[]) => ({ actions, indexes: true });

describe('DynamoDB grants per function', () => {
  it('the authorizer may only GetItem on the keys table (no index, no other table)', () => {
    expect(tableGrants('partner-authorizer')).toEqual({
      ApiKeys: { actions: ['dynamodb:GetItem'], indexes: false },
    });
  });

  it.each<[string, Record<string, { actions: string[]; indexes: boolean }>]>([
    // Usage: read only, one Query per key and range (the ingestion alone writes it).
    ['admin-api', { Tenants: on(write), ApiKeys: on(write), Webhooks: on(readWrite), Usage: on(read) }],
    // Tenants: the key pointer in issue/rotate/revoke transactions and each org's rate-limit
    // bucket (one conditional UpdateItem per call); no DeleteItem, TTL removes buckets.
    ['partner-api', { Tenants: on(write), ApiKeys: on(write), Webhooks: on(write), Usage: on(read) }],
    // Sessions and memberships live in the tenants table; sign-out and an owner change delete them.
    ['partner-portal', { Tenants: on(readWrite), ApiKeys: on(write), Webhooks: on(write), Usage: on(read) }],
    ['onboarding', { Tenants: on(write), ApiKeys: on(write), Webhooks: on(readWrite) }],
    ['key-rotation', { Tenants: on(write), ApiKeys: on(write), Webhooks: on(readWrite) }],
    ['webhook-verification', { Webhooks: on(write) }],
    // Puts batch markers and ADDs hourly counters (no DeleteItem: TTL removes both); on keys,
    // finds a key by org (Query, GetItem) and moves its lastUsedAt forward (UpdateItem, never Put).
    ['usage-ingest', { Usage: on(write), ApiKeys: on(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']) }],
  ])('%s gets exactly the actions its repositories call', (service, expected) => {
    expect(tableGrants(service)).toEqual(expected);
  });

  it.each(['partner-authorizer', 'admin-api', 'partner-api', 'partner-portal'])(
    'the request-path role of %s has no Scan and no batch operation on any resource',
    (service) => {
      const actions = statementsOfService(template, service).flatMap(actionsOf);
      for (const forbidden of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:*']) {
        expect(actions).not.toContain(forbidden);
      }
    },
  );

  it('no role in the stack has Scan, batch writes or DynamoDB wildcards', () => {
    const all = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy: any) =>
      (policy.Properties.PolicyDocument.Statement as any[]).flatMap((statement) => [statement.Action].flat()),
    );
    expect(all.filter((action: string) => /^dynamodb:(Scan|BatchWriteItem|\*)$/.test(action))).toEqual([]);
  });

  it('only writers get the KMS encrypt actions; the authorizer may only decrypt', () => {
    const kms = statementsOfService(template, 'partner-authorizer')
      .flatMap(actionsOf)
      .filter((action) => action.startsWith('kms:'));
    expect(kms.sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
  });
});
