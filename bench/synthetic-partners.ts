/**
 * Deterministic synthetic partners for the synth benchmark and the scale
 * tests. Partner `i` is the same whatever N is (the first 100 of 1,000 are
 * the 100 of the smaller run), so results are comparable across sizes.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { ALL_EVENTS } from '../lambda/core/event-catalog';
import { readEventCatalog } from '../lib/config/load-config';

export interface SyntheticWebhook {
  readonly id: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly rateLimitPerSecond: number;
}

export interface SyntheticPartner {
  readonly orgId: string;
  readonly orgName: string;
  readonly ownerEmail: string;
  readonly webhooks: readonly SyntheticWebhook[];
}

const REPO_ROOT = path.resolve(__dirname, '..');
const WORDS = ['acme', 'globex', 'initech', 'umbrella', 'stark', 'wayne', 'tyrell', 'cyberdyne', 'hooli', 'vandelay'];
const WEBHOOK_IDS = ['primary', 'security', 'devices'];
const RATES = [1, 5, 10, 10, 10, 20, 50, 300];

/** The detail-types of config/event-types.yaml (read by the config loader), so generated partners validate. */
export function repositoryEventTypes(rootDir = REPO_ROOT): string[] {
  return readEventCatalog(rootDir).types.map((type) => type.name);
}

/** A small, well-mixed 32-bit hash (splitmix-style), so partner `i` never depends on N. */
function random(i: number, salt: number): number {
  let x = (Math.imul(i + 1, 0x9e3779b1) ^ Math.imul(salt + 1, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 2 ** 32;
}

function pick<T>(items: readonly T[], i: number, salt: number): T {
  return items[Math.floor(random(i, salt) * items.length)];
}

/**
 * orgIds of 2 to 63 characters (the schema's whole range), unique because
 * each carries its index in base 36.
 */
function orgIdOf(i: number): string {
  const code = i.toString(36);
  const roll = random(i, 1);
  // Mostly 8-24 characters, with short and maximum-length ids mixed in.
  const length = roll < 0.05 ? Math.max(2, code.length) : roll < 0.1 ? 63 : 8 + Math.floor(random(i, 2) * 17);
  if (length <= code.length + 1) return code.padStart(Math.max(2, length), '0');
  let stem = '';
  for (let salt = 3; stem.length < length - code.length - 1; salt++) {
    stem += `${stem ? '-' : ''}${pick(WORDS, i, salt)}`;
  }
  stem = stem.slice(0, length - code.length - 1).replace(/-+$/, '');
  return `${stem}-${code}`;
}

/**
 * About 18% of partners have no webhook yet (API only), most have one, some
 * two or three; for N partners there are about 0.95 N webhooks, so 3,000
 * partners stay inside the default 3,000 API destinations per account.
 */
function webhookCountOf(i: number): number {
  const roll = random(i, 10);
  return roll < 0.18 ? 0 : roll < 0.9 ? 1 : roll < 0.97 ? 2 : 3;
}

export function syntheticPartner(i: number, eventTypes: readonly string[]): SyntheticPartner {
  const orgId = orgIdOf(i);
  const webhooks = WEBHOOK_IDS.slice(0, webhookCountOf(i)).map((id, w): SyntheticWebhook => {
    const all = random(i, 20 + w) < 0.4;
    const count = 1 + Math.floor(random(i, 30 + w) * Math.min(5, eventTypes.length));
    const start = Math.floor(random(i, 40 + w) * eventTypes.length);
    const events = all
      ? [ALL_EVENTS]
      : Array.from({ length: count }, (_, k) => eventTypes[(start + k) % eventTypes.length]);
    return {
      id,
      url: `https://${orgId}.partners.example/hooks/${id}`,
      events,
      rateLimitPerSecond: pick(RATES, i, 50 + w),
    };
  });
  return { orgId, orgName: `Synthetic partner ${i}`, ownerEmail: `owner@${orgId}.example`, webhooks };
}

export function syntheticPartners(
  count: number,
  eventTypes: readonly string[] = repositoryEventTypes(),
): SyntheticPartner[] {
  return Array.from({ length: count }, (_, i) => syntheticPartner(i, eventTypes));
}

/** Writes `<orgId>.yaml` per partner into `dir` (created if missing). */
export function writePartnerFiles(dir: string, partners: readonly SyntheticPartner[]): void {
  mkdirSync(dir, { recursive: true });
  for (const partner of partners) {
    writeFileSync(path.join(dir, `${partner.orgId}.yaml`), stringify(partner));
  }
}

/** A fresh temp directory holding the first `count` synthetic partners as YAML files. */
export function syntheticPartnersDir(count: number, prefix = 'pp-partners-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  writePartnerFiles(dir, syntheticPartners(count));
  return dir;
}
