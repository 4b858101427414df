import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { contentKey, packageVersion } from './validation-cache/validation-cache';

/**
 * Files a Lambda bundle can read: the handlers (`lambda/` imports nothing
 * outside itself but packages), the lock file that fixes every package's
 * version, and the compiler settings esbuild reads.
 */
const BUNDLE_INPUTS = ['lambda', 'package-lock.json', 'package.json', 'tsconfig.json'];

/**
 * Files a synthesized template can depend on beyond the config: the app and
 * its constructs, the handlers they read contracts from, the packages and the
 * compiler and CDK settings.
 */
const APP_INPUTS = ['bin', 'lib', 'cdk.json'];

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
  return contentKey([
    'platform-function-bundle/1',
    packageVersion('esbuild'),
    packageVersion('aws-cdk-lib'),
    path.relative(projectRoot, entry),
    JSON.stringify(settings),
    filesDigest(projectRoot, BUNDLE_INPUTS),
  ]);
}

/**
 * Digest of every source file the app's templates can be made of: what a
 * bundle reads (lambda/, the package and compiler files) plus bin/, lib/ and
 * cdk.json. Computed once per process.
 */
export function appSourceDigest(projectRoot: string): string {
  return contentKey([filesDigest(projectRoot, BUNDLE_INPUTS), filesDigest(projectRoot, APP_INPUTS)]);
}

function filesDigest(projectRoot: string, inputs: readonly string[]): string {
  const id = JSON.stringify([projectRoot, inputs]);
  let digest = treeDigests.get(id);
  if (digest === undefined) {
    digest = contentKey(inputs.flatMap((input) => fileParts(projectRoot, input)));
    treeDigests.set(id, digest);
  }
  return digest;
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
