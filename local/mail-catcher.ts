/**
 * The local runtime's mail: instead of Amazon SES, the portal's Mailer is
 * this catcher, which keeps the last messages in memory and serves them on
 * the portal server at `/_mail` (a page, newest first, links clickable) and
 * `/_mail.json`, so an invitation can be followed on a laptop with no AWS
 * account. `npm run local -- --print-mail` also logs each message's links.
 * Local only: mail here is never sent anywhere.
 */
import { randomUUID } from 'node:crypto';
import { escapeHtml } from '../lambda/portal/html';
import type { MailMessage, Mailer } from '../lambda/shared/mailer';

export const MAIL_CATCHER_PATH = '/_mail';

/** How many messages are kept; older ones are dropped. */
const KEPT = 200;

export interface CaughtMail extends MailMessage {
  readonly id: string;
  readonly at: string;
}

/** The http(s) links in a message's text, in order. */
export function linksIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((match) => match[0]);
}

export class MailCatcher implements Mailer {
  private readonly caught: CaughtMail[] = [];

  public constructor(
    private readonly options: { readonly now?: () => Date; readonly onMail?: (mail: CaughtMail) => void } = {},
  ) {}

  public async send(message: MailMessage): Promise<void> {
    const mail: CaughtMail = { ...message, id: randomUUID(), at: (this.options.now?.() ?? new Date()).toISOString() };
    this.caught.push(mail);
    if (this.caught.length > KEPT) this.caught.splice(0, this.caught.length - KEPT);
    this.options.onMail?.(mail);
  }

  /** Newest first. */
  public messages(): readonly CaughtMail[] {
    return [...this.caught].reverse();
  }

  /** Answers `/_mail` and `/_mail.json`; undefined for any other path. */
  public handle(request: Request): Response | undefined {
    const { pathname } = new URL(request.url);
    if (pathname !== MAIL_CATCHER_PATH && pathname !== `${MAIL_CATCHER_PATH}.json`) return undefined;
    const headers = {
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    };
    if (request.method !== 'GET') return new Response('method not allowed', { status: 405, headers });
    if (pathname.endsWith('.json')) {
      return Response.json({ messages: this.messages() }, { headers });
    }
    return new Response(this.page(), { headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } });
  }

  private page(): string {
    const items = this.messages().map((mail) => {
      const body = escapeHtml(mail.text).replace(
        /https?:\/\/[^\s<>"]+/g,
        (link) => `<a class="mail-link" href="${link}">${link}</a>`,
      );
      return `<article class="mail" data-to="${escapeHtml(mail.to)}">
  <h2>${escapeHtml(mail.subject)}</h2>
  <p>To <strong>${escapeHtml(mail.to)}</strong> · <time datetime="${mail.at}">${mail.at}</time></p>
  <pre>${body}</pre>
</article>`;
    });
    return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8" /><title>Mail catcher · local runtime</title>
<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem}article{border:1px solid #ccc;border-radius:6px;padding:0 1rem;margin:1rem 0}pre{white-space:pre-wrap}</style>
</head>
<body>
<h1>Mail catcher</h1>
<p>Mail the local runtime would have sent, newest first. Nothing here leaves this machine.</p>
${items.length === 0 ? '<p id="mail-empty">No mail yet.</p>' : items.join('\n')}
</body>
</html>`;
  }
}
