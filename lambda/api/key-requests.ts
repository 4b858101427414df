/**
 * A request for a new key, as the admin and partner APIs take it (name,
 * environment, expiry choice, or the admin API's documented `expiresAt`),
 * turned into what the repository's `issue` takes. One mapping for both
 * doors, so they cannot read the same body differently.
 */
import type { KeyEnvironment, KeyExpiryChoice, KeyLabels, KeyValidity } from '../core/api-keys';
import { validityOfChoice } from '../core/api-keys';

export interface NewKeyBody {
  readonly name?: string;
  readonly environment?: KeyEnvironment;
  readonly expiry?: KeyExpiryChoice;
  readonly expiresAt?: string;
}

export function newKeyRequest(body: NewKeyBody | undefined): KeyLabels & KeyValidity {
  const labels: KeyLabels = {
    ...(body?.name === undefined ? {} : { name: body.name.trim() }),
    ...(body?.environment === undefined ? {} : { environment: body.environment }),
  };
  if (body?.expiresAt !== undefined) return { ...labels, expiresAt: new Date(body.expiresAt).toISOString() };
  return body?.expiry === undefined ? labels : { ...labels, ...validityOfChoice(body.expiry) };
}
