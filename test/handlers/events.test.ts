/** Parsing what CloudFormation and the schedule deliver: strings coerced, bad input named. */
import { parseOnboardingProperties } from '../../lambda/onboarding/onboarding-properties';
import { parseRotationEvent } from '../../lambda/rotation/rotation-events';

const webhook = {
  id: 'primary',
  url: 'https://acme.example/hooks',
  events: ['*'],
  secretArn: 'arn:aws:secretsmanager:us-east-1:1:secret:w',
  connectionName: 'c',
  apiDestinationName: 'd',
};
const base = { orgId: 'acme', orgName: 'Acme', ownerEmail: 'owner@acme.example' };

describe('parseOnboardingProperties', () => {
  it('coerces CloudFormation strings and accepts webhooks as a list or a JSON string', () => {
    const asList = parseOnboardingProperties({
      ServiceToken: 'arn:provider',
      ...base,
      apiKeyValidityDays: '90',
      rotationGraceHours: '72',
      webhooks: [webhook],
    });
    expect(asList).toEqual({ ...base, apiKeyValidityDays: 90, rotationGraceHours: 72, webhooks: [webhook] });
    expect(
      parseOnboardingProperties({
        ...base,
        apiKeyValidityDays: '90',
        rotationGraceHours: '72',
        webhooks: JSON.stringify([webhook]),
      }),
    ).toEqual(asList);
  });

  it('defaults validity to 365 days, grace to 24 h and webhooks to none; "never" is kept', () => {
    expect(parseOnboardingProperties(base)).toMatchObject({
      apiKeyValidityDays: 365,
      rotationGraceHours: 24,
      webhooks: [],
    });
    expect(parseOnboardingProperties({ ...base, apiKeyValidityDays: 'never' }).apiKeyValidityDays).toBe('never');
  });

  it.each([
    [{ apiKeyValidityDays: '0' }, 'apiKeyValidityDays must be a whole number of days from 1 to 3650, or "never"'],
    [{ apiKeyValidityDays: 'forever' }, 'apiKeyValidityDays must be a whole number'],
    [{ rotationGraceHours: '12' }, 'rotationGraceHours must be one of 0, 24, 48, 72 hours'],
    [{ ownerEmail: 'owner' }, 'ownerEmail must be an email address'],
    [{ orgId: '' }, 'orgId must not be empty'],
    [{ webhooks: '[{"id":"x"' }, 'webhooks must be a list of webhooks'],
    [{ webhooks: [{ ...webhook, secretArn: undefined }] }, 'webhooks.0.secretArn is required'],
  ])('%j fails with "%s"', (override, message) => {
    expect(() => parseOnboardingProperties({ ...base, ...override })).toThrow(message);
  });
});

describe('parseRotationEvent', () => {
  it('reads a rotation request, a secret rotation with its default overlap, and both sweep forms', () => {
    expect(parseRotationEvent({ action: 'rotate', orgId: 'acme', keyId: 'key_1', graceHours: 48 })).toEqual({
      action: 'rotate',
      orgId: 'acme',
      keyId: 'key_1',
      graceHours: 48,
    });
    expect(parseRotationEvent({ action: 'rotate-webhook-secret', orgId: 'acme', webhookId: 'primary' })).toEqual({
      action: 'rotate-webhook-secret',
      orgId: 'acme',
      webhookId: 'primary',
      overlapHours: 24,
    });
    expect(parseRotationEvent({ action: 'sweep' })).toEqual({ action: 'sweep' });
    expect(parseRotationEvent({ source: 'aws.events', 'detail-type': 'Scheduled Event', detail: {} })).toEqual({
      action: 'sweep',
    });
  });

  it.each([
    [{ action: 'rotate', orgId: 'acme', graceHours: 5 }, 'graceHours must be one of 0, 24, 48, 72 hours'],
    [{ action: 'rotate-webhook-secret', orgId: 'acme', webhookId: 'w', overlapHours: 0 }, 'overlapHours'],
    [{ action: 'explode' }, 'Invalid rotation request'],
    [{ orgId: 'acme' }, 'Invalid rotation request'],
  ])('%j fails with "%s"', (event, message) => {
    expect(() => parseRotationEvent(event)).toThrow(message);
  });
});
