/**
 * The link from key changes to the local gateway's authorizer cache. The
 * repositories are built with the tables, before the gateway exists, so they
 * get this link's `flush`, and the API component attaches the gateway when
 * it starts: revoke, rotate and disable then flush the gateway's cache, as
 * FlushStageAuthorizersCache flushes the stage's in AWS.
 */
import type { LocalApiGateway } from '../api-gateway';

export class AuthorizerCacheLink {
  private gateway: Pick<LocalApiGateway, 'flushAuthorizerCache'> | undefined;

  public attach(gateway: Pick<LocalApiGateway, 'flushAuthorizerCache'>): void {
    this.gateway = gateway;
  }

  public readonly flush = async (): Promise<void> => {
    this.gateway?.flushAuthorizerCache();
  };
}
