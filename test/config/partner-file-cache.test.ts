import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../lib/config/config-error';
import { loadConfig } from '../../lib/config/load-config';
import { PARTNER_FILE_KIND, PartnerFileCache } from '../../lib/config/partner-file-cache';
import { ValidationCache } from '../../lib/validation-cache/validation-cache';
import { makeWorkspace, partnerDocument } from '../support/workspace';

/** The config as JSON (what every consumer keys and renders by), or the error's lines. */
function load(rootDir: string, partnerCache?: PartnerFileCache): string {
  try {
    return JSON.stringify(loadConfig({ rootDir, environment: 'dev', partnerCache }));
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
}

const good = (orgId: string, url = `https://${orgId}.example/hooks`) =>
  partnerDocument({ orgId, webhooks: [{ id: 'primary', url, events: ['LockCreated'] }] });

describe('partner file cache', () => {
  const newCache = () => new ValidationCache(mkdtempSync(path.join(tmpdir(), 'pp-partner-cache-')));

  it('loads the same config as without it, cold and warm, and parses only a changed file again', () => {
    const root = makeWorkspace({
      partners: Object.fromEntries(['acme-corp', 'globex', 'initech'].map((orgId) => [`${orgId}.yaml`, good(orgId)])),
    });
    const store = newCache();
    const cache = new PartnerFileCache(store, 'sources-1');
    const reference = load(root);
    expect(reference).toContain('"orgId":"globex"');
    expect(load(root, cache)).toBe(reference);
    expect(load(root, cache)).toBe(reference);
    expect(store.stats[PARTNER_FILE_KIND]).toEqual({ hits: 3, misses: 3 });

    writeFileSync(
      path.join(root, 'partners', 'globex.yaml'),
      JSON.stringify(good('globex', 'https://globex.example/v2')),
    );
    const changed = load(root, cache);
    expect(changed).toBe(load(root));
    expect(changed).toContain('https://globex.example/v2');
    expect(store.stats[PARTNER_FILE_KIND]).toEqual({ hits: 5, misses: 4 });

    // Other parsing code (another source digest) parses every file again.
    expect(load(root, new PartnerFileCache(store, 'sources-2'))).toBe(changed);
    expect(store.stats[PARTNER_FILE_KIND]).toEqual({ hits: 5, misses: 7 });
  });

  it('reports the same problems as without it, from the cache too', () => {
    const root = makeWorkspace({
      partners: {
        'acme-corp.yaml': good('acme-corp'),
        'globex.yaml': { ...good('globex'), ownerEmail: 'not an address' },
        'mismatch.yaml': good('initech'),
        'twice.yaml': good('acme-corp'),
      },
    });
    writeFileSync(path.join(root, 'partners', 'broken.yaml'), 'orgId: [unclosed\n');
    const reference = load(root);
    expect(reference.split('\n').length).toBeGreaterThan(4);
    const cache = new PartnerFileCache(newCache(), 'sources-1');
    expect(load(root, cache)).toBe(reference);
    expect(load(root, cache)).toBe(reference);
  });

  it('parses again when the schema is made differently (the event types, HTTP allowed)', () => {
    const store = newCache();
    const cache = new PartnerFileCache(store, 'sources-1');
    const parsed = { problems: [], orgId: 'acme-corp' };
    cache.parse('partners/acme-corp.yaml', 'text', { eventTypes: ['A'], allowHttp: false }, () => parsed);
    const again = jest.fn(() => parsed);
    cache.parse('partners/acme-corp.yaml', 'text', { eventTypes: ['A'], allowHttp: true }, again);
    cache.parse('partners/acme-corp.yaml', 'text', { eventTypes: ['A', 'B'], allowHttp: false }, again);
    cache.parse('partners/acme-corp.yaml', 'text', { eventTypes: ['A'], allowHttp: false }, again);
    expect(again).toHaveBeenCalledTimes(2);
  });
});
