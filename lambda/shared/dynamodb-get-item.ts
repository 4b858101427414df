/**
 * One DynamoDB GetItem as a SigV4-signed POST over node:http(s), for the
 * authorizer. The SDK's DynamoDB client takes about 90 ms to load on a quiet
 * machine, three times the authorizer's whole module-init budget, and the
 * authorizer needs one operation of it. This keeps what the client did for
 * that operation: credentials and region from the Lambda environment, the
 * endpoint override the local runtime sets (`AWS_ENDPOINT_URL_DYNAMODB`),
 * keep-alive connections, a deadline per attempt, a retry of throttling,
 * 5xx and network errors (one here), and DynamoDB's error name as the
 * thrown error's name. Nothing is created at module load: the signer and
 * the agent are made on the first request.
 *
 * Only the signer (`@smithy/signature-v4`, bundled from its ES build, see
 * lib/lambda-bundling.ts) and the SDK's node:crypto hash come from packages.
 */
import type { Agent, IncomingMessage, RequestOptions } from 'node:http';
import { Hash } from '@smithy/core/serde';
import { SignatureV4 } from '@smithy/signature-v4';
import { endpointFor, type EndpointEnvironment } from './endpoints';
import { EnvironmentError } from './environment-error';

/** A DynamoDB attribute value, as far as a flat item needs one. */
export interface AttributeValue {
  readonly S?: string;
  readonly N?: string;
  readonly BOOL?: boolean;
  readonly NULL?: boolean;
}

export type AttributeMap = Readonly<Record<string, AttributeValue>>;

export interface GetItemInput {
  readonly TableName: string;
  readonly Key: AttributeMap;
  readonly ConsistentRead?: boolean;
  readonly ProjectionExpression?: string;
  readonly ExpressionAttributeNames?: Readonly<Record<string, string>>;
}

/** What the authorizer needs of a DynamoDB client: one GetItem. */
export interface GetItemPort {
  getItem(input: GetItemInput): Promise<AttributeMap | undefined>;
}

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface DynamoDbGetItemOptions {
  readonly region: string;
  /** @default DynamoDB's public endpoint in `region` */
  readonly endpoint?: string;
  /** Read on every request, so the client never holds stale credentials. */
  readonly credentials: () => SigningCredentials;
  /** From sending the request to its last response byte, per attempt. @default 2000 */
  readonly attemptTimeoutMs?: number;
  /** Wait before the one retry. @default 50 to 100 ms, at random */
  readonly retryDelayMs?: number;
}

/**
 * A failed GetItem. `name` is DynamoDB's error name
 * (`ProvisionedThroughputExceededException`, `UnrecognizedClientException`,
 * ...) as the SDK's errors have it; the message never carries the request,
 * its headers or its credentials.
 */
export class DynamoDbRequestError extends Error {
  public constructor(
    name: string,
    message: string,
    /** Undefined when no response came (timeout, connection error). */
    public readonly statusCode: number | undefined,
    /** Whether the same request may succeed when sent again. */
    public readonly retryable: boolean,
  ) {
    super(message);
    this.name = name;
  }
}

const TARGET = 'DynamoDB_20120810.GetItem';
const DEFAULT_ATTEMPT_TIMEOUT_MS = 2000;
/** DynamoDB's "slow down" answers (HTTP 400), retried like 5xx. */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);
const TRANSIENT_NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN']);
/** An InvalidSignatureException may quote the canonical request, whose headers hold the session token. */
const QUOTED_REQUEST = /\s*The (Canonical String|String-to-Sign)[\s\S]*$/i;
const MAX_SERVICE_MESSAGE = 300;

export class DynamoDbGetItemClient implements GetItemPort {
  private readonly endpoint: URL;
  private signer?: SignatureV4;
  private agent?: Agent;

  public constructor(private readonly options: DynamoDbGetItemOptions) {
    this.endpoint = new URL(options.endpoint ?? publicEndpoint(options.region));
  }

  /** The item, or undefined when there is none. @throws DynamoDbRequestError */
  public async getItem(input: GetItemInput): Promise<AttributeMap | undefined> {
    try {
      return await this.attempt(input);
    } catch (error) {
      if (!(error instanceof DynamoDbRequestError) || !error.retryable) throw error;
      await new Promise((resolve) => setTimeout(resolve, this.options.retryDelayMs ?? 50 + Math.random() * 50));
      return this.attempt(input);
    }
  }

  private async attempt(input: GetItemInput): Promise<AttributeMap | undefined> {
    const body = JSON.stringify(input);
    const host = this.endpoint.host;
    const signed = await this.signerFor().sign({
      method: 'POST',
      protocol: this.endpoint.protocol,
      hostname: this.endpoint.hostname,
      ...(this.endpoint.port === '' ? {} : { port: Number(this.endpoint.port) }),
      path: '/',
      query: {},
      headers: {
        host,
        'content-type': 'application/x-amz-json-1.0',
        'content-length': String(Buffer.byteLength(body)),
        'x-amz-target': TARGET,
      },
      body,
    });
    const response = await this.send(
      {
        method: 'POST',
        hostname: this.endpoint.hostname,
        port: this.endpoint.port,
        path: '/',
        headers: signed.headers,
      },
      body,
    );
    return parseResponse(response.statusCode, response.text);
  }

  private signerFor(): SignatureV4 {
    this.signer ??= new SignatureV4({
      service: 'dynamodb',
      region: this.options.region,
      credentials: async () => this.options.credentials(),
      sha256: Hash.bind(null, 'sha256'),
    });
    return this.signer;
  }

  private async send(request: RequestOptions, body: string): Promise<{ statusCode: number; text: string }> {
    // Loaded on the first request: node:https (TLS) alone takes about 9 ms to load.
    const transport: Transport =
      this.endpoint.protocol === 'https:' ? await import('node:https') : await import('node:http');
    this.agent ??= new transport.Agent({ keepAlive: true });
    const timeoutMs = this.options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    return new Promise((resolve, reject) => {
      const req = transport.request({ ...request, agent: this.agent }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => reject(networkError(error)));
      });
      const timer = setTimeout(() => req.destroy(timeoutError(timeoutMs)), timeoutMs);
      req.on('close', () => clearTimeout(timer));
      req.on('error', (error) => reject(error instanceof DynamoDbRequestError ? error : networkError(error)));
      req.end(body);
    });
  }
}

type Transport = Pick<typeof import('node:http'), 'request' | 'Agent'>;

function timeoutError(timeoutMs: number): DynamoDbRequestError {
  return new DynamoDbRequestError('TimeoutError', `GetItem: no answer within ${timeoutMs} ms`, undefined, true);
}

/** The item of a 200, or the error DynamoDB answered with. */
export function parseResponse(statusCode: number, text: string): AttributeMap | undefined {
  const json = parseJson(text);
  if (statusCode === 200) {
    if (json === undefined)
      throw new DynamoDbRequestError('DynamoDbResponseError', 'GetItem: the answer is not JSON', 200, false);
    const item = json.Item;
    if (item === undefined) return undefined;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new DynamoDbRequestError('DynamoDbResponseError', 'GetItem: Item is not a map', 200, false);
    }
    return item as AttributeMap;
  }
  const type = typeof json?.__type === 'string' ? json.__type.split('#').pop() : undefined;
  const name = type || (statusCode >= 500 ? 'DynamoDbServerError' : 'DynamoDbClientError');
  const serviceMessage = json?.message ?? json?.Message;
  const detail =
    typeof serviceMessage === 'string'
      ? `: ${serviceMessage.replace(QUOTED_REQUEST, '').slice(0, MAX_SERVICE_MESSAGE)}`
      : '';
  const retryable = statusCode >= 500 || statusCode === 429 || THROTTLING.has(name);
  throw new DynamoDbRequestError(name, `GetItem: HTTP ${statusCode} ${name}${detail}`, statusCode, retryable);
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function networkError(error: Error & { code?: string }): DynamoDbRequestError {
  const code = error.code ?? 'ERR_NETWORK';
  return new DynamoDbRequestError('NetworkError', `GetItem: ${code}`, undefined, TRANSIENT_NETWORK_CODES.has(code));
}

/** DynamoDB's public endpoint in a region (the China partition has its own domain). */
export function publicEndpoint(region: string): string {
  return `https://dynamodb.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

/**
 * The client as a Lambda function gets it: region and credentials from the
 * variables the Lambda runtime sets, the endpoint from the override the
 * local runtime sets (none in Lambda).
 * @throws EnvironmentError naming the missing variable (never a value), on the first request for credentials.
 */
export function dynamoDbGetItemFromEnvironment(env: EndpointEnvironment = process.env): DynamoDbGetItemClient {
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (!region) throw new EnvironmentError('Invalid handler environment: AWS_REGION is not set', ['AWS_REGION']);
  return new DynamoDbGetItemClient({
    region,
    endpoint: endpointFor('DYNAMODB', env),
    credentials: () => credentialsFrom(env),
  });
}

/** The Lambda runtime's credentials: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. */
export function credentialsFrom(env: EndpointEnvironment): SigningCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  const missing = [
    ...(accessKeyId ? [] : ['AWS_ACCESS_KEY_ID']),
    ...(secretAccessKey ? [] : ['AWS_SECRET_ACCESS_KEY']),
  ];
  if (!accessKeyId || !secretAccessKey) {
    throw new EnvironmentError(`Invalid handler environment: ${missing.join(', ')} not set`, missing);
  }
  return { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
}
