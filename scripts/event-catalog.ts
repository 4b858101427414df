/**
 * Writes what is generated from config/event-types.yaml: the catalog the
 * Lambda functions bundle (lambda/core/event-catalog.generated.json) and the
 * partners' reference, docs/event-catalog.md. `--check` writes nothing and
 * fails when a file is out of date.
 *
 *   npm run catalog            # regenerate
 *   npm run catalog -- --check # CI
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as prettier from 'prettier';
import { BUNDLED_CATALOG_FILE, bundledCatalogDocument } from '../lib/config/bundled-catalog';
import { ConfigError } from '../lib/config/config-error';
import { readEventCatalog } from '../lib/config/load-config';
import { currentEventCatalogDoc, EVENT_CATALOG_DOC } from './lib/event-catalog-doc';

const ROOT = path.resolve(__dirname, '..');

async function main(argv: readonly string[]): Promise<number> {
  const catalog = readEventCatalog(ROOT);
  const absolute = path.join(ROOT, BUNDLED_CATALOG_FILE);
  const docPath = path.join(ROOT, EVENT_CATALOG_DOC);
  const doc = currentEventCatalogDoc(ROOT);
  if (argv.includes('--check')) {
    const current = fs.existsSync(absolute) ? JSON.parse(fs.readFileSync(absolute, 'utf8')) : undefined;
    const stale = [
      ...(isDeepStrictEqual(current, bundledCatalogDocument(catalog)) ? [] : [BUNDLED_CATALOG_FILE]),
      ...(fs.existsSync(docPath) && fs.readFileSync(docPath, 'utf8') === doc ? [] : [EVENT_CATALOG_DOC]),
    ];
    for (const file of stale) process.stderr.write(`${file} is out of date: run \`npm run catalog\`\n`);
    return stale.length === 0 ? 0 : 1;
  }
  // Formatted as the repository's prettier config wants it, so `npm run lint` passes on the file.
  const options = (await prettier.resolveConfig(absolute)) ?? {};
  const text = JSON.stringify(bundledCatalogDocument(catalog));
  fs.writeFileSync(absolute, await prettier.format(text, { ...options, parser: 'json' }));
  // Written as rendered (prettier ignores it), so the test can compare the text exactly.
  fs.writeFileSync(docPath, doc);
  process.stdout.write(`wrote ${BUNDLED_CATALOG_FILE}\nwrote ${EVENT_CATALOG_DOC}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof ConfigError ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
