/**
 * The local runtime's mail catcher: keeps what the portal sends (newest
 * first, at most 200), serves it as a page with the links clickable and as
 * JSON, escapes what a message says, and answers nothing but GET.
 */
import { MAIL_CATCHER_PATH, MailCatcher, linksIn } from '../../local/mail-catcher';

const BASE = 'http://127.0.0.1:4002';
const get = (catcher: MailCatcher, path: string, method = 'GET') =>
  catcher.handle(new Request(`${BASE}${path}`, { method }));

describe('MailCatcher', () => {
  it('lists the messages newest first, as JSON and as a page with clickable links', async () => {
    const seen: string[] = [];
    const catcher = new MailCatcher({
      now: () => new Date('2026-12-07T12:00:00.000Z'),
      onMail: (m) => seen.push(m.to),
    });
    await catcher.send({ to: 'a@example.com', subject: 'First', text: `Open ${BASE}/invitations/abc now` });
    await catcher.send({ to: 'b@example.com', subject: 'Second', text: 'No link' });
    expect(seen).toEqual(['a@example.com', 'b@example.com']);
    const json = (await get(catcher, `${MAIL_CATCHER_PATH}.json`)!.json()) as { messages: { to: string }[] };
    expect(json.messages.map((m) => m.to)).toEqual(['b@example.com', 'a@example.com']);
    const page = await get(catcher, MAIL_CATCHER_PATH)!.text();
    expect(page.indexOf('Second')).toBeLessThan(page.indexOf('First'));
    expect(page).toContain(`<a class="mail-link" href="${BASE}/invitations/abc">`);
  });

  it('escapes markup in a message', async () => {
    const catcher = new MailCatcher();
    await catcher.send({ to: '"x"@example.com', subject: '<script>alert(1)</script>', text: '<b>bold</b>' });
    const page = await get(catcher, MAIL_CATCHER_PATH)!.text();
    expect(page).not.toContain('<script>alert');
    expect(page).toContain('&lt;b&gt;bold&lt;/b&gt;');
    expect(page).toContain('data-to="&quot;x&quot;@example.com"');
  });

  it('keeps the last 200 messages', async () => {
    const catcher = new MailCatcher();
    for (let n = 0; n < 205; n += 1) await catcher.send({ to: `u${n}@example.com`, subject: 's', text: 't' });
    const messages = catcher.messages();
    expect(messages).toHaveLength(200);
    expect(messages[0].to).toBe('u204@example.com');
    expect(messages[199].to).toBe('u5@example.com');
  });

  it('answers only its own paths, and only GET', () => {
    const catcher = new MailCatcher();
    expect(get(catcher, '/team')).toBeUndefined();
    expect(get(catcher, `${MAIL_CATCHER_PATH}/x`)).toBeUndefined();
    expect(get(catcher, MAIL_CATCHER_PATH, 'POST')!.status).toBe(405);
  });

  it('finds the links in a text', () => {
    expect(linksIn(`a ${BASE}/x b https://portal.example.com/invitations/t\nc`)).toEqual([
      `${BASE}/x`,
      'https://portal.example.com/invitations/t',
    ]);
  });
});
