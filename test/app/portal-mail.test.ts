/**
 * `mail` in config/<env>.yaml reaches the portal function through
 * loadConfig and buildPlatformApp: its sender and configuration set in the
 * environment and ses:SendEmail on that identity; without the block, none.
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lib/config/load-config';
import { buildPlatformApp } from '../../lib/platform-app';
import { makeWorkspace } from '../support/workspace';
import { templateApp } from '../support/template-app';

function portalTemplate(environmentOverrides: Record<string, unknown>): Template {
  const root = makeWorkspace({ environment: 'stage', environmentOverrides });
  const app = templateApp();
  const { platform } = buildPlatformApp(app, loadConfig({ rootDir: root, environment: 'stage' }), { nag: false });
  return Template.fromStack(platform);
}

const portalFunction = { Description: Match.stringLikeRegexp('^Partner portal') };

it('gives the portal the configured sender and configuration set, and SendEmail on them', () => {
  const template = portalTemplate({
    mail: { sender: 'no-reply@partners.example.com', configurationSet: 'portal-mail' },
  });
  template.hasResourceProperties('AWS::Lambda::Function', {
    ...portalFunction,
    Environment: {
      Variables: Match.objectLike({
        MAIL_SENDER: 'no-reply@partners.example.com',
        MAIL_CONFIGURATION_SET: 'portal-mail',
      }),
    },
  });
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: 'ses:SendEmail',
          Condition: { StringEquals: { 'ses:FromAddress': 'no-reply@partners.example.com' } },
        }),
      ]),
    },
  });
});

it('gives the portal no sender and no SES action without a mail block', () => {
  const template = portalTemplate({});
  template.hasResourceProperties('AWS::Lambda::Function', {
    ...portalFunction,
    Environment: { Variables: Match.objectLike({ MAIL_SENDER: Match.absent() }) },
  });
  expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('ses:');
});
