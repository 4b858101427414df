/**
 * `npm run local` — the platform on this machine, from `cdk.out`.
 *
 *   npm run local [-- --demo] [--strict] [--print-mail] [--forward ORG/WEBHOOK=URL ...] [--data DIR] [--port N] [--assembly DIR] [--verbose]
 *   npm run local -- dlq list [--port N]
 *   npm run local -- dlq replay [QUEUE] [--port N]
 *   npm run local -- put-events --partner ORG --type TYPE [--source S] [--detail JSON] [--count N] [--port N]
 *
 * put-events sends the type's catalog example (partnerId set) from the
 * type's own source unless --source/--detail say otherwise, and refuses an
 * event that breaks the catalog before sending it. --strict makes the running
 * runtime refuse and report such events from any producer.
 *
 * The subcommands talk to a running runtime on 127.0.0.1 (its EventBridge
 * endpoint is port N+1). Problems the user can fix end in one line on
 * stderr and exit status 1.
 */
import { localEventBridgeClient } from './eventbridge-client';
import { parseArgs } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ALL_EVENTS, findEventType } from '../lambda/core/event-catalog';
import { EventValidator } from '../lambda/core/event-validation';
import { PLATFORM_EVENT_CATALOG } from '../lambda/core/platform-event-catalog';
import { startDemoReceivers, type ReceivedRequest } from './demo-receivers';
import { ForwardOptionError, forwardOverrides } from './forward-option';
import { type CaughtMail, linksIn } from './mail-catcher';
import { declaredWebhooks, LocalRuntimeError, type LocalRuntime, startLocalRuntime } from './runtime';

const DEFAULT_PORT = 4000;

// The AWS SDK warns on every start that its 2027 releases need Node 22; a local tool need not repeat it.
const emitWarning = process.emitWarning.bind(process);
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const [typeOrOptions] = rest as [string | { type?: string } | undefined];
  const name =
    typeof warning !== 'string'
      ? warning.name
      : typeof typeOrOptions === 'string'
        ? typeOrOptions
        : typeOrOptions?.type;
  const text = typeof warning === 'string' ? warning : warning.message;
  if (name === 'NodeVersionSupportWarning' || text.startsWith('NodeVersionSupportWarning')) return;
  (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
}) as typeof process.emitWarning;
const SAMPLE_TYPES = ['LockCreated', 'KeyAdded'];
const validator = new EventValidator(PLATFORM_EVENT_CATALOG);

const USAGE = `usage:
  npm run local [-- --demo] [--strict] [--print-mail] [--forward ORG/WEBHOOK=URL ...] [--data DIR] [--port N] [--assembly DIR] [--verbose]
  npm run local -- dlq list|replay [QUEUE] [--port N]
  npm run local -- put-events --partner ORG --type TYPE [--source S] [--detail JSON] [--count N] [--port N]`;

class UsageError extends Error {}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      demo: { type: 'boolean', default: false },
      strict: { type: 'boolean', default: false },
      'print-mail': { type: 'boolean', default: false },
      forward: { type: 'string', multiple: true, default: [] },
      data: { type: 'string' },
      port: { type: 'string' },
      assembly: { type: 'string', default: 'cdk.out' },
      verbose: { type: 'boolean', default: false },
      partner: { type: 'string' },
      type: { type: 'string' },
      source: { type: 'string' },
      detail: { type: 'string' },
      count: { type: 'string', default: '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const port = values.port === undefined ? DEFAULT_PORT : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_534)
    throw new UsageError(`--port must be 0..65534, not ${values.port}`);
  const [command = 'start', ...rest] = positionals;
  const controlUrl = `http://127.0.0.1:${port + 1}/_local`;
  switch (command) {
    case 'start':
      return start({ ...values, printMail: values['print-mail'], port });
    case 'dlq':
      return dlq(rest, controlUrl);
    case 'put-events':
      return putEvents(values, `http://127.0.0.1:${port + 1}`);
    default:
      throw new UsageError(`unknown command ${command}\n${USAGE}`);
  }
}

interface StartOptions {
  readonly demo: boolean;
  readonly strict: boolean;
  /** Log each caught mail's recipient, subject and links (an invitation's link is a secret: local only). */
  readonly printMail: boolean;
  readonly forward: readonly string[];
  readonly data?: string;
  readonly port: number;
  readonly assembly: string;
  readonly verbose: boolean;
}

async function start(options: StartOptions) {
  const log = (line: string) => console.log(line);
  // Read only when asked for: without these flags the port check comes before any read of cdk.out.
  const forwards =
    options.forward.length === 0 ? {} : forwardOverrides(options.forward, declaredWebhooks(options.assembly));
  let demo: Awaited<ReturnType<typeof startDemoReceivers>> | undefined;
  if (options.demo) {
    demo = await startDemoReceivers(declaredWebhooks(options.assembly), (request) => log(describeReceipt(request)));
  }
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({
      assemblyDir: options.assembly,
      port: options.port,
      ...(options.data === undefined ? {} : { dataDir: options.data }),
      urlOverrides: { ...demo?.urlOverrides, ...forwards },
      portal: true,
      logLevel: options.verbose ? 'INFO' : 'WARN',
      strictEvents: options.strict,
      ...(options.printMail
        ? {
            onMail: (mail: CaughtMail) =>
              log(`✉ mail to ${mail.to}: ${mail.subject}\n  ${linksIn(mail.text).join('\n  ')}`),
          }
        : {}),
      onRejected: (rejection) =>
        log(
          `✗ refused ${JSON.stringify(rejection.detailType)} from ${rejection.source} (--strict): ${rejection.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
        ),
      onDelivery: (report) => {
        if (report.outcome === 'dead-lettered') {
          log(
            `✗ ${report.destination}: ${report.event['detail-type']} dead-lettered after ${report.attempts} attempts (npm run local -- dlq list)`,
          );
        }
      },
    });
  } catch (error) {
    await demo?.stop();
    throw error;
  }

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      console.error('forced exit');
      process.exit(130);
    }
    stopping = true;
    log(`\n${signal}: stopping…`);
    void Promise.all([runtime.stop(), demo?.stop()]).then(() => {
      log('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  log(banner(runtime, options, await runtime.admin.token()));
  for (const value of options.forward) log(`Forwarding ${value.replace('=', ' -> ')} (challenge and deliveries)`);
  if (demo !== undefined) await publishSamples(runtime);
}

function banner(runtime: LocalRuntime, options: { data?: string; demo: boolean }, token: string): string {
  const lines = [
    'partner-platform local runtime (127.0.0.1 only)',
    `  API             ${runtime.apiUrl}`,
    `  EventBridge     ${runtime.eventBridgeUrl}   bus ${runtime.platformBusName}`,
    `  DynamoDB Local  ${runtime.dynamoDbEndpoint}   ${options.data === undefined ? 'in memory' : `data in ${options.data}`}`,
    ...(runtime.portal === undefined
      ? []
      : [
          `  Partner portal  ${runtime.portal.url}   sign in as ${runtime.portal.testUserEmail} to register a new org,`,
          `                  or as a partner file's ownerEmail (${runtime.partners[0]?.ownerEmail ?? 'owner@example.com'}) to open that org; any password`,
          `  OIDC issuer     ${runtime.portal.issuerUrl}   local stand-in for the identity provider`,
          `  Mail catcher    ${runtime.portal.mailUrl}   invitations the portal sent (--print-mail logs their links)`,
        ]),
    '',
    'Partners (initial API keys are shown once, on the start that issues them):',
  ];
  for (const partner of runtime.partners) {
    const key = partner.initialApiKey ?? `(issued earlier: key id ${partner.keyId})`;
    lines.push(`  ${partner.orgId.padEnd(16)} ${key}`);
    for (const webhook of partner.webhooks) {
      lines.push(`  ${''.padEnd(16)} webhook ${webhook.id} -> ${webhook.url} [${webhook.events.join(', ')}]`);
    }
  }
  const sample = runtime.partners.find((partner) => partner.initialApiKey !== undefined);
  lines.push(
    '',
    'Admin API headers (token valid 12 h):',
    `  X-Admin-API-Key: ${runtime.admin.apiKey}`,
    `  Authorization: Bearer ${token}`,
    '',
    'Try:',
    `  curl -s ${runtime.apiUrl}/partner-auth-probe -H 'X-API-Key: ${sample?.initialApiKey ?? '<key>'}'`,
    `  npm run local -- put-events --partner ${runtime.partners[0]?.orgId ?? 'acme-corp'} --type LockCreated`,
    '  npm run local -- dlq list',
    '',
    options.demo ? 'Demo receivers print what they get below. Ctrl-C stops everything.' : 'Ctrl-C stops everything.',
  );
  return lines.join('\n');
}

function describeReceipt(request: ReceivedRequest): string {
  if (request.kind === 'challenge') return `✓ ${request.webhook}: verification challenge echoed (200)`;
  const detail = JSON.stringify(request.body?.detail ?? {});
  return `→ ${request.webhook}: ${request.body?.['detail-type'] ?? '?'} ${detail.length > 100 ? `${detail.slice(0, 97)}...` : detail}`;
}

/** The catalog example of each type a partner subscribes to (two types for `*`), so events flow at once. */
async function publishSamples(runtime: LocalRuntime): Promise<void> {
  const client = eventBridgeClient(runtime.eventBridgeUrl);
  try {
    for (const partner of runtime.partners) {
      const types = new Set(
        partner.webhooks.flatMap((webhook) =>
          webhook.events.includes(ALL_EVENTS) ? SAMPLE_TYPES : webhook.events.slice(0, 2),
        ),
      );
      const entries = [...types].flatMap((name) => {
        const type = findEventType(PLATFORM_EVENT_CATALOG, name);
        if (!type) return [];
        return [
          {
            Source: type.source,
            DetailType: type.name,
            Detail: JSON.stringify({ ...type.example, partnerId: partner.orgId }),
            EventBusName: runtime.platformBusName,
          },
        ];
      });
      if (entries.length > 0) await client.send(new PutEventsCommand({ Entries: entries.slice(0, 10) }));
    }
  } finally {
    client.destroy();
  }
}

async function dlq(args: string[], controlUrl: string): Promise<void> {
  const [action = 'list', queue] = args;
  const query = queue === undefined ? '' : `?queue=${encodeURIComponent(queue)}`;
  if (action === 'list') {
    const body = (await control(`${controlUrl}/dlq${query}`, 'GET')) as {
      queues: Array<{ queue: string; messages: number }>;
      deadLetters: Array<{
        queue: string;
        destination: string;
        attempts: number;
        status?: number;
        error: string;
        event: { id: string; 'detail-type': string };
      }>;
    };
    for (const { queue: name, messages } of body.queues) console.log(`${name}  ${messages} message(s)`);
    for (const letter of body.deadLetters) {
      console.log(
        `  ${letter.event.id}  ${letter.event['detail-type']}  -> ${letter.destination}  ${letter.attempts} attempt${letter.attempts === 1 ? '' : 's'}, ${letter.error}`,
      );
    }
    return;
  }
  if (action === 'replay') {
    const body = (await control(`${controlUrl}/dlq/replay${query}`, 'POST')) as { replayed: number };
    console.log(`replayed ${body.replayed} event(s)`);
    return;
  }
  throw new UsageError(`unknown dlq action ${action}: use list or replay`);
}

async function putEvents(
  values: { partner?: string; type?: string; source?: string; detail?: string; count: string },
  endpoint: string,
): Promise<void> {
  if (values.partner === undefined || values.type === undefined)
    throw new UsageError('put-events needs --partner ORG and --type TYPE');
  const type = findEventType(PLATFORM_EVENT_CATALOG, values.type);
  let detail: Record<string, unknown>;
  try {
    detail =
      values.detail === undefined ? { ...type?.example } : (JSON.parse(values.detail) as Record<string, unknown>);
  } catch {
    throw new UsageError('--detail must be a JSON object');
  }
  const source = values.source ?? type?.source ?? 'spk.api';
  const problems = validator.problems({
    source,
    detailType: values.type,
    detail: { ...detail, partnerId: values.partner },
  });
  if (problems.length > 0) {
    throw new UsageError(
      `not sent: the event breaks the event catalog (docs/event-catalog.md): ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    );
  }
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw new UsageError('--count must be 1..1000');
  const client = eventBridgeClient(endpoint);
  try {
    let accepted = 0;
    for (let offset = 0; offset < count; offset += 10) {
      const entries = Array.from({ length: Math.min(10, count - offset) }, (_, index) => ({
        Source: source,
        DetailType: values.type,
        Detail: JSON.stringify({ ...detail, partnerId: values.partner, seq: offset + index + 1 }),
      }));
      const result = await client.send(new PutEventsCommand({ Entries: entries }));
      accepted += entries.length - (result.FailedEntryCount ?? 0);
    }
    console.log(`accepted ${accepted} of ${count} event(s)`);
  } catch (error) {
    throw unreachable(endpoint, error);
  } finally {
    client.destroy();
  }
}

function eventBridgeClient(endpoint: string): EventBridgeClient {
  return localEventBridgeClient(endpoint, { maxAttempts: 1 });
}

async function control(url: string, method: string): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { method });
  } catch (error) {
    throw unreachable(url, error);
  }
  if (!response.ok) throw new LocalRuntimeError(`${method} ${url} answered ${response.status}`);
  return response.json();
}

function unreachable(url: string, error: unknown): Error {
  const code = (error as { cause?: { code?: string }; code?: string }).cause?.code ?? (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') {
    return new LocalRuntimeError(
      `no local runtime answers at ${new URL(url).origin}: start it with npm run local (or pass its --port)`,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (
    error instanceof LocalRuntimeError ||
    error instanceof UsageError ||
    error instanceof ForwardOptionError ||
    (error as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION'
  ) {
    console.error(`npm run local: ${(error as Error).message}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
