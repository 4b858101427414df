/**
 * The portal's server-side state that a cookie only points at, in the tenants
 * table beside the memberships (an orgId can never contain `#`, and these
 * items carry no list-bucket attribute, so neither a tenant lookup nor the
 * tenants listing ever meets them):
 *
 * - `portal-session#<sha256(session id)>`: who is signed in. The cookie holds
 *   the id; without this item the cookie signs no one in, so deleting it
 *   (logout, an owner change, a disabled org, a removal from the team) ends
 *   the session at once. Each sits in its user's `sessions#<member id>`
 *   bucket of the list index, so a removal finds them with one Query.
 * - `portal-reveal#<sha256(nonce)>`: a just-issued key may be revealed once.
 *   The view deletes it with a conditional DeleteItem, so a replayed flash
 *   cookie finds it gone. It holds the key's id, never the plaintext.
 *
 * Both expire by themselves (`deleteAfter`, the table's TTL attribute); since
 * DynamoDB deletes expired items only eventually, every read checks the
 * expiry too. Reads are strongly consistent: a logout is final for the very
 * next request.
 */
import { createHash } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TenantsTable, tenantItemBucket } from '../core/data-model';
import { isConditionalCheckFailed, queryTenantBucket } from '../repositories/dynamo-support';
import { memberIdOf } from './memberships';
import { FLASH_TTL_SECONDS, SESSION_TTL_SECONDS, type Session, type SessionCookie, randomToken } from './session';

export const SESSION_KEY_PREFIX = 'portal-session#';
export const REVEAL_KEY_PREFIX = 'portal-reveal#';

const PK = TenantsTable.partitionKey;
const TTL = TenantsTable.timeToLiveAttribute;
const LIST = TenantsTable.byListIndex;

/** The item key for a secret value (a session id, a nonce): only its hash is stored. */
function hashedKey(prefix: string, secret: string): Record<string, string> {
  return { [PK]: prefix + createHash('sha256').update(secret).digest('hex') };
}

/** Who signs in, as the verified ID token says. */
export type SessionIdentity = Pick<Session, 'iss' | 'sub' | 'email' | 'name'>;

export class SessionStore {
  public constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly nowSeconds: () => number,
  ) {}

  /** A new session for the identity: the stored item and the cookie that points at it. */
  public async start(
    identity: SessionIdentity,
  ): Promise<{ readonly session: Session; readonly cookie: SessionCookie }> {
    const exp = this.nowSeconds() + SESSION_TTL_SECONDS;
    const cookie: SessionCookie = { sid: randomToken(), csrf: randomToken(), exp };
    const { iss, sub, email } = identity;
    const name = identity.name === undefined ? {} : { name: identity.name };
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          recordType: 'portal-session',
          iss,
          sub,
          email,
          ...name,
          exp,
          [TTL]: exp,
          [LIST.partitionKey]: tenantItemBucket('sessions', memberIdOf(identity)),
          ...hashedKey(SESSION_KEY_PREFIX, cookie.sid),
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      }),
    );
    return { session: { id: cookie.sid, iss, sub, email, ...name, csrf: cookie.csrf, exp }, cookie };
  }

  /** The live session the cookie points at; undefined once it was ended or has expired. */
  public async get(cookie: SessionCookie): Promise<Session | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: hashedKey(SESSION_KEY_PREFIX, cookie.sid),
        ConsistentRead: true,
      }),
    );
    if (Item === undefined || typeof Item.exp !== 'number' || Item.exp <= this.nowSeconds()) return undefined;
    const { iss, sub, email, name } = Item as Record<string, unknown>;
    if (typeof iss !== 'string' || typeof sub !== 'string' || typeof email !== 'string') return undefined;
    return {
      id: cookie.sid,
      iss,
      sub,
      email,
      ...(typeof name === 'string' ? { name } : {}),
      csrf: cookie.csrf,
      exp: Math.min(Item.exp, cookie.exp),
    };
  }

  /** Ends the session: its cookie signs no one in from now on. Safe to repeat. */
  public async end(sessionId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: hashedKey(SESSION_KEY_PREFIX, sessionId) }),
    );
  }

  /**
   * Ends every session of the member (`memberIdOf`; a removal from the team): one Query of
   * their bucket, then a DeleteItem each. Returns how many were ended.
   */
  public async endAllFor(memberId: string): Promise<number> {
    const items = await queryTenantBucket(this.doc, this.tableName, tenantItemBucket('sessions', memberId));
    const keys = items.map((item) => String(item[PK]));
    await Promise.all(
      keys.map((key) => this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { [PK]: key } }))),
    );
    return keys.length;
  }

  /** Records that the key `keyId` of `orgId` may be revealed once; returns the nonce for the flash cookie. */
  public async allowReveal(orgId: string, keyId: string): Promise<string> {
    const nonce = randomToken();
    const exp = this.nowSeconds() + FLASH_TTL_SECONDS;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        // `forOrg`, not `orgId`: that is the table's partition key.
        Item: {
          recordType: 'portal-reveal',
          forOrg: orgId,
          keyId,
          exp,
          [TTL]: exp,
          ...hashedKey(REVEAL_KEY_PREFIX, nonce),
        },
      }),
    );
    return nonce;
  }

  /**
   * Uses the nonce up: true for the one caller whose DeleteItem removed a live
   * record for this key; false for every later one (and for an expired or a
   * foreign nonce).
   */
  public async consumeReveal(nonce: string, orgId: string, keyId: string): Promise<boolean> {
    try {
      const { Attributes } = await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: hashedKey(REVEAL_KEY_PREFIX, nonce),
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const record = Attributes ?? {};
      return record.forOrg === orgId && record.keyId === keyId && Number(record.exp) > this.nowSeconds();
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
