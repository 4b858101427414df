/**
 * Test doubles for the handlers' integration tests: fault injection around
 * the real DynamoDB document client and the in-memory secret store and
 * connection updater (one step counter across all three, so "fail at step
 * k" walks every I/O call a handler makes, in order), stdout capture for
 * Powertools log lines, and CloudFormation custom resource events.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import type { ConnectionUpdater, UpdateApiKeyConnectionInput } from '../../lambda/shared/connection-updater';
import type {
  CreateSecretInput,
  CreateSecretResult,
  PutSecretValueInput,
  SecretStore,
  SecretVersion,
} from '../../lambda/shared/secret-store';

/** The error a fault throws; its message names the step, nothing else. */
export class InjectedFault extends Error {
  constructor(step: number, mode: FaultMode, what: string) {
    super(`injected fault ${mode} step ${step} (${what})`);
    this.name = 'InjectedFault';
  }
}

/**
 * `before`: the call fails without taking effect (a crash before it).
 * `after`: the call takes effect and then fails (a crash, or a lost
 * response, right after it).
 */
export type FaultMode = 'before' | 'after';

export class FaultInjector {
  private count = 0;
  private plan: { step: number; mode: FaultMode } | undefined;
  /** The calls made so far, for a readable failure message. */
  readonly trace: string[] = [];

  /** Fails the `step`-th call from now (1-based). */
  failAt(step: number, mode: FaultMode): void {
    this.count = 0;
    this.trace.length = 0;
    this.plan = { step, mode };
  }

  /** Counts calls without failing any. */
  reset(): void {
    this.count = 0;
    this.trace.length = 0;
    this.plan = undefined;
  }

  get steps(): number {
    return this.count;
  }

  async around<T>(what: string, call: () => Promise<T>): Promise<T> {
    this.count += 1;
    const step = this.count;
    this.trace.push(what);
    const plan = this.plan;
    if (plan?.step === step && plan.mode === 'before') throw new InjectedFault(step, 'before', what);
    const result = await call();
    if (plan?.step === step && plan.mode === 'after') throw new InjectedFault(step, 'after', what);
    return result;
  }
}

/** A document client whose every `send` passes through the injector. */
export function faultyDocClient(doc: DynamoDBDocumentClient, faults: FaultInjector): DynamoDBDocumentClient {
  const wrapper = {
    send: (command: { constructor: { name: string } }) =>
      faults.around(command.constructor.name, () => doc.send(command as never)),
  };
  return wrapper as unknown as DynamoDBDocumentClient;
}

export class FaultySecretStore implements SecretStore {
  constructor(
    private readonly inner: SecretStore,
    private readonly faults: FaultInjector,
  ) {}

  createSecret(input: CreateSecretInput): Promise<CreateSecretResult> {
    return this.faults.around('CreateSecret', () => this.inner.createSecret(input));
  }

  getSecretValue(secretId: string, options?: { readonly versionId?: string }): Promise<SecretVersion | undefined> {
    return this.faults.around('GetSecretValue', () => this.inner.getSecretValue(secretId, options));
  }

  putSecretValue(input: PutSecretValueInput): Promise<{ readonly versionId: string }> {
    return this.faults.around('PutSecretValue', () => this.inner.putSecretValue(input));
  }
}

export class FaultyConnectionUpdater implements ConnectionUpdater {
  constructor(
    private readonly inner: ConnectionUpdater,
    private readonly faults: FaultInjector,
  ) {}

  updateApiKeyConnection(input: UpdateApiKeyConnectionInput): Promise<void> {
    return this.faults.around('UpdateConnection', () => this.inner.updateApiKeyConnection(input));
  }
}

/**
 * Everything written to stdout and stderr until `restore()`, where
 * Powertools' logger writes its JSON lines (it binds process.stdout when it
 * is constructed, and calls its `write`).
 */
export function captureOutput(): { text(): string; restore(): void } {
  const chunks: string[] = [];
  const spies = [process.stdout, process.stderr].map((stream) =>
    jest.spyOn(stream, 'write').mockImplementation((chunk: unknown) => {
      chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      return true;
    }),
  );
  return {
    text: () => chunks.join(''),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

/** A Provider-framework event for the onboarding custom resource. */
export function customResourceEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  properties: Record<string, unknown>,
  options: { physicalResourceId?: string; oldProperties?: Record<string, unknown>; requestId?: string } = {},
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider',
    ResponseURL: 'https://cloudformation-response.invalid/',
    StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/partner/1',
    RequestId: options.requestId ?? 'request-1',
    LogicalResourceId: 'Onboarding',
    ResourceType: 'Custom::PartnerOnboarding',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:provider', ...properties },
  };
  switch (requestType) {
    case 'Create':
      return { ...common, RequestType: 'Create' } as CloudFormationCustomResourceEvent;
    case 'Update':
      return {
        ...common,
        RequestType: 'Update',
        PhysicalResourceId: options.physicalResourceId ?? 'unknown',
        OldResourceProperties: options.oldProperties ?? {},
      } as CloudFormationCustomResourceEvent;
    case 'Delete':
      return {
        ...common,
        RequestType: 'Delete',
        PhysicalResourceId: options.physicalResourceId ?? 'unknown',
      } as CloudFormationCustomResourceEvent;
  }
}
