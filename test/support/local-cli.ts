/**
 * `npm run local` as package.json runs it: the CLI on this Node through the
 * repository's esbuild loader (bin/register.cjs, which the CDK app runs under
 * too). A spawn costs about 1 s of CPU, where ts-node's transpile-only mode
 * took 5 s to load the TypeScript compiler and transform every file.
 */
import * as path from 'node:path';
import { REPO_ROOT } from './workspace';

/** The package.json script, checked by test/local/cli.test.ts so the two cannot drift apart. */
export const LOCAL_SCRIPT = 'node -r ./bin/register.cjs local/cli.ts';

/** The executable and the arguments before the CLI's own (no npx, so a test can narrow PATH). */
export const LOCAL_CLI: readonly [string, ...string[]] = [
  process.execPath,
  '-r',
  path.join(REPO_ROOT, 'bin', 'register.cjs'),
  path.join(REPO_ROOT, 'local', 'cli.ts'),
];
