/**
 * Writes docs/openapi.json from the route table (lambda/api/routes.ts).
 * `--check` writes nothing and fails when the file is out of date.
 *
 *   npm run openapi            # regenerate
 *   npm run openapi -- --check # CI
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as prettier from 'prettier';
import { buildOpenApiDocument } from '../lambda/api/openapi';

export const OPENAPI_PATH = path.resolve(__dirname, '..', 'docs', 'openapi.json');

async function main(argv: readonly string[]): Promise<number> {
  const document = buildOpenApiDocument();
  if (argv.includes('--check')) {
    const current = fs.existsSync(OPENAPI_PATH) ? JSON.parse(fs.readFileSync(OPENAPI_PATH, 'utf8')) : undefined;
    if (isDeepStrictEqual(current, document)) return 0;
    process.stderr.write('docs/openapi.json is out of date: run `npm run openapi`\n');
    return 1;
  }
  fs.mkdirSync(path.dirname(OPENAPI_PATH), { recursive: true });
  // Formatted as the repository's prettier config wants it, so `npm run lint` passes on the file.
  const options = (await prettier.resolveConfig(OPENAPI_PATH)) ?? {};
  fs.writeFileSync(OPENAPI_PATH, await prettier.format(JSON.stringify(document), { ...options, parser: 'json' }));
  process.stdout.write(`wrote ${path.relative(process.cwd(), OPENAPI_PATH)}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
