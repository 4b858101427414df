/**
 * config/event-types.yaml: the catalog the product documents name, checked
 * once by the loader (shape, detail-type rules, schemas compile, examples
 * validate), reported once, and never cascading into partner files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse, stringify } from 'yaml';
import { EventCatalog, UnknownEventTypeError, webhookEventPattern } from '../../lambda/core/event-catalog';
import { EventValidator } from '../../lambda/core/event-validation';
import { PLATFORM_EVENT_CATALOG } from '../../lambda/core/platform-event-catalog';
import { BUNDLED_CATALOG_FILE, bundledCatalogDocument, staleBundledCatalog } from '../../lib/config/bundled-catalog';
import { ConfigError } from '../../lib/config/config-error';
import { loadConfig, readEventCatalog } from '../../lib/config/load-config';
import { currentEventCatalogDoc, EVENT_CATALOG_DOC } from '../../scripts/lib/event-catalog-doc';
import { makeWorkspace, partnerDocument, REPO_ROOT } from '../support/workspace';

const catalog = readEventCatalog(REPO_ROOT);
const rawCatalog = () => parse(readFileSync(path.join(REPO_ROOT, 'config', 'event-types.yaml'), 'utf8'));

/** Every line of the ConfigError for a workspace whose catalog is edited by `edit`. */
function problemsWithCatalog(
  edit: (doc: any) => void,
  partners: Record<string, Record<string, unknown>> = {},
): string[] {
  const root = makeWorkspace({ partners });
  const doc = rawCatalog();
  edit(doc);
  writeFileSync(path.join(root, 'config', 'event-types.yaml'), stringify(doc));
  try {
    loadConfig({ rootDir: root });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.file}: ${p.field}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('the event catalog', () => {
  it('holds every type the product documents name, each from its own source', () => {
    const bySource = (source: string) => catalog.types.filter((t) => t.source === source).map((t) => t.name);
    expect(bySource('spk.api')).toEqual(
      expect.arrayContaining(['LockCreated', 'OwnerSet', 'KeyAdded', 'KeyRemoved', 'ResidentAdded', 'ResidentRemoved']),
    );
    // One concrete member at least for each family the documents mention.
    for (const family of [/^User/, /^Hub/, /^Camera/, /^TempKey/, /^Matter/]) {
      expect(bySource('spk.api').some((name) => family.test(name))).toBe(true);
    }
    expect(bySource('spk.iot.shadow')).toEqual(['Shadow Update']);
    // The platform's own notice to an org (endpoint health), on the platform bus like the rest.
    expect(bySource('partner-platform')).toEqual(['partner-platform.webhook.disabled']);
    expect(new Set(catalog.types.map((t) => t.source))).toEqual(
      new Set(['spk.api', 'spk.iot.shadow', 'partner-platform']),
    );
  });

  it('gives every type a detail schema requiring partnerId, and an example that validates', () => {
    const validator = new EventValidator(catalog);
    for (const type of catalog.types) {
      expect(type.schema.required).toContain('partnerId');
      expect(validator.problems({ source: type.source, detailType: type.name, detail: type.example })).toEqual([]);
      const { partnerId: _partnerId, ...withoutPartner } = type.example;
      expect(validator.problems({ source: type.source, detailType: type.name, detail: withoutPartner })).toEqual([
        { field: 'detail.partnerId', message: "must have required property 'partnerId'" },
      ]);
    }
  });

  it('lets partner files subscribe to the documented names, "Shadow Update" included', () => {
    const partners = {
      'acme-corp.yaml': partnerDocument({
        orgId: 'acme-corp',
        webhooks: [
          { id: 'owners', events: ['OwnerSet'] },
          { id: 'residents', events: ['ResidentAdded', 'ResidentRemoved'] },
          { id: 'shadow', events: ['Shadow Update'] },
        ],
      }),
    };
    const config = loadConfig({ rootDir: makeWorkspace({ partners }) });
    expect(config.partners[0].webhooks.map((w) => w.events)).toEqual([
      ['OwnerSet'],
      ['ResidentAdded', 'ResidentRemoved'],
      ['Shadow Update'],
    ]);
  });

  type Edit = [why: string, edit: (doc: any) => void, expected: RegExp];
  const edits: Edit[] = [
    [
      'a detail-type with "*"',
      (doc) => (doc.eventTypes[0].name = 'Lock*'),
      /eventTypes\[0\]\.name: must not contain "\*"/,
    ],
    [
      'a detail-type over 128 characters',
      (doc) => (doc.eventTypes[0].name = 'L'.repeat(129)),
      /eventTypes\[0\]\.name: must be at most 128 characters/,
    ],
    [
      'a detail-type with a control character',
      (doc) => (doc.eventTypes[0].name = 'Lock\tCreated'),
      /eventTypes\[0\]\.name: must hold printable ASCII/,
    ],
    [
      'a detail-type with a trailing space',
      (doc) => (doc.eventTypes[0].name = 'LockCreated '),
      /eventTypes\[0\]\.name: must not start or end with a space/,
    ],
    [
      'the same detail-type twice',
      (doc) => (doc.eventTypes[1].name = doc.eventTypes[0].name),
      /eventTypes\[1\]\.name: "LockCreated" is already eventTypes\[0\]/,
    ],
    ['a source of AWS', (doc) => (doc.eventTypes[0].source = 'aws.s3'), /eventTypes\[0\]\.source: must not start/],
    ['a missing source', (doc) => delete doc.eventTypes[0].source, /eventTypes\[0\]\.source: is required/],
    [
      'a schema that does not require partnerId',
      (doc) => (doc.eventTypes[0].schema.required = ['lockId']),
      /eventTypes\[0\]\.schema\.required: must require partnerId/,
    ],
    [
      'a schema that does not compile',
      (doc) => (doc.eventTypes[0].schema.properties.lockId = { type: 'strng' }),
      /eventTypes\[0\]\.schema: LockCreated: the JSON Schema does not compile: .*type/,
    ],
    [
      'a schema keyword misspelt (strict mode)',
      (doc) => (doc.eventTypes[0].schema.properties.lockId = { type: 'string', minLenght: 1 }),
      /eventTypes\[0\]\.schema: LockCreated: the JSON Schema does not compile: strict mode: unknown keyword: "minLenght"/,
    ],
    [
      'an example that breaks its schema',
      (doc) => (doc.eventTypes[0].example.occurredAt = 'yesterday'),
      /eventTypes\[0\]\.example: LockCreated: does not validate against its schema: detail\.occurredAt: must match format "date-time"/,
    ],
  ];

  it.each(edits)('reports %s once, in the catalog, and not in partner files', (_why, edit, expected) => {
    const partners = {
      'acme-corp.yaml': partnerDocument({ orgId: 'acme-corp', webhooks: [{ id: 'a', events: ['KeyAdded'] }] }),
      'globex.yaml': partnerDocument({ orgId: 'globex', webhooks: [{ id: 'a', events: ['Shadow Update'] }] }),
    };
    const problems = problemsWithCatalog(edit, partners);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^config\/event-types\.yaml: /);
    expect(problems[0]).toMatch(expected);
  });

  it('accepts a detail-type with spaces and punctuation that is not PascalCase', () => {
    expect(problemsWithCatalog((doc) => (doc.eventTypes[0].name = 'lock created (v2)'))).toEqual([]);
  });

  it('is bundled for the Lambda functions exactly as configured (run `npm run catalog`)', () => {
    expect(staleBundledCatalog(catalog)).toBeUndefined();
    expect(PLATFORM_EVENT_CATALOG.types.map((t) => t.name)).toEqual(catalog.types.map((t) => t.name));
    const committed = JSON.parse(readFileSync(path.join(REPO_ROOT, BUNDLED_CATALOG_FILE), 'utf8'));
    expect(committed).toEqual(bundledCatalogDocument(catalog));
  });

  it('is documented for partners in docs/event-catalog.md exactly as configured (run `npm run catalog`)', () => {
    const committed = readFileSync(path.join(REPO_ROOT, EVENT_CATALOG_DOC), 'utf8');
    expect(committed).toBe(currentEventCatalogDoc(REPO_ROOT));
    for (const type of catalog.types) expect(committed).toContain(`### ${type.name}\n\nSource \`${type.source}\``);
    expect(committed).toContain('x-partner-platform-secret');
  });

  it('renders a different document when the catalog changes, so the docs test fails until it is regenerated', () => {
    const root = makeWorkspace();
    const doc = rawCatalog();
    doc.eventTypes[0].example.name = 'Back door';
    writeFileSync(path.join(root, 'config', 'event-types.yaml'), stringify(doc));
    const changed = currentEventCatalogDoc(root);
    expect(changed).not.toBe(readFileSync(path.join(REPO_ROOT, EVENT_CATALOG_DOC), 'utf8'));
    expect(changed).toContain('"name": "Back door"');
  });

  it('says the bundled copy is stale when the catalog changes', () => {
    const changed: EventCatalog = {
      types: [{ ...catalog.types[0], description: 'changed' }, ...catalog.types.slice(1)],
    };
    expect(staleBundledCatalog(changed)).toEqual({
      file: 'lambda/core/event-catalog.generated.json',
      field: '(file)',
      message: expect.stringContaining('npm run catalog'),
    });
  });
});

describe('webhookEventPattern', () => {
  it('matches types of one source with a plain pattern, in catalog order', () => {
    expect(webhookEventPattern('acme-corp', ['KeyAdded', 'LockCreated'], catalog)).toEqual({
      source: ['spk.api'],
      'detail-type': ['LockCreated', 'KeyAdded'],
      detail: { partnerId: ['acme-corp'] },
    });
    expect(webhookEventPattern('acme-corp', ['Shadow Update'], catalog)).toEqual({
      source: ['spk.iot.shadow'],
      'detail-type': ['Shadow Update'],
      detail: { partnerId: ['acme-corp'] },
    });
  });

  it('pairs each type with its own source through $or when the types span sources', () => {
    expect(webhookEventPattern('acme-corp', ['Shadow Update', 'HubOnline'], catalog)).toEqual({
      $or: [
        { source: ['spk.api'], 'detail-type': ['HubOnline'] },
        { source: ['spk.iot.shadow'], 'detail-type': ['Shadow Update'] },
      ],
      detail: { partnerId: ['acme-corp'] },
    });
  });

  it('spells "*" out as every catalog type from its own source', () => {
    const pattern = webhookEventPattern('acme-corp', ['*'], catalog) as { $or: Array<Record<string, string[]>> };
    // One branch per source, in source order: every type once.
    expect(pattern.$or.flatMap((branch) => branch['detail-type']).sort()).toEqual(
      catalog.types.map((t) => t.name).sort(),
    );
    expect(pattern).toEqual(
      webhookEventPattern(
        'acme-corp',
        catalog.types.map((t) => t.name),
        catalog,
      ),
    );
  });

  it('refuses a type the catalog does not hold', () => {
    expect(() => webhookEventPattern('acme-corp', ['LockDeleted'], catalog)).toThrow(UnknownEventTypeError);
    expect(() => webhookEventPattern('acme-corp', ['LockDeleted'], catalog)).toThrow(
      /unknown event type "LockDeleted"/,
    );
  });
});
