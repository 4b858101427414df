/**
 * `npm run local -- --forward ORG/WEBHOOK=URL` (repeatable), the way
 * `stripe listen --forward-to` works: the challenge and every delivery of a
 * partner file's webhook go to a receiver of yours on this machine instead
 * of the configured URL. Only loopback targets are accepted, so the
 * webhook's secret header never leaves the machine through a forward.
 *
 * A webhook made through the local API or portal needs no forward: it may
 * point at loopback itself (the local runtime's URL policy).
 */

export interface DeclaredWebhook {
  readonly orgId: string;
  readonly id: string;
  readonly url: string;
}

/** A `--forward` value the user must fix; the message says how. */
export class ForwardOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ForwardOptionError';
  }
}

const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Parses each `ORG/WEBHOOK=URL`; returns configured URL -> local URL, for the runtime's `urlOverrides`. */
export function forwardOverrides(
  values: readonly string[],
  declared: readonly DeclaredWebhook[],
): Record<string, string> {
  const overrides: Record<string, string> = {};
  for (const value of values) {
    const match = /^([^/=\s]+)\/([^=\s]+)=(.+)$/.exec(value);
    if (!match)
      throw new ForwardOptionError(
        `--forward ${value}: expected ORG/WEBHOOK=URL, e.g. acme-corp/primary=http://localhost:3000/hook`,
      );
    const [, orgId, webhookId, target] = match;
    const webhook = declared.find((candidate) => candidate.orgId === orgId && candidate.id === webhookId);
    if (webhook === undefined) {
      const known = declared.map((candidate) => `${candidate.orgId}/${candidate.id}`).join(', ') || 'none';
      throw new ForwardOptionError(
        `--forward ${value}: no partner file declares webhook ${orgId}/${webhookId} (declared: ${known}); ` +
          'a webhook made through the local API or portal can point at http://localhost:PORT itself',
      );
    }
    overrides[webhook.url] = loopbackUrl(value, target);
  }
  return overrides;
}

function loopbackUrl(value: string, target: string): string {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new ForwardOptionError(`--forward ${value}: ${target} is not a URL`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !LOOPBACK_HOST.test(url.hostname)) {
    throw new ForwardOptionError(
      `--forward ${value}: forward to a receiver on this machine (http://localhost:PORT/path or 127.0.0.1), not ${url.host}`,
    );
  }
  return url.toString();
}
