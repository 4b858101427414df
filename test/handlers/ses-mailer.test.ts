/**
 * The SES mailer with the real SES v2 client against a recording HTTP server
 * on 127.0.0.1: the SendEmail request carries the sender, the recipient, the
 * subject and text, and the configuration set only when configured; an SES
 * refusal reaches the caller (who revokes the invitation); and the
 * environment configures it, or no mailer without a sender.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SesMailer, sesMailerFromEnv } from '../../lambda/shared/mailer';

interface Recorded {
  readonly method: string;
  readonly path: string;
  readonly body: Record<string, any>;
}

let server: Server;
let endpoint: string;
const recorded: Recorded[] = [];
let answer: { status: number; body: unknown } = { status: 200, body: { MessageId: 'm-1' } };

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', () => {
      recorded.push({ method: request.method ?? '', path: request.url ?? '', body: JSON.parse(text || '{}') });
      response.writeHead(answer.status, { 'content-type': 'application/json', 'x-amzn-errortype': 'MessageRejected' });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  recorded.length = 0;
  answer = { status: 200, body: { MessageId: 'm-1' } };
});

const client = () =>
  new SESv2Client({
    endpoint,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
  });

const message = { to: 'colleague@partner.example', subject: 'You are invited', text: 'Accept: https://p/x' };

describe('SesMailer', () => {
  it('sends one SendEmail with the sender, recipient, subject, text and configuration set', async () => {
    await new SesMailer({
      client: client(),
      sender: 'no-reply@partners.example.com',
      configurationSet: 'portal-mail',
    }).send(message);
    expect(recorded).toHaveLength(1);
    expect(recorded[0].method).toBe('POST');
    expect(recorded[0].path).toBe('/v2/email/outbound-emails');
    expect(recorded[0].body).toEqual({
      FromEmailAddress: 'no-reply@partners.example.com',
      Destination: { ToAddresses: ['colleague@partner.example'] },
      Content: {
        Simple: {
          Subject: { Data: 'You are invited', Charset: 'UTF-8' },
          Body: { Text: { Data: 'Accept: https://p/x', Charset: 'UTF-8' } },
        },
      },
      ConfigurationSetName: 'portal-mail',
    });
  });

  it('names no configuration set when none is configured', async () => {
    await new SesMailer({ client: client(), sender: 'no-reply@partners.example.com' }).send(message);
    expect(recorded[0].body.ConfigurationSetName).toBeUndefined();
  });

  it('lets an SES refusal reach the caller', async () => {
    answer = { status: 400, body: { message: 'Email address is not verified.' } };
    await expect(
      new SesMailer({ client: client(), sender: 'no-reply@partners.example.com' }).send(message),
    ).rejects.toThrow('Email address is not verified.');
  });
});

describe('sesMailerFromEnv', () => {
  it('is a mailer with MAIL_SENDER and none without it', () => {
    expect(sesMailerFromEnv({ MAIL_SENDER: 'no-reply@partners.example.com' })).toBeInstanceOf(SesMailer);
    expect(sesMailerFromEnv({})).toBeUndefined();
    expect(sesMailerFromEnv({ MAIL_SENDER: '' })).toBeUndefined();
  });
});
