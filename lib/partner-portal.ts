import { CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { FUNCTION_URL_SOURCE } from '../lambda/portal/settings-source';
import { MAIL_CONFIGURATION_SET_ENV, MAIL_SENDER_ENV } from '../lambda/shared/mail-env';
import { DEFAULT_TEST_EVENTS_PER_MINUTE, TEST_EVENTS_PER_MINUTE_ENV } from '../lambda/portal/test-event-limit';
import { portalSecretPrefix, webhookSecretPrefix } from './config/naming';
import { PlatformFunction } from './platform-function';
import type { PlatformTables } from './platform-tables';

/** Where partners sign in to the portal: `portal` in config/<env>.yaml. */
export interface PartnerPortalSettings {
  /** The OIDC issuer (Auth0 in production); discovery is read from it at run time. */
  readonly issuer: string;
  /** The client id the issuer registered for the portal. */
  readonly clientId: string;
  /**
   * The https:// origin partners open, when a custom domain serves the portal.
   * @default the portal's Function URL, as Lambda names it in each invocation (never a Host header)
   */
  readonly baseUrl?: string;
  /** Where invitations are sent from (`mail` in config/<env>.yaml). @default no mail: the Team page cannot invite */
  readonly mail?: PortalMailSettings;
}

/** Amazon SES settings of the portal's mail. */
export interface PortalMailSettings {
  /** The sender: an address of an SES identity verified in the stack's account and region. */
  readonly sender: string;
  /** The SES configuration set every message names. @default none */
  readonly configurationSet?: string;
}

export interface PartnerPortalProps extends PartnerPortalSettings {
  /** Names the secrets and the output. */
  readonly environmentName: string;
  readonly tables: PlatformTables;
  /** Encrypts both portal secrets. */
  readonly encryptionKey: kms.IKey;
  /** Plain http:// webhook URLs are accepted in dev only. */
  readonly allowHttpWebhooks: boolean;
  /** The platform bus "Send test event" publishes to (PutEvents on it, nothing else). */
  readonly platformBus: events.IEventBus;
  /** Test events each org may send a minute. @default 10 */
  readonly testEventsPerMinute?: number;
}

/**
 * The partner portal (lambda/portal): a server-rendered app on one function
 * behind a Function URL, with read-write access to the platform tables and
 * read access to exactly its two secrets, both under
 * `partner-platform/<env>/portal/` and encrypted with the platform key.
 *
 * The Function URL has auth type NONE because the portal authenticates every
 * user itself (OIDC authorization code with PKCE, then a signed session
 * cookie); IAM auth would need SigV4-signing browsers.
 *
 * The OIDC client secret is created holding a random placeholder, so no
 * credential is ever in the template: after the first deploy the operator
 * puts the secret the issuer issued for `clientId` into it
 * (`aws secretsmanager put-secret-value --secret-id partner-platform/<env>/portal/oidc-client-secret --secret-string ...`).
 * Until then sign-in fails at the token exchange.
 */
export class PartnerPortal extends Construct {
  public readonly function: PlatformFunction;
  public readonly functionUrl: lambda.FunctionUrl;
  /** The OIDC client secret; the operator replaces its placeholder value. */
  public readonly clientSecret: secretsmanager.Secret;
  /** Signs the session cookies; replacing it signs every partner out. */
  public readonly sessionSecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: PartnerPortalProps) {
    super(scope, id);
    const env = props.environmentName;
    const prefix = portalSecretPrefix(env);

    this.clientSecret = new secretsmanager.Secret(this, 'OidcClientSecret', {
      secretName: `${prefix}oidc-client-secret`,
      description: `Partner portal (${env}): OIDC client secret of client ${props.clientId}. Created with a random placeholder; put the secret the identity provider issued here.`,
      encryptionKey: props.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.clientSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The OIDC client secret is issued and rotated by the identity provider; the operator puts each new value here, so a Secrets Manager rotation would break sign-in.',
    });

    this.sessionSecret = new secretsmanager.Secret(this, 'SessionSecret', {
      secretName: `${prefix}session-secret`,
      description: `Partner portal (${env}): signs the session cookies. Replacing the value signs every partner out.`,
      encryptionKey: props.encryptionKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.sessionSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Sessions are short-lived cookies signed with this secret; it is replaced by hand when needed, which signs every partner out.',
    });

    this.function = new PlatformFunction(this, 'Function', {
      handler: 'portal',
      serviceName: 'partner-portal',
      description: 'Partner portal: OIDC sign-in, onboarding, API key and webhook URL pages',
      timeout: Duration.seconds(15),
      memorySize: 512,
      environment: {
        PORTAL_ISSUER_URL: props.issuer,
        PORTAL_CLIENT_ID: props.clientId,
        PORTAL_CLIENT_SECRET_ID: this.clientSecret.secretArn,
        PORTAL_SESSION_SECRET_ID: this.sessionSecret.secretArn,
        // Without a custom domain, the Function URL this construct makes (it cannot be in its own
        // function's environment); the portal reads it from the invocation, never from a Host header.
        ...(props.baseUrl === undefined
          ? { PORTAL_BASE_URL_SOURCE: FUNCTION_URL_SOURCE }
          : { PORTAL_BASE_URL: props.baseUrl }),
        ALLOW_HTTP_WEBHOOKS: String(props.allowHttpWebhooks),
        // A partner's first webhook gets its generated secret here, as the admin API's do.
        WEBHOOK_SECRET_PREFIX: webhookSecretPrefix(env),
        [TEST_EVENTS_PER_MINUTE_ENV]: String(props.testEventsPerMinute ?? DEFAULT_TEST_EVENTS_PER_MINUTE),
      },
    })
      // Registers tenants, issues and rotates keys, sets webhook URLs; deletes only its own session
      // and membership items in the tenants table (sign-out, owner change), never tenants, keys or webhooks.
      .bindPlatformTables(props.tables, { tenants: 'readWrite', apiKeys: 'write', webhooks: 'write' })
      .bindEventBusPublish(props.platformBus)
      .allowOnNamePrefix({
        service: 'secretsmanager',
        resource: 'secret',
        namePrefix: webhookSecretPrefix(env),
        actions: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:TagResource'],
        reason:
          'Stores the secret of the first webhook a partner sets in the portal, under the webhook secret prefix, as the admin API does.',
      });
    this.clientSecret.grantRead(this.function);
    this.sessionSecret.grantRead(this.function);
    if (props.mail !== undefined) this.allowMail(props.mail);

    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    const output = new CfnOutput(this, 'Url', {
      description: `Partner portal (${env}): register its callback under this URL with the identity provider. Auth type NONE: the portal signs partners in itself (OIDC).`,
      value: this.functionUrl.url,
    });
    // A fixed name operators can look up with `aws cloudformation describe-stacks`.
    output.overrideLogicalId('PortalUrl');
  }

  /**
   * The sender in the function's environment, and `ses:SendEmail` on that
   * identity (the address and its domain, whichever was verified) and the
   * configuration set only, from that address only.
   */
  private allowMail(mail: PortalMailSettings): void {
    const stack = Stack.of(this);
    const identity = (name: string) => stack.formatArn({ service: 'ses', resource: 'identity', resourceName: name });
    const domain = mail.sender.slice(mail.sender.lastIndexOf('@') + 1);
    this.function.addEnvironment(MAIL_SENDER_ENV, mail.sender);
    const resources = [identity(mail.sender), identity(domain)];
    if (mail.configurationSet !== undefined) {
      this.function.addEnvironment(MAIL_CONFIGURATION_SET_ENV, mail.configurationSet);
      resources.push(
        stack.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: mail.configurationSet }),
      );
    }
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources,
        conditions: { StringEquals: { 'ses:FromAddress': mail.sender } },
      }),
    );
  }
}
