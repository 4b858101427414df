import { z } from 'zod';

import { DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT } from '../../lambda/core/api-keys';
import { ENVIRONMENT_NAMES } from '../../lambda/core/contracts';
import { keyLimit } from './partner-schema';
import { DEFAULT_DISABLE_AFTER_HOURS } from '../../lambda/core/endpoint-health';
import { DEFAULT_PARTNER_RATE_LIMIT } from '../../lambda/core/rate-limit';
import { CLOUDFORMATION_MAX_RESOURCES, CLOUDFORMATION_MAX_TEMPLATE_BYTES } from './aws-limits';

export { ENVIRONMENT_NAMES, type EnvironmentName } from '../../lambda/core/contracts';

const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `must be a whole number (${what})` })
    .int(`must be a whole number (${what})`)
    .min(1, `must be at least 1 (${what})`)
    .max(max, `must be at most ${max} (${what})`);

/**
 * Each call writes its org's one bucket item (twice while the org is busy),
 * and DynamoDB takes about 1,000 writes per second on one partition key.
 */
const MAX_PARTNER_REQUESTS_PER_SECOND = 500;
const MAX_PARTNER_BURST = 1_000;

/** A standard (not FIFO) SNS topic: partition, region, account, name. */
const SNS_TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z]{2}(-[a-z]+)+-\d:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** `config/<env>.yaml`: per-environment settings. */
export const environmentSchema = z
  .strictObject({
    name: z.enum(ENVIRONMENT_NAMES, { error: `must be one of ${ENVIRONMENT_NAMES.join(', ')}` }),
    /** Deploy target; omitted means environment-agnostic stacks. */
    account: z
      .string()
      .regex(/^\d{12}$/, 'must be a 12-digit AWS account id')
      .optional(),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as eu-west-1')
      .optional(),
    allowHttpWebhooks: z.boolean({ error: 'must be true or false' }).default(false),
    /**
     * AWS WAF in front of the API stage (AWS managed common rule set and a
     * per-IP rate-based rule). Off in dev and local; on in prod.
     */
    waf: z.boolean({ error: 'must be true or false' }).default(false),
    delivery: z
      .strictObject({
        maxEventAgeSeconds: z
          .number({ error: 'must be a number of seconds' })
          .int('must be a whole number of seconds')
          .min(60, 'must be at least 60 seconds (EventBridge minimum)')
          .max(86_400, 'must be at most 86400 seconds (EventBridge maximum, 24 h)'),
        retryAttempts: z
          .number({ error: 'must be a number' })
          .int('must be a whole number')
          .min(0, 'must be 0 or more')
          .max(185, 'must be at most 185 (EventBridge maximum)'),
      })
      .default({ maxEventAgeSeconds: 86_400, retryAttempts: 185 }),
    archiveRetentionDays: positiveInt('days to keep events for replay', 3650).default(14),
    /** Failed deliveries (dead letters recorded per webhook): how long they stay listed and replayable. */
    failures: z
      .strictObject({
        retentionDays: positiveInt('days a failed delivery stays listed and replayable', 365).default(14),
        /** Endpoint health: hours of nothing but failed deliveries before a webhook is disabled. */
        disableAfterHours: positiveInt(
          'hours of nothing but failed deliveries before a webhook is disabled',
          8760,
        ).default(DEFAULT_DISABLE_AFTER_HOURS),
      })
      .default({ retentionDays: 14, disableAfterHours: DEFAULT_DISABLE_AFTER_HOURS }),
    /**
     * Where CloudWatch alarms go: an SNS topic the stack creates (encrypted,
     * TLS only, `emails` subscribed) or, with `topicArn`, one the operators
     * already run. The DLQ age threshold is the only tunable one.
     */
    alarms: z
      .strictObject({
        topicArn: z
          .string({ error: 'must be the ARN of an SNS topic, e.g. arn:aws:sns:eu-west-1:123456789012:ops-alarms' })
          .regex(
            SNS_TOPIC_ARN,
            'must be the ARN of a standard SNS topic, e.g. arn:aws:sns:eu-west-1:123456789012:ops-alarms (CloudWatch alarms cannot notify FIFO topics)',
          )
          .optional(),
        emails: z.array(z.email({ error: 'must be an email address' })).default([]),
        deadLetterMaxAgeMinutes: positiveInt(
          'minutes a dead letter may wait in a shard queue before the alarm fires',
          14 * 24 * 60,
        ).default(30),
      })
      .default({ emails: [], deadLetterMaxAgeMinutes: 30 }),
    sharding: z
      .strictObject({
        shardCount: positiveInt('partner stacks', 1000),
        maxResourcesPerStack: positiveInt(
          `resources per stack, CloudFormation allows ${CLOUDFORMATION_MAX_RESOURCES}`,
          CLOUDFORMATION_MAX_RESOURCES,
        ).default(450),
        maxTemplateBytes: positiveInt(
          'bytes per template, CloudFormation allows 1 MB',
          CLOUDFORMATION_MAX_TEMPLATE_BYTES,
        ).default(800_000),
        routesPerShard: positiveInt('routing rules per shard on the platform bus', 50).default(4),
      })
      .default({ shardCount: 4, maxResourcesPerStack: 450, maxTemplateBytes: 800_000, routesPerShard: 4 }),
    adminApi: z
      .strictObject({
        issuer: z.url({ error: "must be the https:// issuer URL of the admins' identity provider" }),
        audience: z.string().min(1, 'must be the audience admin tokens are issued for'),
        jwksUri: z.url({ protocol: /^https$/, error: "must be the https:// URL of the issuer's JWKS" }),
        adminEmailDomain: z
          .string()
          .regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a domain such as example.com; admin tokens need an email there'),
        /** Further domains accepted exactly (not their subdomains), e.g. ops.example.com. */
        adminEmailSubdomains: z
          .array(z.string().regex(/^[a-z0-9.-]+\.[a-z]{2,}$/, 'must be a full domain such as ops.example.com'))
          .default([]),
        maxTokenAgeHours: z
          .number()
          .positive()
          .max(24, 'at most 24: an admin signs in again at least daily')
          .default(12)
          .describe('oldest iat / auth_time an admin token may have'),
        maxTokenLifetimeHours: z
          .number()
          .positive()
          .max(24, 'at most 24')
          .default(12)
          .describe('longest exp - iat an admin token may have'),
      })
      .optional(),
    /**
     * The partner API: each org's own limit (a token bucket in the partner
     * API handler, counted in the tenants table), on top of the stage limit.
     */
    /**
     * The key policy: at most this many live (active or expiring) API keys
     * per org and environment (development, production); a partner file may
     * set its own. 1 keeps the one-active-key rule (POST /api-keys answers 409).
     */
    apiKey: z
      .strictObject({
        maxActivePerEnvironment: keyLimit('per org, unless its partner file sets its own').default(
          DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT,
        ),
      })
      .default({ maxActivePerEnvironment: DEFAULT_MAX_ACTIVE_PER_ENVIRONMENT }),
    partnerApi: z
      .strictObject({
        rateLimit: z
          .strictObject({
            requestsPerSecond: z
              .number({ error: 'must be a number (sustained partner API requests per second, per org)' })
              .positive('must be above 0 (sustained partner API requests per second, per org)')
              .max(
                MAX_PARTNER_REQUESTS_PER_SECOND,
                `must be at most ${MAX_PARTNER_REQUESTS_PER_SECOND} (each call writes the org's one bucket item, up to twice; DynamoDB takes about 1,000 writes per second on one item)`,
              ),
            burst: positiveInt(
              `partner API requests admitted at once, per org; one DynamoDB item takes about 1,000 writes per second`,
              MAX_PARTNER_BURST,
            ),
          })
          .default(DEFAULT_PARTNER_RATE_LIMIT),
      })
      .default({ rateLimit: DEFAULT_PARTNER_RATE_LIMIT }),
    /** The partner portal; omitted means no portal is deployed in this environment. */
    portal: z
      .strictObject({
        issuer: z.url({
          protocol: /^https$/,
          error: "must be the https:// issuer URL of the partners' identity provider (OIDC discovery is read from it)",
        }),
        clientId: z
          .string({ error: 'must be the client id the identity provider registered for the portal' })
          .regex(/^[\x21-\x7e]+$/, 'must be the client id the identity provider registered for the portal'),
        baseUrl: z
          .url({
            protocol: /^https$/,
            error:
              'must be the https:// URL partners open when a custom domain serves the portal; omit it to use the Function URL',
          })
          .refine((url) => {
            const parsed = new URL(url);
            return parsed.pathname === '/' && !/[?#]/.test(url) && parsed.username === '' && parsed.password === '';
          }, 'must be an origin without a path, user, query or fragment, e.g. https://portal.example.com')
          .optional(),
      })
      .optional(),
    /**
     * Outgoing mail (team invitations) through Amazon SES; omitted means the
     * portal sends none and its Team page cannot invite.
     */
    mail: z
      .strictObject({
        sender: z
          .string({ error: 'must be the email address of a verified SES identity, e.g. no-reply@partners.example.com' })
          .regex(
            /^[^\s@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/,
            'must be the email address of a verified SES identity, e.g. no-reply@partners.example.com',
          ),
        configurationSet: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an SES configuration set name (letters, digits, _ and -, up to 64)')
          .optional(),
      })
      .optional(),
    /**
     * The run-time budget: webhooks made through the admin API and the
     * portal, provisioned by the provisioner. Synth reserves it in the quota
     * checks; omitted means no provisioner (only partner files deliver).
     */
    runtime: z
      .strictObject({
        maxWebhooks: z
          .number({ error: 'must be a whole number (run-time webhooks in the environment)' })
          .int('must be a whole number (run-time webhooks in the environment)')
          .min(0, 'must be 0 or more (run-time webhooks in the environment)'),
        maxWebhooksPerShard: positiveInt('run-time webhook rules per shard bus', 100_000),
        routesPerShard: positiveInt('run-time routing rules per shard on the platform bus', 50).default(1),
        rateLimitPerSecond: positiveInt('deliveries per second to a run-time webhook', 300).default(10),
      })
      .optional(),
    quotas: z
      .strictObject({
        rulesPerEventBus: positiveInt('EventBridge rules per event bus', 100_000).default(300),
        eventPatternMaxChars: positiveInt('characters per event pattern', 100_000).default(2048),
        apiDestinationsPerAccount: positiveInt('API destinations per account', 100_000).default(3000),
        connectionsPerAccount: positiveInt('connections per account', 100_000).default(3000),
      })
      .default({
        rulesPerEventBus: 300,
        eventPatternMaxChars: 2048,
        apiDestinationsPerAccount: 3000,
        connectionsPerAccount: 3000,
      }),
  })
  .superRefine((env, ctx) => {
    if (env.allowHttpWebhooks && env.name !== 'dev') {
      ctx.addIssue({
        code: 'custom',
        path: ['allowHttpWebhooks'],
        message: `plain http:// webhooks are allowed in dev only; set it to false for ${env.name}`,
      });
    }
    const { topicArn, emails } = env.alarms;
    if (topicArn !== undefined && emails.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarms', 'emails'],
        message:
          'only with the topic the stack creates; subscribe these addresses where alarms.topicArn is managed, or remove topicArn',
      });
    }
    const topicRegion = topicArn?.split(':')[3];
    if (topicRegion !== undefined && env.region !== undefined && topicRegion !== env.region) {
      ctx.addIssue({
        code: 'custom',
        path: ['alarms', 'topicArn'],
        message: `must be a topic in ${env.region}, the environment's region (CloudWatch alarms notify topics in their own region only)`,
      });
    }
  });

export type EnvironmentConfig = z.output<typeof environmentSchema>;
