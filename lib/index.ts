/**
 * What other CDK apps in the account import from partner-platform: the
 * construct that puts an API Gateway REST API behind the platform's partner
 * keys. The platform app itself starts at bin/app.ts.
 */
export { MAX_AUTHORIZER_CACHE_TTL, PartnerKeyAuthorizer } from './partner-key-authorizer';
export type { PartnerKeyAuthorizerProps } from './partner-key-authorizer';
