/**
 * Reading what tests need from server-rendered portal pages: the CSRF token
 * of a form and the member id a Team page row's forms carry.
 */

/** The CSRF token in a page's forms. */
export function csrfOf(page: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(page)?.[1];
  if (token === undefined) throw new Error('no CSRF token on the page');
  return token;
}

/** The member id of a Team page row (the hidden field of its forms). */
export function memberIdOn(page: string, email: string): string {
  const row = new RegExp(`<tr class="member" data-email="${email}">[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';
  const id = /name="member" value="([0-9a-f]{64})"/.exec(row)?.[1];
  if (id === undefined) throw new Error(`no member form for ${email}`);
  return id;
}
