/**
 * Outgoing email, behind a small port: Amazon SES (v2 SendEmail) in AWS,
 * the local runtime's mail catcher on a laptop (local/mail-catcher.ts), a
 * recording fake in tests. A message may carry a secret link (an
 * invitation), so neither implementation logs a body.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { MAIL_CONFIGURATION_SET_ENV, MAIL_SENDER_ENV } from './mail-env';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export interface SesMailerProps {
  readonly client: SESv2Client;
  readonly sender: string;
  readonly configurationSet?: string;
}

export class SesMailer implements Mailer {
  public constructor(private readonly props: SesMailerProps) {}

  public async send(message: MailMessage): Promise<void> {
    await this.props.client.send(
      new SendEmailCommand({
        FromEmailAddress: this.props.sender,
        Destination: { ToAddresses: [message.to] },
        Content: {
          Simple: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Text: { Data: message.text, Charset: 'UTF-8' } },
          },
        },
        ...(this.props.configurationSet === undefined ? {} : { ConfigurationSetName: this.props.configurationSet }),
      }),
    );
  }
}

/** The SES mailer the environment configures (MAIL_SENDER, MAIL_CONFIGURATION_SET), or none without a sender. */
export function sesMailerFromEnv(env: Readonly<Record<string, string | undefined>>): Mailer | undefined {
  const sender = env[MAIL_SENDER_ENV];
  if (sender === undefined || sender === '') return undefined;
  const configurationSet = env[MAIL_CONFIGURATION_SET_ENV];
  return new SesMailer({
    client: new SESv2Client({}),
    sender,
    ...(configurationSet === undefined || configurationSet === '' ? {} : { configurationSet }),
  });
}
