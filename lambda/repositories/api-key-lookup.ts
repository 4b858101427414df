/**
 * The authorizer's one read: a key record by the SHA-256 hash of the key, a
 * strongly consistent GetItem on the API keys table (never a scan). It uses
 * the plain DynamoDB client and `unmarshall`, not the document client and
 * not ApiKeysRepository, so the authorizer bundle carries neither
 * (bench:keys measures it).
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ApiKeysTable } from '../core/data-model';
import type { StoredApiKey } from './api-keys-repository';

export class ApiKeyLookup {
  public constructor(
    private readonly client: DynamoDBClient,
    private readonly apiKeysTableName: string,
  ) {}

  public async getByHash(keyHash: string): Promise<StoredApiKey | undefined> {
    const { Item } = await this.client.send(
      new GetItemCommand({
        TableName: this.apiKeysTableName,
        Key: { [ApiKeysTable.partitionKey]: { S: keyHash } },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : (unmarshall(Item) as StoredApiKey);
  }
}
