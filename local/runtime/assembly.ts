/**
 * What the local runtime reads from the synthesized cloud assembly: the
 * platform stack (the one with the REST API), a function's environment by
 * its service name, and the partners' onboarding custom resources with
 * their secret references resolved to local ARNs.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { ONBOARDING_RESOURCE_TYPE } from '../../lambda/core/contracts';
import type { InMemorySecretStore } from '../../lambda/shared/secret-store';
import {
  type CfnResourceJson,
  type CloudAssemblyView,
  readCloudAssembly,
  referencedResource,
  resourcesOfType,
  type StackArtifact,
} from '../cloud-assembly';
import { LocalRuntimeError } from './errors';

export function readAssembly(dir: string): CloudAssemblyView {
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    throw new LocalRuntimeError(`no synthesized app in ${dir}: run \`npm run synth\` first (or pass --assembly DIR)`);
  }
  return readCloudAssembly(dir);
}

export function platformStackOf(assembly: CloudAssemblyView): StackArtifact {
  const stack = assembly.stacks.find(
    (candidate) => resourcesOfType(candidate.template, 'AWS::ApiGateway::RestApi').length > 0,
  );
  if (stack === undefined) throw new LocalRuntimeError(`${assembly.dir} has no platform stack (no REST API)`);
  return stack;
}

/** A function's environment variables, by the service name Powertools logs under. */
export function functionEnvironment(stack: StackArtifact, service: string): Record<string, unknown> {
  const fn = resourcesOfType(stack.template, 'AWS::Lambda::Function').find(
    ([, resource]) => resource.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  );
  return fn?.[1].Properties?.Environment?.Variables ?? {};
}

export interface OnboardingResource {
  readonly stack: StackArtifact;
  readonly logicalId: string;
  readonly resource: CfnResourceJson;
}

export function onboardingResources(assembly: CloudAssemblyView): OnboardingResource[] {
  return assembly.stacks.flatMap((stack) =>
    resourcesOfType(stack.template, ONBOARDING_RESOURCE_TYPE).map(([logicalId, resource]) => ({
      stack,
      logicalId,
      resource,
    })),
  );
}

/** The webhooks the synthesized partners declare (for demo receivers), without starting anything. */
export function declaredWebhooks(
  assemblyDir = 'cdk.out',
): Array<{ orgId: string; id: string; url: string; events: string[] }> {
  return onboardingResources(readAssembly(path.resolve(assemblyDir))).flatMap(({ resource }) => {
    const props = resource.Properties ?? {};
    const webhooks = (Array.isArray(props.webhooks) ? props.webhooks : []) as Array<Record<string, unknown>>;
    return webhooks.map((webhook) => ({
      orgId: String(props.orgId),
      id: String(webhook.id),
      url: String(webhook.url),
      events: (webhook.events as string[]).map(String),
    }));
  });
}

/** The custom resource's properties with `Ref`s to secrets replaced by their local ARNs. */
export function resolveProperties(
  assembly: CloudAssemblyView,
  stack: StackArtifact,
  properties: Record<string, unknown>,
  secrets: InMemorySecretStore,
): Record<string, any> {
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const referenced = referencedResource(assembly, stack, value);
    if (referenced !== undefined) {
      const name = referenced.resource.Properties?.Name;
      const arn = typeof name === 'string' ? secrets.arnOf(name) : undefined;
      if (arn === undefined) throw new LocalRuntimeError(`cannot resolve ${JSON.stringify(value)} locally`);
      return arn;
    }
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
  };
  const { ServiceToken: _token, ...rest } = properties;
  return resolve(rest) as Record<string, any>;
}
