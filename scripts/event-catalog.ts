/**
 * Writes what is generated from config/event-types.yaml: the catalog the
 * Lambda functions bundle (lambda/core/event-catalog.generated.json). `--check` writes
 * nothing and fails when a file is out of date.
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

const ROOT = path.resolve(__dirname, '..');

async function main(argv: readonly string[]): Promise<number> {
  const catalog = readEventCatalog(ROOT);
  const absolute = path.join(ROOT, BUNDLED_CATALOG_FILE);
  if (argv.includes('--check')) {
    const current = fs.existsSync(absolute) ? JSON.parse(fs.readFileSync(absolute, 'utf8')) : undefined;
    if (isDeepStrictEqual(current, bundledCatalogDocument(catalog))) return 0;
    process.stderr.write(`${BUNDLED_CATALOG_FILE} is out of date: run \`npm run catalog\`\n`);
    return 1;
  }
  // Formatted as the repository's prettier config wants it, so `npm run lint` passes on the file.
  const options = (await prettier.resolveConfig(absolute)) ?? {};
  const text = JSON.stringify(bundledCatalogDocument(catalog));
  fs.writeFileSync(absolute, await prettier.format(text, { ...options, parser: 'json' }));
  process.stdout.write(`wrote ${BUNDLED_CATALOG_FILE}\n`);
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
