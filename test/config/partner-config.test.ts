import { ConfigError } from '../../lib/config/config-error';
import { loadConfig } from '../../lib/config/load-config';
import { makeWorkspace, partnerDocument } from '../support/workspace';

function problemsFor(options: Parameters<typeof makeWorkspace>[0]): string[] {
  const root = makeWorkspace(options);
  try {
    loadConfig({ rootDir: root, environment: options?.environment ?? 'dev' });
  } catch (error) {
    if (error instanceof ConfigError)
      return error.message
        .split('\n')
        .slice(1)
        .map((line) => line.trim());
    throw error;
  }
  return [];
}

const valid = partnerDocument({ orgId: 'acme-corp', webhooks: [{ id: 'primary', events: ['LockCreated'] }] });
const withWebhook = (hook: Record<string, unknown>) => ({
  ...valid,
  webhooks: [{ id: 'primary', url: 'https://acme-corp.example/hooks', events: ['*'], ...hook }],
});

describe('partner config validation', () => {
  it('accepts the example partners and applies the defaults', () => {
    const config = loadConfig({ rootDir: makeWorkspace({ partners: { 'acme-corp.yaml': valid } }) });
    expect(config.partners).toHaveLength(1);
    expect(config.partners[0].apiKey).toEqual({ validityDays: 365, rotationGraceHours: 24 });
    expect(config.partners[0].webhooks[0].rateLimitPerSecond).toBe(10);
  });

  type Case = [description: string, files: Record<string, unknown>, expected: RegExp, environment?: string];
  const cases: Case[] = [
    [
      'file name not matching orgId',
      { 'acme.yaml': valid },
      /^partners\/acme\.yaml: orgId: "acme-corp" does not match the file name; rename the file to acme-corp\.yaml/,
    ],
    [
      'duplicate orgIds across files',
      { 'acme-corp.yaml': valid, 'other.yaml': valid },
      /^partners\/other\.yaml: orgId: "acme-corp" is already used by partners\/acme-corp\.yaml/,
    ],
    [
      'duplicate webhook ids',
      {
        'acme-corp.yaml': {
          ...valid,
          webhooks: [
            { id: 'primary', url: 'https://a.example/1', events: ['*'] },
            { id: 'primary', url: 'https://a.example/2', events: ['*'] },
          ],
        },
      },
      /^partners\/acme-corp\.yaml: webhooks\[1\]\.id: "primary" is already the id of webhooks\[0\]/,
    ],
    [
      'unknown top-level field',
      { 'acme-corp.yaml': { ...valid, colour: 'red' } },
      /^partners\/acme-corp\.yaml: colour: unknown field; remove it or fix its spelling \(allowed here: orgId, orgName, ownerEmail, apiKey, webhooks\)/,
    ],
    [
      'unknown webhook field',
      { 'acme-corp.yaml': withWebhook({ retries: 3 }) },
      /^partners\/acme-corp\.yaml: webhooks\[0\]\.retries: unknown field; .*allowed here: id, url, events, rateLimitPerSecond/,
    ],
    [
      'unknown apiKey field',
      { 'acme-corp.yaml': { ...valid, apiKey: { validity: 10 } } },
      /^partners\/acme-corp\.yaml: apiKey\.validity: unknown field; .*allowed here: validityDays, rotationGraceHours, maxActivePerEnvironment/,
    ],
    [
      'unknown event type',
      { 'acme-corp.yaml': withWebhook({ events: ['LockCreated', 'LockExploded'] }) },
      /^partners\/acme-corp\.yaml: webhooks\[0\]\.events\[1\]: unknown event type "LockExploded"; use one of "LockCreated", .*"Shadow Update", "partner-platform\.webhook\.disabled" \(config\/event-types\.yaml\) or "\*"/,
    ],
    [
      '"*" mixed with names',
      { 'acme-corp.yaml': withWebhook({ events: ['*', 'KeyAdded'] }) },
      /^partners\/acme-corp\.yaml: webhooks\[0\]\.events: "\*" means every event type and cannot be mixed with names/,
    ],
    [
      'an empty event list',
      { 'acme-corp.yaml': withWebhook({ events: [] }) },
      /^partners\/acme-corp\.yaml: webhooks\[0\]\.events: list at least one event type, or \["\*"\] for all/,
    ],
    [
      'plain http outside dev',
      { 'acme-corp.yaml': withWebhook({ url: 'http://acme-corp.example/hooks' }) },
      /^partners\/acme-corp\.yaml: webhooks\[0\]\.url: plain http:\/\/ is allowed in dev only; use https:\/\//,
      'prod',
    ],
    [
      'user:password in the URL',
      { 'acme-corp.yaml': withWebhook({ url: 'https://user:pass@acme-corp.example/hooks' }) },
      /webhooks\[0\]\.url: the URL must not carry user:password; remove it/,
    ],
    [
      'a non-http scheme',
      { 'acme-corp.yaml': withWebhook({ url: 'ftp://acme-corp.example/hooks' }) },
      /webhooks\[0\]\.url: scheme "ftp" is not allowed; use https:\/\//,
    ],
    [
      'a relative URL',
      { 'acme-corp.yaml': withWebhook({ url: '/hooks' }) },
      /webhooks\[0\]\.url: "\/hooks" is not an absolute URL/,
    ],
    ...(
      [
        ['localhost', 'https://localhost/hooks', /host "localhost" is this machine/],
        ['a .localhost name', 'https://api.localhost/hooks', /host "api\.localhost" is this machine/],
        ['IPv4 loopback', 'https://127.0.0.1/hooks', /loopback, private, link-local or metadata address/],
        ['another loopback address', 'https://127.8.9.10:8443/hooks', /loopback, private/],
        ['10/8 private', 'https://10.1.2.3/hooks', /loopback, private/],
        ['172.16/12 private', 'https://172.16.0.1/hooks', /loopback, private/],
        ['192.168/16 private', 'https://192.168.1.1/hooks', /loopback, private/],
        ['the metadata address', 'https://169.254.169.254/latest/meta-data', /loopback, private/],
        ['link-local', 'https://169.254.10.1/hooks', /loopback, private/],
        ['IPv6 loopback', 'https://[::1]/hooks', /loopback, private/],
        ['IPv6 unique-local', 'https://[fd12:3456::1]/hooks', /loopback, private/],
        ['IPv6 link-local', 'https://[fe80::1]/hooks', /loopback, private/],
        ['IPv4-mapped IPv6 private', 'https://[::ffff:10.0.0.1]/hooks', /loopback, private/],
        ['decimal loopback', 'https://2130706433/hooks', /loopback, private/],
        // Issue 13: what the file says is what is deployed, so input the parser rewrites is refused.
        ['empty, then a backslash before @', 'https://example.com\\@127.0.0.1/', /changes when parsed/],
        ['an extra slash before it', 'https:///example.com/', /changes when parsed/],
        ['written with a tab', 'https://exa\tmple.com/hooks', /changes when parsed/],
        ['TEST-NET-3', 'https://203.0.113.9/hooks', /loopback, private/],
        ['Teredo', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hooks', /loopback, private/],
        ['3,000 characters long', `https://acme-corp.example/${'a'.repeat(2975)}`, /at most 2048/],
      ] as const
    ).map(([what, url, message]): Case => [
      `a URL whose host is ${what}`,
      { 'acme-corp.yaml': withWebhook({ url }) },
      new RegExp(`^partners/acme-corp\\.yaml: webhooks\\[0\\]\\.url: .*${message.source}`),
    ]),
    [
      'a rate limit of 0',
      { 'acme-corp.yaml': withWebhook({ rateLimitPerSecond: 0 }) },
      /webhooks\[0\]\.rateLimitPerSecond: must be at least 1 delivery per second/,
    ],
    [
      'a rate limit over 300',
      { 'acme-corp.yaml': withWebhook({ rateLimitPerSecond: 301 }) },
      /webhooks\[0\]\.rateLimitPerSecond: must be at most 300 deliveries per second/,
    ],
    [
      'a fractional rate limit',
      { 'acme-corp.yaml': withWebhook({ rateLimitPerSecond: 2.5 }) },
      /webhooks\[0\]\.rateLimitPerSecond: must be a whole number/,
    ],
    [
      'an orgId with upper-case letters',
      { 'Acme.yaml': { ...valid, orgId: 'Acme' } },
      /^partners\/Acme\.yaml: orgId: must be 2-63 lower-case letters, digits and dashes/,
    ],
    [
      'a bad owner email',
      { 'acme-corp.yaml': { ...valid, ownerEmail: 'not-an-email' } },
      /^partners\/acme-corp\.yaml: ownerEmail: must be an email address/,
    ],
    [
      'a grace period that is not 0/24/48/72',
      { 'acme-corp.yaml': { ...valid, apiKey: { rotationGraceHours: 12 } } },
      /apiKey\.rotationGraceHours: must be one of 0, 24, 48, 72 hours/,
    ],
    [
      'a key limit of 0',
      { 'acme-corp.yaml': { ...valid, apiKey: { maxActivePerEnvironment: 0 } } },
      /^partners\/acme-corp\.yaml: apiKey\.maxActivePerEnvironment: must be a whole number of active API keys per environment from 1 to 10/,
    ],
    [
      'a key limit over the cap of 10',
      { 'acme-corp.yaml': { ...valid, apiKey: { maxActivePerEnvironment: 11 } } },
      /apiKey\.maxActivePerEnvironment: must be a whole number of active API keys per environment from 1 to 10/,
    ],
    [
      'a validity of 0 days',
      { 'acme-corp.yaml': { ...valid, apiKey: { validityDays: 0 } } },
      /apiKey\.validityDays: must be a whole number of days from 1 to 3650, or "never"/,
    ],
    [
      'a missing orgName',
      { 'acme-corp.yaml': { ...valid, orgName: undefined } },
      /^partners\/acme-corp\.yaml: orgName: is required/,
    ],
    [
      'too many webhooks',
      {
        'acme-corp.yaml': {
          ...valid,
          webhooks: Array.from({ length: 11 }, (_, i) => ({
            id: `h${i}`,
            url: `https://a.example/${i}`,
            events: ['*'],
          })),
        },
      },
      /webhooks: at most 10 webhooks per partner/,
    ],
    [
      'a YAML syntax error',
      { 'acme-corp.yaml': 'orgId: acme-corp\n  orgName: [unclosed\n' },
      /^partners\/acme-corp\.yaml: line \d+, column \d+: YAML syntax error/,
    ],
    ['an empty file', { 'acme-corp.yaml': '' }, /^partners\/acme-corp\.yaml: \(file\): the file is empty/],
    [
      'a .yml extension',
      { 'acme-corp.yml': valid },
      /^partners\/acme-corp\.yml: \(file\): rename it to acme-corp\.yaml/,
    ],
  ];

  // Every row gets all four values: a shorter row would make jest pass its
  // `done` callback as the environment and wait for it forever.
  const rows = cases.map(
    ([description, files, expected, environment]) => [description, files, expected, environment ?? 'dev'] as const,
  );
  it.each(rows)('rejects %s with a message naming file and field', (_description, files, expected, environment) => {
    const problems = problemsFor({ partners: files as Record<string, Record<string, unknown>>, environment });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  it('allows plain http in dev, but never a loopback host', () => {
    expect(problemsFor({ partners: { 'acme-corp.yaml': withWebhook({ url: 'http://acme-corp.example/x' }) } })).toEqual(
      [],
    );
    expect(problemsFor({ partners: { 'acme-corp.yaml': withWebhook({ url: 'http://127.0.0.1:8080/x' }) } })).toEqual([
      expect.stringMatching(/webhooks\[0\]\.url: host 127\.0\.0\.1 is a loopback/),
    ]);
  });

  it('reports every problem in every file at once', () => {
    const problems = problemsFor({
      partners: {
        'acme-corp.yaml': { ...valid, ownerEmail: 'nope', colour: 'red' },
        'globex.yaml': partnerDocument({
          orgId: 'globex',
          webhooks: [{ id: 'a', url: 'ftp://x.example', events: ['Nope'] }],
        }),
      },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^partners\/acme-corp\.yaml: colour: unknown field/),
      expect.stringMatching(/^partners\/acme-corp\.yaml: ownerEmail: must be an email/),
      expect.stringMatching(/^partners\/globex\.yaml: webhooks\[0\]\.events\[0\]: unknown event type "Nope"/),
      expect.stringMatching(/^partners\/globex\.yaml: webhooks\[0\]\.url: scheme "ftp"/),
    ]);
  });

  it('never echoes the value of an unknown field, which could be a secret', () => {
    const secret = 'whsec_c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw';
    const problems = problemsFor({ partners: { 'acme-corp.yaml': withWebhook({ secret }) } });
    expect(problems).toEqual([expect.stringMatching(/webhooks\[0\]\.secret: unknown field/)]);
    expect(problems.join('\n')).not.toContain(secret);
  });
});

describe('environment config validation', () => {
  it('loads every checked-in environment', () => {
    for (const environment of ['dev', 'stage', 'nonprod', 'prod']) {
      expect(loadConfig({ rootDir: makeWorkspace(), environment }).environment.name).toBe(environment);
    }
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    [
      'http allowed outside dev',
      { allowHttpWebhooks: true },
      'prod',
      /^config\/prod\.yaml: allowHttpWebhooks: plain http:\/\/ webhooks are allowed in dev only/,
    ],
    [
      'a retry count over 185',
      { delivery: { retryAttempts: 500 } },
      'dev',
      /^config\/dev\.yaml: delivery\.retryAttempts: must be at most 185/,
    ],
    ['an unknown setting', { shards: 3 }, 'dev', /^config\/dev\.yaml: shards: unknown field/],
    [
      'a key limit that is not a whole number',
      { apiKey: { maxActivePerEnvironment: 1.5 } },
      'dev',
      /^config\/dev\.yaml: apiKey\.maxActivePerEnvironment: must be a whole number of active API keys per environment from 1 to 10/,
    ],
    [
      'a resource ceiling above 500',
      { sharding: { maxResourcesPerStack: 600 } },
      'dev',
      /sharding\.maxResourcesPerStack: must be at most 500/,
    ],
    [
      'a portal issuer that is not https',
      { portal: { issuer: 'http://login.partner-platform.example/' } },
      'dev',
      /^config\/dev\.yaml: portal\.issuer: must be the https:\/\/ issuer URL of the partners' identity provider \(OIDC discovery is read from it\)$/,
    ],
    [
      'an empty portal client id',
      { portal: { clientId: '' } },
      'stage',
      /^config\/stage\.yaml: portal\.clientId: must be the client id the identity provider registered for the portal$/,
    ],
    [
      'a portal base URL with a path',
      { portal: { baseUrl: 'https://partner-platform.example/portal' } },
      'prod',
      /^config\/prod\.yaml: portal\.baseUrl: must be an origin without a path, user, query or fragment, e.g\. https:\/\/portal\.example\.com$/,
    ],
    [
      'a client secret written into the config',
      { portal: { clientSecret: 'do-not-commit-me' } },
      'dev',
      /^config\/dev\.yaml: portal\.clientSecret: unknown field; remove it or fix its spelling \(allowed here: issuer, clientId, baseUrl\)$/,
    ],
    [
      'a per-partner rate of 0',
      { partnerApi: { rateLimit: { requestsPerSecond: 0, burst: 20 } } },
      'prod',
      /^config\/prod\.yaml: partnerApi\.rateLimit\.requestsPerSecond: must be above 0 \(sustained partner API requests per second, per org\)$/,
    ],
    [
      'a per-partner rate one bucket item cannot take',
      { partnerApi: { rateLimit: { requestsPerSecond: 600 } } },
      'dev',
      /^config\/dev\.yaml: partnerApi\.rateLimit\.requestsPerSecond: must be at most 500 \(each call writes the org's one bucket item, up to twice; DynamoDB takes about 1,000 writes per second on one item\)$/,
    ],
    [
      'a fractional per-partner burst',
      { partnerApi: { rateLimit: { requestsPerSecond: 10, burst: 2.5 } } },
      'stage',
      /^config\/stage\.yaml: partnerApi\.rateLimit\.burst: must be a whole number \(partner API requests admitted at once, per org; one DynamoDB item takes about 1,000 writes per second\)$/,
    ],
    [
      'a per-partner limit without its burst',
      { partnerApi: { rateLimit: { requestsPerSecond: 10 } } },
      'stage',
      /^config\/stage\.yaml: partnerApi\.rateLimit\.burst: must be a whole number/,
    ],
    [
      'a misspelt per-partner setting',
      { partnerApi: { rateLimit: { requestsPerSecond: 10, burst: 20, perMinute: 5 } } },
      'dev',
      /^config\/dev\.yaml: partnerApi\.rateLimit\.perMinute: unknown field/,
    ],
    [
      'a mail sender that is not an email address',
      { mail: { sender: 'partner-platform.example' } },
      'dev',
      /^config\/dev\.yaml: mail\.sender: must be the email address of a verified SES identity, e\.g\. no-reply@partners\.example\.com$/,
    ],
    [
      'a mail block without a sender',
      { mail: { configurationSet: 'portal-mail' } },
      'prod',
      /^config\/prod\.yaml: mail\.sender: must be the email address of a verified SES identity/,
    ],
    [
      'an SES configuration set name with a space',
      { mail: { sender: 'no-reply@partners.example.com', configurationSet: 'portal mail' } },
      'stage',
      /^config\/stage\.yaml: mail\.configurationSet: must be an SES configuration set name \(letters, digits, _ and -, up to 64\)$/,
    ],
    [
      'an alarm topic that is not an SNS ARN',
      { alarms: { topicArn: 'partner-platform-ops' } },
      'prod',
      /^config\/prod\.yaml: alarms\.topicArn: must be the ARN of a standard SNS topic, e\.g\. arn:aws:sns:eu-west-1:123456789012:ops-alarms/,
    ],
    [
      'a FIFO alarm topic',
      { alarms: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:ops.fifo' } },
      'prod',
      /^config\/prod\.yaml: alarms\.topicArn: .*CloudWatch alarms cannot notify FIFO topics/,
    ],
    [
      'emails next to an existing topic',
      { alarms: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:ops', emails: ['ops@partner-platform.example'] } },
      'stage',
      /^config\/stage\.yaml: alarms\.emails: only with the topic the stack creates; subscribe these addresses where alarms\.topicArn is managed, or remove topicArn$/,
    ],
    [
      'an alarm email that is not an address',
      { alarms: { emails: ['ops@partner-platform.example', 'on call'] } },
      'dev',
      /^config\/dev\.yaml: alarms\.emails\[1\]: must be an email address$/,
    ],
    [
      'an alarm topic in another region than the environment',
      { region: 'eu-central-1', alarms: { topicArn: 'arn:aws:sns:eu-west-1:123456789012:ops' } },
      'prod',
      /^config\/prod\.yaml: alarms\.topicArn: must be a topic in eu-central-1, the environment's region/,
    ],
    [
      'a dead-letter age of zero',
      { alarms: { deadLetterMaxAgeMinutes: 0 } },
      'dev',
      /^config\/dev\.yaml: alarms\.deadLetterMaxAgeMinutes: must be at least 1 \(minutes a dead letter may wait/,
    ],
    [
      'an unknown alarm setting',
      { alarms: { snsTopic: 'x' } },
      'dev',
      /^config\/dev\.yaml: alarms\.snsTopic: unknown field; remove it or fix its spelling \(allowed here: topicArn, emails, deadLetterMaxAgeMinutes\)$/,
    ],
  ])('rejects %s', (_what, overrides, environment, expected) => {
    expect(problemsFor({ environment, environmentOverrides: overrides })).toEqual(
      expect.arrayContaining([expect.stringMatching(expected)]),
    );
  });

  it('reads each environment per-partner limit: 50/100 in dev, 10/20 in prod and by default', () => {
    const limitOf = (environment: string) =>
      loadConfig({ rootDir: makeWorkspace({ environment }), environment }).environment.partnerApi.rateLimit;
    expect(limitOf('dev')).toEqual({ requestsPerSecond: 50, burst: 100 });
    expect(limitOf('prod')).toEqual({ requestsPerSecond: 10, burst: 20 });
    expect(limitOf('stage')).toEqual({ requestsPerSecond: 10, burst: 20 });
  });

  it('creates the alarm topic by default (no subscriptions, 30 min dead-letter age) and takes an existing one', () => {
    for (const environment of ['dev', 'stage', 'nonprod', 'prod']) {
      expect(loadConfig({ rootDir: makeWorkspace(), environment }).environment.alarms).toEqual({
        emails: [],
        deadLetterMaxAgeMinutes: 30,
      });
    }
    const topicArn = 'arn:aws:sns:eu-west-1:123456789012:partner-platform-ops';
    const root = makeWorkspace({
      environment: 'prod',
      environmentOverrides: { region: 'eu-west-1', alarms: { topicArn } },
    });
    expect(loadConfig({ rootDir: root, environment: 'prod' }).environment.alarms).toEqual({
      topicArn,
      emails: [],
      deadLetterMaxAgeMinutes: 30,
    });
  });

  it('reads the mail settings, and none when the block is left out', () => {
    const mail = { sender: 'no-reply@partners.example.com', configurationSet: 'portal-mail' };
    const root = makeWorkspace({ environment: 'stage', environmentOverrides: { mail } });
    expect(loadConfig({ rootDir: root, environment: 'stage' }).environment.mail).toEqual(mail);
    expect(loadConfig({ rootDir: makeWorkspace(), environment: 'dev' }).environment.mail).toBeUndefined();
  });

  it('names the environments when -c env is unknown', () => {
    expect(() => loadConfig({ rootDir: makeWorkspace(), environment: 'qa' })).toThrow(
      /cdk context: env: unknown environment "qa"; use -c env= one of dev, stage, nonprod, prod/,
    );
  });
});

describe('admin API settings', () => {
  it('reads the admin sign-in settings of each environment', () => {
    const config = loadConfig({ rootDir: makeWorkspace(), environment: 'prod' });
    expect(config.environment.adminApi).toEqual({
      issuer: 'https://login.partner-platform.example/',
      audience: 'partner-platform-admin-prod',
      jwksUri: 'https://login.partner-platform.example/.well-known/jwks.json',
      adminEmailDomain: 'partner-platform.example',
      // Defaults: only the domain itself, tokens at most 12 h old and 12 h long.
      adminEmailSubdomains: [],
      maxTokenAgeHours: 12,
      maxTokenLifetimeHours: 12,
    });
  });

  it('reads the portal sign-in settings of each environment, with no base URL unless a custom domain is set', () => {
    for (const environment of ['dev', 'stage', 'nonprod', 'prod']) {
      expect(loadConfig({ rootDir: makeWorkspace(), environment }).environment.portal).toEqual({
        issuer: 'https://login.partner-platform.example/',
        clientId: `partner-portal-${environment}`,
      });
    }
  });

  it('refuses a JWKS that is not served over https', () => {
    const root = makeWorkspace({
      environmentOverrides: { adminApi: { jwksUri: 'http://login.partner-platform.example/jwks.json' } },
    });
    expect(() => loadConfig({ rootDir: root })).toThrow(
      /config\/dev\.yaml: adminApi\.jwksUri: must be the https:\/\/ URL/,
    );
  });
});
