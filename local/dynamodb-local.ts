/**
 * Starts DynamoDB Local (the jar shipped in `amplify-dynamodb-simulator`) as a
 * child process and waits until it answers a real API call. Used by the jest
 * global setup and by the local runtime, so it must not import jest.
 *
 * DynamoDB Local 1.25 has no option to choose the listen address (see its
 * `-help`): it always binds 0.0.0.0, all interfaces. Clients use 127.0.0.1.
 *
 * Ready means two things: Jetty in *this* JVM logged that its connector
 * started, and a ListTables call succeeds. A ListTables answer alone is not
 * enough: when the port is taken, the JVM logs the bind error and keeps
 * running, while whoever holds the port answers the poll.
 *
 * The JVM runs under a small POSIX `sh` watchdog (Linux and macOS; not
 * Windows) that kills it once the watchdog's stdin closes: on stop(), and
 * also when the parent dies without cleaning up (SIGKILL, `timeout`, a CI
 * job cancelled), so no orphaned JVM keeps a port and memory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbGetItemClient } from '../lambda/shared/dynamodb-get-item';

export const JAVA_REQUIRED_MESSAGE =
  'Java 17 is required for DynamoDB Local: install it (apt-get install -y openjdk-17-jre-headless) or run bash scripts/test-tools.sh';

const HOST = '127.0.0.1';
const REGION = 'us-east-1';
/** DynamoDB Local only accepts letters and digits in the access key id. */
const DUMMY_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
const DEFAULT_START_TIMEOUT_MS = 30_000;
const LOCAL_GET_ITEM_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const POLL_INTERVAL_MS = 100;
const RANDOM_PORT_ATTEMPTS = 5;
const OUTPUT_TAIL_LINES = 30;
/** What DynamoDB Local prints when its port is taken; the JVM then stays alive. */
const BIND_FAILURE = /Failed to bind|Address already in use|Could not start server on port/;
/** Jetty's log line once the listening socket is open (needs JETTY_INFO_LOGGING). */
const CONNECTOR_STARTED = /Started ServerConnector@/;
/** Jetty logs at WARN by default; INFO for its server package prints CONNECTOR_STARTED. */
const JETTY_INFO_LOGGING = [
  '-Dorg.eclipse.jetty.util.log.class=org.eclipse.jetty.util.log.StdErrLog',
  '-Dorg.eclipse.jetty.server.LEVEL=INFO',
];
/** The watchdog's exit status when there is no `java` on PATH. */
const JAVA_NOT_FOUND_STATUS = 127;
/**
 * Runs `java "$@"` and kills it when stdin (a pipe from this process) reaches
 * EOF; exits with java's status. A background list's stdin is /dev/null in a
 * non-interactive shell, hence the copy of stdin on fd 3 for the watcher.
 */
const WATCHDOG_SCRIPT = `
command -v java >/dev/null 2>&1 || exit ${JAVA_NOT_FOUND_STATUS}
exec 3<&0
java "$@" </dev/null 3<&- &
java_pid=$!
{ while IFS= read -r _; do :; done <&3; kill "$java_pid" 2>/dev/null; } >/dev/null 2>&1 &
watcher_pid=$!
exec 3<&-
wait "$java_pid"
status=$?
kill "$watcher_pid" 2>/dev/null
exit "$status"
`;

export interface DynamoDbLocalOptions {
  /** Port to listen on; a taken port is an error. @default a random free port */
  readonly port?: number;
  /** Keep tables in this directory (`-dbPath`) across restarts. @default in memory */
  readonly dataDir?: string;
  /** How long to wait for the first successful ListTables. @default 30000 */
  readonly startTimeoutMs?: number;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`, for the SDK's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Kills the JVM and resolves once it has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export class DynamoDbLocalError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DynamoDbLocalError';
  }
}

/** Thrown when there is no `java` on PATH; the message says how to get one. */
export class JavaMissingError extends DynamoDbLocalError {
  constructor(options?: { cause?: unknown }) {
    super(JAVA_REQUIRED_MESSAGE, options);
    this.name = 'JavaMissingError';
  }
}

/** The port was taken between choosing it and the JVM binding it. */
class PortTakenError extends DynamoDbLocalError {
  constructor(message: string) {
    super(message);
    this.name = 'PortTakenError';
  }
}

/**
 * The authorizer's signed GetItem (no SDK) against DynamoDB Local, with the
 * same dummy credentials and region as the SDK clients below: the local
 * runtime's authorizer runs the same request code as the Lambda function.
 * A busy JVM on a shared machine can take seconds to answer, so each
 * attempt gets longer than in Lambda (where the default 2 s is ample).
 */
export function localGetItemClient(endpoint: string): DynamoDbGetItemClient {
  return new DynamoDbGetItemClient({
    endpoint,
    region: REGION,
    credentials: () => DUMMY_CREDENTIALS,
    attemptTimeoutMs: LOCAL_GET_ITEM_TIMEOUT_MS,
  });
}

/** SDK clients for DynamoDB Local: dummy credentials, so no AWS account or profile is read. */
export function localDynamoClients(endpoint: string): {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
} {
  const client = new DynamoDBClient({
    endpoint,
    region: REGION,
    credentials: DUMMY_CREDENTIALS,
    // A few retries absorb a busy JVM; more would only hide real failures.
    maxAttempts: 3,
  });
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, doc };
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  if (options.port !== undefined) {
    return launch(options.port, options.dataDir, timeoutMs);
  }
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    try {
      return await launch(port, options.dataDir, timeoutMs);
    } catch (error) {
      // Another process took the port after we released it: pick another.
      if (error instanceof PortTakenError && attempt < RANDOM_PORT_ATTEMPTS) continue;
      throw error;
    }
  }
}

function emulatorDir(): string {
  return path.join(path.dirname(require.resolve('amplify-dynamodb-simulator/package.json')), 'emulator');
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new DynamoDbLocalError(`Could not read the port of a probe socket: ${String(address)}`));
      });
    });
  });
}

async function launch(port: number, dataDir: string | undefined, timeoutMs: number): Promise<DynamoDbLocal> {
  const dir = emulatorDir();
  const storage = dataDir === undefined ? ['-inMemory'] : ['-dbPath', path.resolve(dataDir)];
  if (dataDir !== undefined) mkdirSync(path.resolve(dataDir), { recursive: true });
  const args = [
    ...JETTY_INFO_LOGGING,
    `-Djava.library.path=${path.join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    path.join(dir, 'DynamoDBLocal.jar'),
    ...storage,
    // One database for every credential and region, so handlers that read
    // other credentials from their environment still see the same tables.
    '-sharedDb',
    // Tests and laptops should not phone home (and there may be no network).
    '-disableTelemetry',
    '-port',
    String(port),
  ];

  const output = new JavaOutput();
  // detached: its own process group, so stop() can SIGKILL the shell and JVM together.
  const child = spawn('sh', ['-c', WATCHDOG_SCRIPT, 'dynamodb-local', ...args], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  // Writing to a watchdog that already exited is expected; its exit is what matters.
  child.stdin?.on('error', () => undefined);
  output.watch(child.stdout);
  output.watch(child.stderr);

  let spawnError: NodeJS.ErrnoException | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error;
      resolve();
    });
  });

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= terminate(child, exited);
    return stopping;
  };

  const endpoint = `http://${HOST}:${port}`;
  const startupFailure = (): Error | undefined => {
    if (spawnError) {
      return new DynamoDbLocalError(`Could not start sh to run java: ${spawnError.message}`, { cause: spawnError });
    }
    if (child.exitCode === JAVA_NOT_FOUND_STATUS) return new JavaMissingError();
    if (output.bindFailure !== undefined) {
      return new PortTakenError(`DynamoDB Local could not listen on port ${port}: ${output.bindFailure}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      const how = child.exitCode !== null ? `code ${child.exitCode}` : `signal ${child.signalCode}`;
      return new DynamoDbLocalError(`DynamoDB Local exited during startup with ${how}.\n${output.describe()}`);
    }
    return undefined;
  };

  try {
    await waitUntilReady(endpoint, timeoutMs, () => output.listening, startupFailure);
  } catch (error) {
    await stop();
    if (error instanceof TimeoutError) {
      const what = output.listening ? 'did not answer ListTables on' : 'did not start listening at';
      throw new DynamoDbLocalError(`DynamoDB Local ${what} ${endpoint} within ${timeoutMs} ms.\n${output.describe()}`, {
        cause: error.cause,
      });
    }
    throw error;
  }

  return { endpoint, port, stop };
}

class TimeoutError extends Error {}

/** Keeps the last lines the JVM printed and notices the lines that tell its state. */
class JavaOutput {
  private readonly tail: string[] = [];
  private bindFailureLine: string | undefined;
  private connectorStarted = false;

  /** The JVM's bind error; it keeps running after one, so this is the only sign. */
  get bindFailure(): string | undefined {
    return this.bindFailureLine;
  }

  get listening(): boolean {
    return this.connectorStarted;
  }

  watch(stream: NodeJS.ReadableStream | null): void {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach((line) => this.add(line));
    });
    stream?.on('end', () => this.add(partial));
  }

  describe(): string {
    if (this.tail.length === 0) return '(java printed nothing)';
    return `java output (last ${this.tail.length} lines):\n${this.tail.join('\n')}`;
  }

  private add(line: string): void {
    if (line.trim() === '') return;
    this.tail.push(line);
    if (this.tail.length > OUTPUT_TAIL_LINES) this.tail.shift();
    if (this.bindFailureLine === undefined && BIND_FAILURE.test(line)) this.bindFailureLine = line.trim();
    if (CONNECTOR_STARTED.test(line)) this.connectorStarted = true;
  }
}

/**
 * Once `listening` holds, polls ListTables until it succeeds; `failure`
 * reports a reason to give up early (the JVM died, or could not bind).
 */
async function waitUntilReady(
  endpoint: string,
  timeoutMs: number,
  listening: () => boolean,
  failure: () => Error | undefined,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: REGION,
    credentials: DUMMY_CREDENTIALS,
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  try {
    for (;;) {
      const reason = failure();
      if (reason) throw reason;
      if (listening()) {
        try {
          await client.send(new ListTablesCommand({ Limit: 1 }));
          return;
        } catch (error) {
          lastError = error;
        }
      }
      if (Date.now() >= deadline) throw new TimeoutError('timed out', { cause: lastError });
      await sleep(POLL_INTERVAL_MS);
    }
  } finally {
    client.destroy();
  }
}

/** Closes the watchdog's stdin so it stops the JVM; SIGKILLs the group if that takes too long. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    await exited;
    return;
  }
  child.stdin?.end();
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
  });
  const outcome = await Promise.race([exited.then(() => 'exited' as const), gaveUp]);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
    await exited;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
