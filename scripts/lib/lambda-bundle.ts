/**
 * Bundles a handler as lib/platform-function.ts does for deploys (esbuild,
 * minified, Node 22, CommonJS, `@aws-sdk/*` external because the Lambda
 * runtime provides it), for bench:keys and the authorizer's size budget test.
 * Keep the options in step with PlatformFunction's `bundling`.
 */
import * as path from 'node:path';
import { buildSync, type Metafile } from 'esbuild';
import { mainFieldsFor } from '../../lib/lambda-bundling';

export interface LambdaBundle {
  readonly bytes: number;
  /** The packages (or `lambda/<dir>` source folders) in the bundle, with their bytes in it. */
  readonly inputs: ReadonlyMap<string, number>;
  /** Modules left to the runtime (`@aws-sdk/*`, `node:*`), loaded at module init all the same. */
  readonly externals: readonly string[];
}

/**
 * Bundles `lambda/<handler>/index.ts` under `sourceRoot` (this checkout by
 * default) into `outfile` and says what went in.
 */
export function bundleLambda(
  handler: string,
  outfile: string,
  sourceRoot = path.join(__dirname, '..', '..'),
): LambdaBundle {
  const mainFields = mainFieldsFor(handler);
  const result = buildSync({
    entryPoints: [path.join(sourceRoot, 'lambda', handler, 'index.ts')],
    // Packages resolve from this checkout, also for a `sourceRoot` holding other sources (bench:keys' baseline).
    nodePaths: [path.join(__dirname, '..', '..', 'node_modules')],
    ...(mainFields === undefined ? {} : { mainFields }),
    outfile,
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = Object.values((result.metafile as Metafile).outputs).filter((o) => o.entryPoint !== undefined);
  const inputs = new Map<string, number>();
  for (const [file, input] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1] ?? file.split('/').slice(0, 2).join('/');
    inputs.set(pkg, (inputs.get(pkg) ?? 0) + input.bytesInOutput);
  }
  const externals = [...new Set(output.imports.filter((i) => i.external).map((i) => i.path))].sort();
  return { bytes: output.bytes, inputs, externals };
}
