import { randomBytes } from 'node:crypto';

/**
 * A table-name prefix no other test file or run will use, so tests can share
 * one DynamoDB Local without seeing each other's tables, e.g.
 * `it-webhooks-m3x9k2-5f1a2b3c-`. Only the characters DynamoDB allows in table
 * names are kept from `label`.
 */
export function uniqueTablePrefix(label = 'it'): string {
  const safeLabel = label.replace(/[^A-Za-z0-9_.-]/g, '-');
  return `${safeLabel}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}-`;
}
