import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { contentKey, packageVersion } from './validation-cache/validation-cache';

/**
 * Files a Lambda bundle can read: the handlers (`lambda/` imports nothing
 * outside itself but packages), the lock file that fixes every package's
 * version, and the compiler settings esbuild reads.
 */
const BUNDLE_INPUTS = ['lambda', 'package-lock.json', 'package.json', 'tsconfig.json'];

const treeDigests = new Map<string, string>();

/**
 * The asset hash of a house function's bundle, from everything the bundle is
 * made of: the entry, the bundling settings, the esbuild and aws-cdk-lib
 * versions and the content of every file it can read. CDK names the staged
 * asset by this hash and skips bundling when `cdk.out` already holds it, so
 * an unchanged function is bundled once, not on every synth; any change to a
 * handler, a package or a setting gives a new hash and a new bundle.
 */
export function bundleInputHash(projectRoot: string, entry: string, settings: unknown): string {
  let digest = treeDigests.get(projectRoot);
  if (digest === undefined) {
    digest = contentKey(BUNDLE_INPUTS.flatMap((input) => fileParts(projectRoot, input)));
    treeDigests.set(projectRoot, digest);
  }
  return contentKey([
    'platform-function-bundle/1',
    packageVersion('esbuild'),
    packageVersion('aws-cdk-lib'),
    path.relative(projectRoot, entry),
    JSON.stringify(settings),
    digest,
  ]);
}

/** Relative path and content of each file under `relative` (or the file itself), in sorted order. */
function fileParts(root: string, relative: string): string[] {
  const absolute = path.join(root, relative);
  let entries;
  try {
    entries = readdirSync(absolute, { withFileTypes: true });
  } catch {
    return [relative, readFileSync(absolute, 'utf8')];
  }
  return entries
    .map((entry) => entry.name)
    .sort()
    .flatMap((name) => fileParts(root, path.join(relative, name)));
}
