import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ACCESS_LOG_FORMAT } from '../lambda/core/access-log';
import { PARTNER_AUTHORIZER_CACHE_SECONDS, PARTNER_KEY_HEADER } from '../lambda/core/contracts';

/** Longest authorizer cache the platform accepts: revocation must bite within it. */
export const MAX_AUTHORIZER_CACHE_TTL = Duration.seconds(PARTNER_AUTHORIZER_CACHE_SECONDS);

export interface PartnerKeyAuthorizerProps {
  /**
   * The platform's authorizer function (`PlatformApi.authorizerFunction`, or
   * imported by {@link PartnerKeyAuthorizer.fromPlatform}): one decision for
   * every API that partner keys protect, never a second copy of the code.
   */
  readonly handler: lambda.IFunction;
  /**
   * How long API Gateway caches the answer per key. The platform's function
   * refuses keys that end within its own TTL, so this may not exceed it.
   * @default Duration.seconds(30), the platform's
   */
  readonly cacheTtl?: Duration;
  /**
   * Where the stage writes its access log, in the platform's format.
   * @default a new log group kept one year and retained
   */
  readonly accessLogs?: logs.ILogGroup;
}

/**
 * The partner-key authorizer any API Gateway REST API in the account
 * attaches: a REQUEST authorizer on `X-API-Key` (the product documents'
 * `X-Api-Key`; header names are case-insensitive) backed by the platform's
 * authorizer function, with the platform's cache TTL, and a stage that
 * writes the platform's access-log line (lambda/core/access-log.ts), from
 * which usage is counted, cached calls included.
 *
 * One instance per REST API (an API Gateway authorizer belongs to one API):
 * use {@link methodOptions} on the API's methods (or as its
 * `defaultMethodOptions`) and call {@link attach} with its stage.
 */
export class PartnerKeyAuthorizer extends Construct {
  public readonly authorizer: apigateway.RequestAuthorizer;
  /** The stage's access log, in the platform's format. */
  public readonly accessLogs: logs.ILogGroup;
  /** Method options that put a method behind the partner key. */
  public readonly methodOptions: apigateway.MethodOptions;

  constructor(scope: Construct, id: string, props: PartnerKeyAuthorizerProps) {
    super(scope, id);
    const cacheTtl = props.cacheTtl ?? MAX_AUTHORIZER_CACHE_TTL;
    if (cacheTtl.toSeconds() > MAX_AUTHORIZER_CACHE_TTL.toSeconds()) {
      throw new Error(
        `${this.node.path}: cacheTtl is ${cacheTtl.toSeconds()} s; at most ${MAX_AUTHORIZER_CACHE_TTL.toSeconds()} s, so a revoked key stops working within that time`,
      );
    }
    // `Default` keeps the authorizer's logical id (and its invoke permission's) that of
    // a RequestAuthorizer made directly under this construct's parent.
    this.authorizer = new apigateway.RequestAuthorizer(this, 'Default', {
      authorizerName: 'partner-api-key',
      handler: props.handler,
      identitySources: [apigateway.IdentitySource.header(PARTNER_KEY_HEADER)],
      resultsCacheTtl: cacheTtl,
    });
    this.methodOptions = {
      authorizer: this.authorizer,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      requestParameters: { [`method.request.header.${PARTNER_KEY_HEADER}`]: true },
    };
    this.accessLogs =
      props.accessLogs ??
      new logs.LogGroup(this, 'AccessLogs', {
        retention: logs.RetentionDays.ONE_YEAR,
        removalPolicy: RemovalPolicy.RETAIN,
      });
  }

  /**
   * Makes `stage` write the platform's access-log line to {@link accessLogs}.
   * @throws when the stage already logs elsewhere or in another format: usage
   * is counted from this line only.
   */
  public attach(stage: apigateway.Stage): void {
    const cfnStage = stage.node.defaultChild as apigateway.CfnStage;
    const wanted: apigateway.CfnStage.AccessLogSettingProperty = {
      destinationArn: this.accessLogs.logGroupArn,
      format: ACCESS_LOG_FORMAT,
    };
    const current = cfnStage.accessLogSetting as apigateway.CfnStage.AccessLogSettingProperty | undefined;
    if (
      current !== undefined &&
      (current.format !== wanted.format || current.destinationArn !== wanted.destinationArn)
    ) {
      throw new Error(
        `${this.node.path}: stage ${stage.node.path} already writes access logs elsewhere or in another format; leave accessLogDestination and accessLogFormat unset (attach() sets the platform's, from which usage is counted) or pass your log group as accessLogs`,
      );
    }
    cfnStage.accessLogSetting = wanted;
  }
}
