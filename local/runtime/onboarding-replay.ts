/**
 * Every partner onboarded exactly as the custom resources would run it at
 * deploy: the real onboarding handler, given each onboarding resource's
 * properties (secret references resolved to local ARNs). The initial key is
 * reported only on the start that issued it.
 */
import type { CloudFormationCustomResourceCreateEvent } from 'aws-lambda';
import { pickupSecretName } from '../../lambda/onboarding/initial-key';
import { handleOnboardingEvent } from '../../lambda/onboarding/onboarding-handler';
import { functionEnvironment, type OnboardingResource, onboardingResources, resolveProperties } from './assembly';
import type { RuntimeContext } from './context';
import { LocalRuntimeError } from './errors';
import type { OnboardedPartner } from './types';

/** The onboarded partners, sorted by orgId. */
export async function replayOnboarding(ctx: RuntimeContext): Promise<OnboardedPartner[]> {
  const env = functionEnvironment(ctx.platform, 'onboarding');
  const pickupSecretPrefix = String(env.PICKUP_SECRET_PREFIX ?? 'partner-platform/local/pickup/');
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
    ServiceToken: 'local',
    ResponseURL: 'http://127.0.0.1/unused',
    StackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${stack.stackName}/local`,
    RequestId: `local-${orgId}`,
    LogicalResourceId: logicalId,
    ResourceType: resource.Type,
    ResourceProperties: { ServiceToken: 'local', ...properties },
  };
  let response;
  try {
    response = await handleOnboardingEvent(event, {
      ...ctx.tables.repositories,
      secrets,
      clock: ctx.clock,
      logger: ctx.logger('onboarding'),
      pickupSecretPrefix,
      urlPolicy: ctx.urlPolicy,
    });
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
