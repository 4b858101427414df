/**
 * Where `npm run audit -- --live` reads from: EventBridge and the webhooks
 * table, in AWS (the default credential chain and region) or in the local
 * runtime (`--endpoint-url` for its EventBridge endpoint and
 * `--dynamodb-endpoint-url` for its DynamoDB Local; dummy credentials).
 * Run-time names come from the provisioner's own naming and the shard
 * count in its function's environment, so the audit names what the
 * provisioner would have made, never a guess.
 */
import { deliveryRuleOf } from '../../lambda/core/endpoint-health';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { systemClock } from '../../lambda/core/clock';
import { runtimeWebhookResourceName, shardBusName, shardsNamePrefix } from '../../lambda/core/delivery-names';
import { shardOf } from '../../lambda/core/sharding';
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { type CloudAssemblyView, resourcesOfType, type StackArtifact } from '../../local/cloud-assembly';
import { functionEnvironment } from '../../local/runtime/assembly';
import { localTableName } from '../../local/runtime/tables';
import {
  buildLiveAudit,
  type LiveAudit,
  type LiveWebhookRecord,
  readLiveEventBridge,
  templateNames,
} from './audit-live';

export interface LiveSourceOptions {
  /** The local runtime's EventBridge endpoint; AWS when absent. */
  readonly eventBridgeEndpoint?: string;
  /** The local runtime's DynamoDB endpoint; AWS when absent. */
  readonly dynamoDbEndpoint?: string;
  readonly region?: string;
  /** Physical table names; default the local runtime's names for the template's tables. */
  readonly tenantsTable?: string;
  readonly webhooksTable?: string;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function collectLiveAudit(
  assembly: CloudAssemblyView,
  environment: string,
  options: LiveSourceOptions,
): Promise<LiveAudit> {
  const platform = platformStack(assembly);
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const eventBridge = new EventBridgeClient({ region, ...endpointConfig(options.eventBridgeEndpoint) });
  const dynamo = new DynamoDBClient({ region, ...endpointConfig(options.dynamoDbEndpoint) });
  const doc = DynamoDBDocumentClient.from(dynamo);
  try {
    const shardCount = Number(functionEnvironment(platform, 'webhook-provisioner').SHARD_COUNT ?? 1);
    const prefix = shardsNamePrefix(environment);
    const live = await readLiveEventBridge(eventBridge, [...templateNames(assembly).buses, 'default'], [prefix]);
    const records = await readRecords(doc, {
      tenants: options.tenantsTable ?? tableOf(platform, 'TENANTS_TABLE'),
      webhooks: options.webhooksTable ?? tableOf(platform, 'WEBHOOKS_TABLE'),
    });
    const routeName = new RegExp(`^${prefix}\\d{3}-route-rt\\d+$`);
    return buildLiveAudit({
      assembly,
      live,
      records,
      placement: (orgId, webhookId) => {
        const shard = shardOf(orgId, shardCount);
        return {
          name: runtimeWebhookResourceName(environment, shard, orgId, webhookId),
          busName: shardBusName(environment, shard),
        };
      },
      isRuntimeRoute: (name) => routeName.test(name),
      configPlacement: (orgId, webhookId) => {
        const { ruleName, busName } = deliveryRuleOf({ orgId, webhookId, source: 'config' }, environment, shardCount);
        return { name: ruleName, busName };
      },
    });
  } finally {
    eventBridge.destroy();
    dynamo.destroy();
  }
}

function endpointConfig(endpoint: string | undefined) {
  return endpoint === undefined ? {} : { endpoint, credentials: LOCAL_CREDENTIALS };
}

function platformStack(assembly: CloudAssemblyView): StackArtifact {
  const stack = assembly.stacks.find(
    (candidate) => resourcesOfType(candidate.template, 'AWS::DynamoDB::Table').length > 0,
  );
  if (stack === undefined) throw new Error(`${assembly.dir} has no platform stack (no tables)`);
  return stack;
}

/** The local name of the table the onboarding function's variable references. */
function tableOf(platform: StackArtifact, variable: string): string {
  const ref = (functionEnvironment(platform, 'onboarding')[variable] as { Ref?: string } | undefined)?.Ref;
  const table = ref === undefined ? undefined : platform.template.Resources?.[ref];
  if (ref === undefined || table === undefined)
    throw new Error(`the onboarding function's ${variable} names no table; pass the table name`);
  return localTableName(platform, ref, table.Properties ?? {});
}

/** Every webhook of every tenant: the tenants' listing, then each tenant's webhooks (no Scan). */
async function readRecords(
  doc: DynamoDBDocumentClient,
  tables: { readonly tenants: string; readonly webhooks: string },
): Promise<LiveWebhookRecord[]> {
  const repositories = repositoriesFor(doc, { ...tables, apiKeys: 'unused' }, systemClock);
  const records: LiveWebhookRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await repositories.tenants.list({ limit: 100, ...(cursor === undefined ? {} : { cursor }) });
    for (const tenant of page.items) {
      for (const webhook of await repositories.webhooks.listAll(tenant.orgId)) {
        records.push({
          orgId: webhook.orgId,
          webhookId: webhook.webhookId,
          source: webhook.source,
          url: webhook.url,
          ...(webhook.verifiedUrl === undefined ? {} : { verifiedUrl: webhook.verifiedUrl }),
          events: webhook.events,
          status: webhook.status,
          ...(webhook.secretArn === undefined ? {} : { secretArn: webhook.secretArn }),
          ...(webhook.delivery === undefined ? {} : { delivery: webhook.delivery }),
          ...(webhook.health === undefined ? {} : { health: webhook.health }),
        });
      }
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return records;
}
