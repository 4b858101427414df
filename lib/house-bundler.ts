import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';
import type { BundlingOptions } from 'aws-cdk-lib';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IConstruct } from 'constructs';
import { contentKey } from './validation-cache/validation-cache';
import type { ValidationCache } from './validation-cache/validation-cache';

/** The cache kind of Lambda bundles (beside lib/validation-cache's kinds, in the same directory). */
export const LAMBDA_BUNDLE_KIND = 'lambda-bundle';

/** `-c lambdaBundler=cdk` bundles through NodejsFunction's own `npx esbuild` (the reference the tests compare with). */
export const LAMBDA_BUNDLER_CONTEXT = 'lambdaBundler';

/** A house function's bundle, as PlatformFunction hands it to NodejsFunction. */
export interface HouseBundle {
  /** Absolute path of the handler's entry file. */
  readonly entry: string;
  /** Where esbuild runs (NodejsFunction's `projectRoot`). */
  readonly projectRoot: string;
  /** NodejsFunction's `bundling` as passed (its `assetHash` digests every input of the bundle). */
  readonly bundling: nodejs.BundlingOptions & { readonly assetHash: string };
}

interface Registered extends HouseBundle {
  readonly cache?: ValidationCache;
}

interface BundleFiles {
  /** Output file name (index.js, index.js.map) -> content. */
  readonly files: Record<string, string>;
}

/** House bundles by asset hash, registered just before their NodejsFunction is built. */
const registered = new Map<string, Registered>();
/** The bundle cache of each app (the validation cache's directory), set by buildPlatformApp. */
const caches = new WeakMap<IConstruct, ValidationCache>();

/**
 * Keeps this app's Lambda bundles in `cache` (kind `lambda-bundle`), keyed by
 * the function's asset hash and where the bundle is written relative to
 * the project (its source map names sources by that relative path).
 */
export function useLambdaBundleCache(app: IConstruct, cache: ValidationCache): void {
  caches.set(app.node.root, cache);
}

/**
 * Has the house function's bundle made in this process by esbuild's API
 * (one esbuild service for every function, where NodejsFunction starts
 * `npx esbuild` for each: about two seconds of start-up per function on a
 * loaded machine), and served from the bundle cache when the same bundle
 * was made before. Same options, same esbuild, so the same bytes as
 * NodejsFunction's own bundling (test/app/house-bundler.test.ts); the asset
 * hash is untouched, since NodejsFunction computes it before bundling.
 * A no-op with `-c lambdaBundler=cdk`, or when this aws-cdk-lib's
 * NodejsFunction cannot be hooked (then CDK bundles as before).
 */
export function registerHouseBundle(scope: IConstruct, bundle: HouseBundle): void {
  if (scope.node.tryGetContext(LAMBDA_BUNDLER_CONTEXT) === 'cdk' || !hookNodejsBundling()) {
    // An earlier app in this process may have registered the same bundle.
    registered.delete(bundle.bundling.assetHash);
    return;
  }
  registered.set(bundle.bundling.assetHash, { ...bundle, cache: caches.get(scope.node.root) });
}

let hooked: boolean | undefined;

/**
 * NodejsFunction asks its (internal) Bundling for a local bundler, which
 * runs `npx esbuild`; for a registered house bundle this answers with the
 * in-process one instead. Its JSON (part of the asset hash) stays `{}`.
 */
function hookNodejsBundling(): boolean {
  if (hooked !== undefined) return hooked;
  hooked = false;
  let Bundling: { prototype: Record<string, unknown> } | undefined;
  try {
    const root = path.dirname(require.resolve('aws-cdk-lib'));
    Bundling = (require(path.join(root, 'aws-lambda-nodejs', 'lib', 'bundling.js')) as { Bundling?: typeof Bundling })
      .Bundling;
  } catch {
    return false;
  }
  const original = Bundling?.prototype.getLocalBundlingProvider;
  if (typeof original !== 'function') return false;
  Bundling!.prototype.getLocalBundlingProvider = function houseLocalBundling(
    this: { props?: { assetHash?: string } },
    ...args: unknown[]
  ) {
    const fallback = (original as (...a: unknown[]) => NonNullable<BundlingOptions['local']>).apply(this, args);
    const house = this.props?.assetHash === undefined ? undefined : registered.get(this.props.assetHash);
    if (!house) return fallback;
    return { tryBundle: (outputDir: string) => houseBundle(house, outputDir) };
  };
  hooked = true;
  return true;
}

function houseBundle(house: Registered, outputDir: string): boolean {
  const key = contentKey([
    'house-bundle/1',
    house.bundling.assetHash,
    // The source map names each source relative to the bundle's directory.
    path.relative(outputDir, house.projectRoot),
  ]);
  const cached = house.cache?.get<BundleFiles>(LAMBDA_BUNDLE_KIND, key);
  const bundle = cached ?? build(house, outputDir);
  if (!cached) house.cache?.put(LAMBDA_BUNDLE_KIND, key, bundle);
  mkdirSync(outputDir, { recursive: true });
  for (const [name, text] of Object.entries(bundle.files)) writeFileSync(path.join(outputDir, name), text);
  return true;
}

function build(house: Registered, outputDir: string): BundleFiles {
  const result = buildSync({
    ...esbuildOptionsOf(house.bundling),
    entryPoints: [house.entry],
    outfile: path.join(outputDir, house.bundling.format === 'esm' ? 'index.mjs' : 'index.js'),
    absWorkingDir: house.projectRoot,
    write: false,
  });
  const files: Record<string, string> = {};
  for (const output of result.outputFiles) files[path.relative(outputDir, output.path)] = output.text;
  return { files };
}

/** NodejsFunction's bundling settings that a house function may use, and nothing else. */
const SUPPORTED = new Set([
  'minify',
  'sourceMap',
  'sourcesContent',
  'target',
  'format',
  'externalModules',
  'mainFields',
  'forceDockerBundling',
  'assetHash',
]);

/**
 * The esbuild API options for the command line NodejsFunction builds from
 * the same settings (`--bundle --platform=node --target= --format=
 * --minify --sourcemap --sources-content=false --external: --main-fields=`).
 * Any other setting throws, so a new one is translated before it is used.
 */
export function esbuildOptionsOf(bundling: nodejs.BundlingOptions): BuildOptions {
  const unsupported = Object.keys(bundling).filter((name) => !SUPPORTED.has(name));
  if (unsupported.length > 0) throw new Error(`house bundling does not translate ${unsupported.join(', ')}`);
  if (bundling.target === undefined || bundling.externalModules === undefined) {
    throw new Error('house bundling needs an explicit esbuild target and externalModules');
  }
  return {
    bundle: true,
    platform: 'node',
    target: bundling.target,
    ...(bundling.format === undefined ? {} : { format: bundling.format === 'esm' ? 'esm' : 'cjs' }),
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    ...(bundling.sourcesContent === false ? { sourcesContent: false } : {}),
    external: [...bundling.externalModules],
    ...(bundling.mainFields === undefined ? {} : { mainFields: [...bundling.mainFields] }),
  };
}
