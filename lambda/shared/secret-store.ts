/**
 * The narrow slice of Secrets Manager the handlers use, behind an interface
 * so that integration tests and the local runtime (which have no Secrets
 * Manager) pass `InMemorySecretStore` instead of a mocked SDK.
 *
 * Secret values pass through here and nowhere else: implementations must not
 * log them or put them into error messages.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
  type Tag,
} from '@aws-sdk/client-secrets-manager';

export interface CreateSecretInput {
  readonly name: string;
  readonly value: string;
  readonly description?: string;
  /** Becomes the first version's id; a retry with the same token and value is a no-op. */
  readonly clientRequestToken?: string;
  /** KMS key for the secret. @default the account's aws/secretsmanager key */
  readonly kmsKeyId?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface PutSecretValueInput {
  /** Name or ARN. */
  readonly secretId: string;
  readonly value: string;
  /** Becomes the new version's id; a retry with the same token and value is a no-op. */
  readonly clientRequestToken?: string;
}

export interface SecretVersion {
  readonly value: string;
  readonly versionId: string;
}

export type CreateSecretResult =
  | { readonly created: true; readonly arn: string; readonly versionId: string }
  /** A secret of that name already exists; nothing was written. */
  | { readonly created: false };

export interface SecretStore {
  /** Creates a secret, or reports that one of that name exists (never overwrites it). */
  createSecret(input: CreateSecretInput): Promise<CreateSecretResult>;
  /**
   * The current version (AWSCURRENT), or the version `versionId`.
   * @returns undefined when the secret or that version does not exist.
   */
  getSecretValue(secretId: string, options?: { readonly versionId?: string }): Promise<SecretVersion | undefined>;
  /** Adds a version and makes it current; the old current one becomes AWSPREVIOUS. */
  putSecretValue(input: PutSecretValueInput): Promise<{ readonly versionId: string }>;
}

/** An error from the secret store that names the secret but never holds its value. */
export class SecretStoreError extends Error {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SecretStoreError';
  }
}

/**
 * `putSecretValue` was given a ClientRequestToken that already names a
 * version with a different value: another writer used the token first.
 * Deterministic tokens turn this into a lock: one value per token, ever.
 */
export class SecretVersionConflictError extends SecretStoreError {
  public constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'SecretVersionConflictError';
  }
}

/** Secrets Manager behind `SecretStore`. */
export class SecretsManagerSecretStore implements SecretStore {
  public constructor(private readonly client: SecretsManagerClient) {}

  public async createSecret(input: CreateSecretInput): Promise<CreateSecretResult> {
    try {
      const output = await this.client.send(
        new CreateSecretCommand({
          Name: input.name,
          SecretString: input.value,
          Description: input.description,
          ClientRequestToken: input.clientRequestToken,
          KmsKeyId: input.kmsKeyId,
          Tags: toTags(input.tags),
        }),
      );
      if (output.ARN === undefined || output.VersionId === undefined) {
        throw new SecretStoreError(`CreateSecret for ${input.name} returned no ARN or version`);
      }
      return { created: true, arn: output.ARN, versionId: output.VersionId };
    } catch (error) {
      if (error instanceof ResourceExistsException) return { created: false };
      throw wrap(`CreateSecret for ${input.name}`, error);
    }
  }

  public async getSecretValue(
    secretId: string,
    options: { readonly versionId?: string } = {},
  ): Promise<SecretVersion | undefined> {
    try {
      const output = await this.client.send(
        new GetSecretValueCommand({ SecretId: secretId, VersionId: options.versionId }),
      );
      if (output.SecretString === undefined || output.VersionId === undefined) {
        throw new SecretStoreError(`secret ${secretId} has no string value`);
      }
      return { value: output.SecretString, versionId: output.VersionId };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw wrap(`GetSecretValue for ${secretId}`, error);
    }
  }

  public async putSecretValue(input: PutSecretValueInput): Promise<{ readonly versionId: string }> {
    try {
      const output = await this.client.send(
        new PutSecretValueCommand({
          SecretId: input.secretId,
          SecretString: input.value,
          ClientRequestToken: input.clientRequestToken,
        }),
      );
      if (output.VersionId === undefined) {
        throw new SecretStoreError(`PutSecretValue for ${input.secretId} returned no version`);
      }
      return { versionId: output.VersionId };
    } catch (error) {
      if (error instanceof ResourceExistsException) {
        throw new SecretVersionConflictError(
          `PutSecretValue for ${input.secretId}: version ${input.clientRequestToken ?? '(generated)'} already exists with another value`,
          { cause: error },
        );
      }
      throw wrap(`PutSecretValue for ${input.secretId}`, error);
    }
  }
}

function toTags(tags: Readonly<Record<string, string>> | undefined): Tag[] | undefined {
  if (tags === undefined) return undefined;
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/**
 * SDK errors carry the service's message (which names the secret, never its
 * value); the name of the error class tells throttling from access denied.
 */
function wrap(what: string, error: unknown): Error {
  if (error instanceof SecretStoreError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  return new SecretStoreError(`${what} failed (${name})`, { cause: error });
}

interface StoredVersion {
  readonly versionId: string;
  readonly value: string;
}

interface StoredSecret {
  readonly name: string;
  readonly arn: string;
  readonly versions: StoredVersion[];
  current: string;
  previous?: string;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * Secrets Manager's observable behaviour for the calls above, in memory: for
 * integration tests and the local runtime. ARNs look real; a secret is found
 * by name or ARN; tokens are version ids, and reusing one with another value
 * fails as the service does.
 */
export class InMemorySecretStore implements SecretStore {
  private readonly secrets = new Map<string, StoredSecret>();
  private sequence = 0;

  public constructor(private readonly arnPrefix = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:') {}

  public async createSecret(input: CreateSecretInput): Promise<CreateSecretResult> {
    if (this.secrets.has(input.name)) return { created: false };
    const versionId = input.clientRequestToken ?? this.newVersionId();
    const arn = `${this.arnPrefix}${input.name}-${String(++this.sequence).padStart(6, '0')}`;
    this.secrets.set(input.name, {
      name: input.name,
      arn,
      versions: [{ versionId, value: input.value }],
      current: versionId,
      tags: { ...input.tags },
    });
    return { created: true, arn, versionId };
  }

  public async getSecretValue(
    secretId: string,
    options: { readonly versionId?: string } = {},
  ): Promise<SecretVersion | undefined> {
    const secret = this.find(secretId);
    if (secret === undefined) return undefined;
    const versionId = options.versionId ?? secret.current;
    const version = secret.versions.find((candidate) => candidate.versionId === versionId);
    return version === undefined ? undefined : { ...version };
  }

  public async putSecretValue(input: PutSecretValueInput): Promise<{ readonly versionId: string }> {
    const secret = this.find(input.secretId);
    if (secret === undefined) {
      throw new SecretStoreError(`PutSecretValue for ${input.secretId} failed (ResourceNotFoundException)`);
    }
    const versionId = input.clientRequestToken ?? this.newVersionId();
    const existing = secret.versions.find((candidate) => candidate.versionId === versionId);
    if (existing !== undefined) {
      if (existing.value !== input.value) {
        throw new SecretVersionConflictError(
          `PutSecretValue for ${input.secretId}: version ${versionId} already exists with another value`,
        );
      }
      return { versionId };
    }
    secret.versions.push({ versionId, value: input.value });
    secret.previous = secret.current;
    secret.current = versionId;
    return { versionId };
  }

  /** Secret names, for assertions. */
  public names(): string[] {
    return [...this.secrets.keys()];
  }

  /** Every stored value, for tests that prove a value leaked nowhere else. */
  public allValues(): string[] {
    return [...this.secrets.values()].flatMap((secret) => secret.versions.map((version) => version.value));
  }

  /** The ARN of a secret created by name, for wiring records in tests. */
  public arnOf(name: string): string | undefined {
    return this.secrets.get(name)?.arn;
  }

  private find(secretId: string): StoredSecret | undefined {
    return this.secrets.get(secretId) ?? [...this.secrets.values()].find((secret) => secret.arn === secretId);
  }

  private newVersionId(): string {
    return `v-${String(++this.sequence).padStart(32, '0')}`;
  }
}
