/**
 * The provisioner's settings from its environment, with the pattern builder
 * and the routed sources taken from the bundled event catalog: the same
 * `webhookEventPattern` the synth gives config webhooks. The Lambda index
 * and the local runtime (over the function's environment in the template)
 * both build them here.
 */
import { catalogSources, webhookEventPattern } from '../core/event-catalog';
import { PLATFORM_EVENT_CATALOG } from '../core/platform-event-catalog';
import { provisionerSettingsOf, readProvisionerEnvironment } from './environment';
import type { ProvisionerSettings } from './provisioner';

/** @throws EnvironmentError naming every missing or malformed variable. */
export function provisionerSettingsFromEnvironment(
  source: Readonly<Record<string, string | undefined>> = process.env,
): ProvisionerSettings {
  const env = readProvisionerEnvironment(source);
  return {
    ...provisionerSettingsOf(env, catalogSources(PLATFORM_EVENT_CATALOG)),
    patternOf: (orgId, events) => webhookEventPattern(orgId, events, PLATFORM_EVENT_CATALOG),
  };
}
