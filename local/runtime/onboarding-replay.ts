/**
 * Every partner onboarded exactly as the custom resources would run it at
 * deploy: the real onboarding handler, given each onboarding resource's
 * properties (secret references resolved to local ARNs). The initial key is
 * reported only on the start that issued it.
 */
import type { CloudFormationCustomResourceCreateEvent, CloudFormationCustomResourceDeleteEvent } from 'aws-lambda';
import { pickupSecretName } from '../../lambda/onboarding/initial-key';
import { handleOnboardingEvent, physicalIdFor } from '../../lambda/onboarding/onboarding-handler';
import { functionEnvironment, type OnboardingResource, onboardingResources, resolveProperties } from './assembly';
import type { RuntimeContext } from './context';
import { LocalRuntimeError } from './errors';
import type { OnboardedPartner } from './types';

const DEFAULT_PICKUP_PREFIX = 'partner-platform/local/pickup/';

/**
 * Onboarding's Delete for one partner, as CloudFormation sends it when the
 * partner file is removed: the tenant is disabled and its keys revoked.
 */
export async function offboardPartner(ctx: RuntimeContext, orgId: string): Promise<void> {
  const found = onboardingResources(ctx.assembly).find(({ resource }) => resource.Properties?.orgId === orgId);
  if (found === undefined) throw new LocalRuntimeError(`no partner file onboards ${orgId}`);
  const { stack, logicalId, resource } = found;
  const event: CloudFormationCustomResourceDeleteEvent = {
    RequestType: 'Delete',
    ...eventBase(stack.stackName, logicalId, resource.Type, orgId),
    PhysicalResourceId: physicalIdFor(orgId),
    ResourceProperties: { ServiceToken: 'local' },
  };
  const env = functionEnvironment(ctx.platform, 'onboarding');
  await handleOnboardingEvent(event, onboardingDeps(ctx, String(env.PICKUP_SECRET_PREFIX ?? DEFAULT_PICKUP_PREFIX)));
}

function eventBase(stackName: string, logicalId: string, resourceType: string, orgId: string) {
  return {
    ServiceToken: 'local',
    ResponseURL: 'http://127.0.0.1/unused',
    StackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${stackName}/local`,
    RequestId: `local-${orgId}`,
    LogicalResourceId: logicalId,
    ResourceType: resourceType,
  };
}

function onboardingDeps(ctx: RuntimeContext, pickupSecretPrefix: string) {
  return {
    ...ctx.tables.repositories,
    secrets: ctx.secrets.store,
    clock: ctx.clock,
    logger: ctx.logger('onboarding'),
    pickupSecretPrefix,
    urlPolicy: ctx.urlPolicy,
  };
}

/** The onboarded partners, sorted by orgId. */
export async function replayOnboarding(ctx: RuntimeContext): Promise<OnboardedPartner[]> {
  const env = functionEnvironment(ctx.platform, 'onboarding');
  const pickupSecretPrefix = String(env.PICKUP_SECRET_PREFIX ?? DEFAULT_PICKUP_PREFIX);
  const partners: OnboardedPartner[] = [];
  for (const onboarding of onboardingResources(ctx.assembly)) {
    partners.push(await onboardPartner(ctx, onboarding, pickupSecretPrefix));
  }
  return partners.sort((a, b) => a.orgId.localeCompare(b.orgId));
}

async function onboardPartner(
  ctx: RuntimeContext,
  { stack, logicalId, resource }: OnboardingResource,
  pickupSecretPrefix: string,
): Promise<OnboardedPartner> {
  const secrets = ctx.secrets.store;
  const properties = resolveProperties(ctx.assembly, stack, resource.Properties ?? {}, secrets);
  const orgId = String(properties.orgId);
  const pickupName = pickupSecretName(pickupSecretPrefix, orgId);
  const hadPickup = (await secrets.getSecretValue(pickupName)) !== undefined;
  const event: CloudFormationCustomResourceCreateEvent = {
    RequestType: 'Create',
    ...eventBase(stack.stackName, logicalId, resource.Type, orgId),
    ResourceProperties: { ServiceToken: 'local', ...properties },
  };
  let response;
  try {
    response = await handleOnboardingEvent(event, onboardingDeps(ctx, pickupSecretPrefix));
  } catch (error) {
    throw new LocalRuntimeError(`onboarding ${orgId} failed: ${(error as Error).message}`, { cause: error });
  }
  const pickup = hadPickup ? undefined : (await secrets.getSecretValue(pickupName))?.value;
  const webhooks = (properties.webhooks as Array<{ id: string; url: string; events: string[] }>).map(
    ({ id, url, events }) => ({ id, url, events }),
  );
  return {
    orgId,
    orgName: String(properties.orgName),
    ownerEmail: String(properties.ownerEmail),
    keyId: response.Data?.ActiveKeyId ?? '',
    ...(pickup === undefined ? {} : { initialApiKey: (JSON.parse(pickup) as { apiKey: string }).apiKey }),
    webhooks,
  };
}
