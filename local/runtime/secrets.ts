/**
 * The local runtime's Secrets Manager: an in-memory store seeded from the
 * data directory, the templates' generated secrets (webhook secrets, made by
 * CloudFormation at deploy, here once per data directory), and a record of
 * the generated values to keep across restarts.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomAlphanumeric } from '../../lambda/core/random';
import { InMemorySecretStore } from '../../lambda/shared/secret-store';
import { type CloudAssemblyView, resourcesOfType } from '../cloud-assembly';
import { LocalRuntimeError } from './errors';

const SECRETS_FILE = 'secrets.json';
const LOCAL_ARN_PREFIX = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:';

export class LocalSecrets {
  public readonly store = new InMemorySecretStore(LOCAL_ARN_PREFIX);
  /** The templates' secrets by name: the connections' header values the local bus sends. */
  public readonly webhookSecrets: Record<string, string> = {};
  private readonly kept: Record<string, string> = {};

  private constructor(private readonly file: string | undefined) {}

  /** The store with the data directory's secrets, and every secret the assembly's templates declare. */
  public static async start(assembly: CloudAssemblyView, dataDir: string | undefined): Promise<LocalSecrets> {
    const secrets = new LocalSecrets(
      dataDir === undefined ? undefined : path.join(path.resolve(dataDir), SECRETS_FILE),
    );
    const persisted =
      secrets.file !== undefined && existsSync(secrets.file)
        ? (JSON.parse(readFileSync(secrets.file, 'utf8')) as Record<string, string>)
        : {};
    for (const [name, value] of Object.entries(persisted)) await secrets.store.createSecret({ name, value });
    for (const stack of assembly.stacks) {
      for (const [logicalId, secret] of resourcesOfType(stack.template, 'AWS::SecretsManager::Secret')) {
        const name = secret.Properties?.Name;
        if (typeof name !== 'string') continue;
        secrets.webhookSecrets[name] = await secrets.keep(name, () =>
          generatedSecret(secret.Properties?.GenerateSecretString, `${stack.stackName}/${logicalId}`),
        );
      }
    }
    return secrets;
  }

  /** The secret `name`, made by `make` on the first start of a data directory and kept by `save()`. */
  public async keep(name: string, make: () => string | Promise<string>): Promise<string> {
    const existing = await this.store.getSecretValue(name);
    const value = existing?.value ?? (await make());
    if (existing === undefined) await this.store.createSecret({ name, value });
    this.kept[name] = value;
    return value;
  }

  /**
   * Writes the kept secrets to the data directory (mode 0600). Pickup
   * secrets, which hold plaintext keys, are never written: a key is shown on
   * the start that issued it and nowhere after.
   */
  public save(): void {
    if (this.file === undefined) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(this.file, `${JSON.stringify(this.kept, null, 2)}\n`, { mode: 0o600 });
    chmodSync(this.file, 0o600);
  }
}

/** A value like the one `GenerateSecretString` would make (alphanumeric; length as configured). */
function generatedSecret(spec: unknown, where: string): string {
  const settings = (spec ?? {}) as {
    PasswordLength?: number;
    SecretStringTemplate?: string;
    GenerateStringKey?: string;
  };
  const value = randomAlphanumeric(Number(settings.PasswordLength ?? 32));
  if (settings.SecretStringTemplate === undefined) return value;
  if (settings.GenerateStringKey === undefined) throw new LocalRuntimeError(`${where}: template without a key`);
  return JSON.stringify({ ...JSON.parse(settings.SecretStringTemplate), [settings.GenerateStringKey]: value });
}
