/**
 * The app a team would write with the L2 constructs and no sharding design,
 * as the synth benchmark's baseline: per webhook an `events.Connection`
 * (API key from a generated `secretsmanager.Secret`), an
 * `events.ApiDestination` and an `events.Rule` with a
 * `targets.ApiDestination` target (which adds its own role and policy), all
 * on one bus, and per partner the onboarding `CustomResource`. A CloudFormation stack holds 500 resources, so partners are
 * chained into a new stack every {@link PARTNERS_PER_STACK} partners or
 * before a stack would pass {@link MAX_RESOURCES_PER_STACK} resources, each
 * with its own dead-letter queue (an L2 target adds a queue-policy statement
 * per rule, and a queue in another stack would make the stacks cyclic).
 *
 * Same inputs as the real app (the validated config) and the same things
 * provisioned (a secret, connection, destination and rule per webhook with
 * the same patterns, retry policy, DLQ and orgId tags; an onboarding custom
 * resource per partner), so the benchmark compares designs, not features.
 */
import { ONBOARDING_RESOURCE_TYPE } from '../lambda/core/contracts';
import { App, ArnFormat, CustomResource, Duration, SecretValue, Stack, Tags } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALL_EVENTS, catalogSources } from '../lambda/core/event-catalog';
import type { PlatformConfig } from '../lib/config/load-config';

export const PARTNERS_PER_STACK = 100;
export const MAX_RESOURCES_PER_STACK = 450;
/** Secret, connection, API destination, rule, and the target's role and policy. */
export const NAIVE_RESOURCES_PER_WEBHOOK = 6;
/** The dead-letter queue, its policy and the CDK metadata resource. */
const RESOURCES_PER_STACK = 3;
const TAG_PREFIX = 'partner-platform';

export interface NaiveApp {
  readonly busStack: Stack;
  readonly partnerStacks: readonly Stack[];
}

export function buildNaiveApp(app: App, config: PlatformConfig): NaiveApp {
  const { environment } = config;
  const prefix = `naive-${environment.name}`;
  const busStack = new Stack(app, `${prefix}-bus`);
  const bus = new events.EventBus(busStack, 'Bus', { eventBusName: `${prefix}-bus` });

  const partnerStacks: Stack[] = [];
  let stack: Stack | undefined;
  let deadLetterQueue: sqs.Queue | undefined;
  let partnersInStack = 0;
  let resourcesInStack = 0;
  for (const partner of config.partners) {
    const needed = 1 + partner.webhooks.length * NAIVE_RESOURCES_PER_WEBHOOK;
    if (!stack || partnersInStack >= PARTNERS_PER_STACK || resourcesInStack + needed > MAX_RESOURCES_PER_STACK) {
      stack = new Stack(app, `${prefix}-partners-${partnerStacks.length + 1}`);
      deadLetterQueue = new sqs.Queue(stack, 'DeadLetterQueue', { retentionPeriod: Duration.days(14) });
      partnerStacks.push(stack);
      partnersInStack = 0;
      resourcesInStack = RESOURCES_PER_STACK;
    }
    partnersInStack += 1;
    resourcesInStack += needed;

    const owner = new Construct(stack, `Partner-${partner.orgId}`);
    const webhooks: Array<Record<string, unknown>> = [];
    for (const webhook of partner.webhooks) {
      const secret = new secretsmanager.Secret(owner, `${webhook.id}Secret`, {
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
      const connection = new events.Connection(owner, `${webhook.id}Connection`, {
        authorization: events.Authorization.apiKey(
          'x-partner-platform-secret',
          SecretValue.secretsManager(secret.secretArn),
        ),
        description: `webhook ${partner.orgId}/${webhook.id}`,
      });
      const destination = new events.ApiDestination(owner, `${webhook.id}Destination`, {
        connection,
        endpoint: webhook.url,
        rateLimitPerSecond: webhook.rateLimitPerSecond,
      });
      new events.Rule(owner, `${webhook.id}Rule`, {
        eventBus: bus,
        eventPattern: {
          source: catalogSources(config.catalog),
          ...(webhook.events.includes(ALL_EVENTS) ? {} : { detailType: [...webhook.events] }),
          detail: { partnerId: [partner.orgId] },
        },
        targets: [
          new targets.ApiDestination(destination, {
            deadLetterQueue,
            maxEventAge: Duration.seconds(environment.delivery.maxEventAgeSeconds),
            retryAttempts: environment.delivery.retryAttempts,
          }),
        ],
      });
      webhooks.push({ id: webhook.id, url: webhook.url, events: webhook.events, secretArn: secret.secretArn });
    }
    new CustomResource(owner, 'Onboarding', {
      serviceToken: stack.formatArn({
        service: 'lambda',
        resource: 'function',
        resourceName: `${prefix}-onboarding-provider`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      resourceType: ONBOARDING_RESOURCE_TYPE,
      properties: { orgId: partner.orgId, orgName: partner.orgName, ownerEmail: partner.ownerEmail, webhooks },
    });
    Tags.of(owner).add(`${TAG_PREFIX}:org-id`, partner.orgId);
  }
  Tags.of(app).add(`${TAG_PREFIX}:environment`, environment.name);
  return { busStack, partnerStacks };
}
