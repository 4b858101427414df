/**
 * Plain http:// webhook URLs are a dev-only convenience. This reads every
 * Lambda function of each environment's real config (config/<env>.yaml
 * through loadConfig) and checks that outside dev none of them is told to
 * accept them, and that the functions taking webhook URLs from callers (admin
 * and partner APIs) get ENVIRONMENT_NAME, which their entry points check the
 * flag against (test/api/webhook-url-environment.test.ts).
 */
import { Template } from 'aws-cdk-lib/assertions';
import { ENVIRONMENT_NAMES } from '../../lambda/core/contracts';
import { loadConfig } from '../../lib/config/load-config';
import { buildPlatformApp } from '../../lib/platform-app';
import { REPO_ROOT } from '../support/workspace';
import { templateApp } from '../support/template-app';

type Variables = Record<string, unknown>;

function functionEnvironments(environment: string): Map<string, Variables> {
  const app = templateApp();
  const { platform } = buildPlatformApp(app, loadConfig({ rootDir: REPO_ROOT, environment }), { nag: false });
  const functions = Template.fromStack(platform).findResources('AWS::Lambda::Function');
  return new Map(
    Object.values(functions).map((fn: any) => [
      String(fn.Properties.Description ?? fn.Properties.Handler),
      (fn.Properties.Environment?.Variables ?? {}) as Variables,
    ]),
  );
}

const API_FUNCTIONS = [/^Admin API:/, /^Partner API:/];

function apiFunction(environments: Map<string, Variables>, description: RegExp): Variables {
  const found = [...environments].filter(([name]) => description.test(name));
  expect(found).toHaveLength(1);
  return found[0][1];
}

describe.each(ENVIRONMENT_NAMES.filter((name) => name !== 'dev'))('the %s environment', (environment) => {
  const environments = functionEnvironments(environment);

  it('tells no Lambda function to accept plain http:// webhooks', () => {
    expect(environments.size).toBeGreaterThan(3);
    const allowing = [...environments]
      .filter(
        ([, variables]) => !(variables.ALLOW_HTTP_WEBHOOKS === undefined || variables.ALLOW_HTTP_WEBHOOKS === 'false'),
      )
      .map(([name, variables]) => `${name}: ${String(variables.ALLOW_HTTP_WEBHOOKS)}`);
    expect(allowing).toEqual([]);
  });

  it.each(API_FUNCTIONS)(
    'gives %s its environment name, which its entry point checks the flag against',
    (description) => {
      expect(apiFunction(environments, description)).toEqual(
        expect.objectContaining({ ENVIRONMENT_NAME: environment, ALLOW_HTTP_WEBHOOKS: 'false' }),
      );
    },
  );
});

describe('the dev environment', () => {
  const environments = functionEnvironments('dev');

  it.each(API_FUNCTIONS)('lets %s accept plain http:// webhooks, as config/dev.yaml asks', (description) => {
    expect(apiFunction(environments, description)).toEqual(
      expect.objectContaining({ ENVIRONMENT_NAME: 'dev', ALLOW_HTTP_WEBHOOKS: 'true' }),
    );
  });
});
