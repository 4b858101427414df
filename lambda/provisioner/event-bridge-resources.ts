/**
 * The EventBridge control-plane calls the provisioner makes, each one
 * request through the real client: describe (not found = undefined), create,
 * update, delete (not found = done) and list by name prefix. Nothing here
 * decides anything; lambda/provisioner/provisioner.ts does. Secret values
 * pass through `createConnection` only and never appear in an error.
 */
import {
  CreateApiDestinationCommand,
  CreateConnectionCommand,
  DeleteApiDestinationCommand,
  DeleteConnectionCommand,
  DeleteRuleCommand,
  DescribeApiDestinationCommand,
  DescribeConnectionCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EnableRuleCommand,
  type EventBridgeClient,
  ListApiDestinationsCommand,
  ListConnectionsCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  UpdateApiDestinationCommand,
  UpdateConnectionCommand,
} from '@aws-sdk/client-eventbridge';
import type { DesiredTarget, Pattern } from '../core/provisioning';

export interface ObservedDestination {
  readonly arn: string;
  readonly endpoint?: string;
  readonly rateLimitPerSecond?: number;
  readonly connectionArn?: string;
}

export interface ObservedRule {
  readonly arn?: string;
  readonly pattern?: Pattern;
  readonly enabled: boolean;
}

export interface RuleInput {
  readonly name: string;
  readonly busName: string;
  readonly pattern: Pattern;
  readonly enabled: boolean;
  readonly description: string;
}

export interface DestinationInput {
  readonly name: string;
  readonly connectionArn: string;
  readonly endpoint: string;
  readonly rateLimitPerSecond: number;
  readonly description: string;
}

export interface ObservedConnection {
  readonly arn: string;
  /** The header the API key goes in (its value cannot be read back). */
  readonly headerName?: string;
}

function isNotFound(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ResourceNotFoundException';
}

/** A create lost to another invocation creating the same name (the stream retry and the reconcile at once). */
export function isAlreadyExists(error: unknown): boolean {
  return (error as { name?: string } | null)?.name === 'ResourceAlreadyExistsException';
}

async function orUndefined<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

async function ignoringNotFound(call: Promise<unknown>): Promise<void> {
  await orUndefined(call);
}

export class EventBridgeResources {
  public constructor(private readonly client: EventBridgeClient) {}

  public async connection(name: string): Promise<ObservedConnection | undefined> {
    const found = await orUndefined(this.client.send(new DescribeConnectionCommand({ Name: name })));
    if (found === undefined) return undefined;
    return {
      arn: found.ConnectionArn ?? '',
      headerName: found.AuthParameters?.ApiKeyAuthParameters?.ApiKeyName,
    };
  }

  /** `secret` goes to EventBridge (which keeps it in its own managed secret) and nowhere else. */
  public async createConnection(
    name: string,
    headerName: string,
    secret: string,
    description: string,
  ): Promise<string> {
    const created = await this.client.send(
      new CreateConnectionCommand({
        Name: name,
        Description: description,
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: headerName, ApiKeyValue: secret } },
      }),
    );
    return created.ConnectionArn ?? '';
  }

  /** Sets the header and its value; `secret` goes to EventBridge and nowhere else. */
  public async updateConnection(name: string, headerName: string, secret: string, description: string): Promise<void> {
    await this.client.send(
      new UpdateConnectionCommand({
        Name: name,
        Description: description,
        AuthorizationType: 'API_KEY',
        AuthParameters: { ApiKeyAuthParameters: { ApiKeyName: headerName, ApiKeyValue: secret } },
      }),
    );
  }

  public deleteConnection(name: string): Promise<void> {
    return ignoringNotFound(this.client.send(new DeleteConnectionCommand({ Name: name })));
  }

  public async destination(name: string): Promise<ObservedDestination | undefined> {
    const found = await orUndefined(this.client.send(new DescribeApiDestinationCommand({ Name: name })));
    if (found === undefined) return undefined;
    return {
      arn: found.ApiDestinationArn ?? '',
      endpoint: found.InvocationEndpoint,
      rateLimitPerSecond: found.InvocationRateLimitPerSecond,
      connectionArn: found.ConnectionArn,
    };
  }

  public async createDestination(input: DestinationInput): Promise<string> {
    const created = await this.client.send(new CreateApiDestinationCommand(this.destinationRequest(input)));
    return created.ApiDestinationArn ?? '';
  }

  public async updateDestination(input: DestinationInput): Promise<string> {
    const updated = await this.client.send(new UpdateApiDestinationCommand(this.destinationRequest(input)));
    return updated.ApiDestinationArn ?? '';
  }

  public deleteDestination(name: string): Promise<void> {
    return ignoringNotFound(this.client.send(new DeleteApiDestinationCommand({ Name: name })));
  }

  public async rule(name: string, busName: string): Promise<ObservedRule | undefined> {
    const found = await orUndefined(this.client.send(new DescribeRuleCommand({ Name: name, EventBusName: busName })));
    if (found === undefined) return undefined;
    return {
      arn: found.Arn,
      pattern: found.EventPattern === undefined ? undefined : (JSON.parse(found.EventPattern) as Pattern),
      enabled: found.State === 'ENABLED',
    };
  }

  /** Creates or replaces the rule (PutRule is an upsert). */
  public async putRule(input: RuleInput): Promise<void> {
    await this.client.send(
      new PutRuleCommand({
        Name: input.name,
        EventBusName: input.busName,
        EventPattern: JSON.stringify(input.pattern),
        State: input.enabled ? 'ENABLED' : 'DISABLED',
        Description: input.description,
      }),
    );
  }

  /** Switches a rule on or off and nothing else (a template's rule allows no other change). */
  public async setRuleState(name: string, busName: string, enabled: boolean): Promise<void> {
    const input = { Name: name, EventBusName: busName };
    await this.client.send(enabled ? new EnableRuleCommand(input) : new DisableRuleCommand(input));
  }

  public async targets(name: string, busName: string): Promise<DesiredTarget[]> {
    const found = await orUndefined(
      this.client.send(new ListTargetsByRuleCommand({ Rule: name, EventBusName: busName })),
    );
    return (found?.Targets ?? []).map((target) => ({
      id: target.Id ?? '',
      arn: target.Arn ?? '',
      roleArn: target.RoleArn ?? '',
      deadLetterArn: target.DeadLetterConfig?.Arn ?? '',
      maxEventAgeSeconds: target.RetryPolicy?.MaximumEventAgeInSeconds ?? -1,
      retryAttempts: target.RetryPolicy?.MaximumRetryAttempts ?? -1,
    }));
  }

  public async putTarget(name: string, busName: string, target: DesiredTarget): Promise<void> {
    const result = await this.client.send(
      new PutTargetsCommand({
        Rule: name,
        EventBusName: busName,
        Targets: [
          {
            Id: target.id,
            Arn: target.arn,
            RoleArn: target.roleArn,
            DeadLetterConfig: { Arn: target.deadLetterArn },
            RetryPolicy: {
              MaximumEventAgeInSeconds: target.maxEventAgeSeconds,
              MaximumRetryAttempts: target.retryAttempts,
            },
          },
        ],
      }),
    );
    const failed = result.FailedEntries?.[0];
    if ((result.FailedEntryCount ?? 0) > 0 && failed !== undefined) {
      throw new Error(`PutTargets on ${name} failed: ${failed.ErrorCode ?? 'unknown'}`);
    }
  }

  /** Removes the rule's targets, then the rule; either already gone is fine. */
  public async deleteRule(name: string, busName: string): Promise<void> {
    const ids = (await this.targets(name, busName)).map((target) => target.id);
    if (ids.length > 0) {
      await ignoringNotFound(
        this.client.send(new RemoveTargetsCommand({ Rule: name, EventBusName: busName, Ids: ids })),
      );
    }
    await ignoringNotFound(this.client.send(new DeleteRuleCommand({ Name: name, EventBusName: busName })));
  }

  /** Rule names on a bus, all or those under `prefix`; a bus that does not exist has none. */
  public async ruleNames(busName: string, prefix?: string): Promise<string[]> {
    const names: string[] = [];
    let next: string | undefined;
    do {
      const page = await orUndefined(
        this.client.send(new ListRulesCommand({ EventBusName: busName, NamePrefix: prefix, NextToken: next })),
      );
      if (page === undefined) return names;
      names.push(...(page.Rules ?? []).map((rule) => rule.Name ?? ''));
      next = page.NextToken;
    } while (next !== undefined);
    return names;
  }

  public async destinationNames(prefix?: string): Promise<string[]> {
    const names: string[] = [];
    let next: string | undefined;
    do {
      const page = await this.client.send(new ListApiDestinationsCommand({ NamePrefix: prefix, NextToken: next }));
      names.push(...(page.ApiDestinations ?? []).map((destination) => destination.Name ?? ''));
      next = page.NextToken;
    } while (next !== undefined);
    return names;
  }

  public async connectionNames(prefix?: string): Promise<string[]> {
    const names: string[] = [];
    let next: string | undefined;
    do {
      const page = await this.client.send(new ListConnectionsCommand({ NamePrefix: prefix, NextToken: next }));
      names.push(...(page.Connections ?? []).map((connection) => connection.Name ?? ''));
      next = page.NextToken;
    } while (next !== undefined);
    return names;
  }

  private destinationRequest(input: DestinationInput) {
    return {
      Name: input.name,
      Description: input.description,
      ConnectionArn: input.connectionArn,
      InvocationEndpoint: input.endpoint,
      HttpMethod: 'POST' as const,
      InvocationRateLimitPerSecond: input.rateLimitPerSecond,
    };
  }
}
