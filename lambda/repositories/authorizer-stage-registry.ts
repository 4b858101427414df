/**
 * The API stages that attach PartnerKeyAuthorizer, as the construct
 * registers them in the tenants table on deploy (one item per stage, see
 * `authorizerStageItem`): read with one Query of the list index on every
 * flush, so a stage attached or removed since the last one counts at once.
 * `register` and `unregister` are the construct's custom resource's writes,
 * for the local runtime and tests.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { AUTHORIZER_STAGE_BUCKET, type AuthorizerStage, TenantsTable, authorizerStageItem } from '../core/data-model';
import { queryTenantBucket } from './dynamo-support';

export class AuthorizerStageRegistry {
  public constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  /** Every registered stage; items that do not hold both ids are skipped. */
  public async list(): Promise<AuthorizerStage[]> {
    const items = await queryTenantBucket(this.doc, this.tableName, AUTHORIZER_STAGE_BUCKET);
    return items.flatMap((item) =>
      typeof item.restApiId === 'string' && typeof item.stageName === 'string'
        ? [{ restApiId: item.restApiId, stageName: item.stageName }]
        : [],
    );
  }

  public async register(stage: AuthorizerStage): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: authorizerStageItem(stage) }));
  }

  public async unregister(stage: AuthorizerStage): Promise<void> {
    const key = TenantsTable.partitionKey;
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { [key]: authorizerStageItem(stage)[key] } }),
    );
  }
}
