/**
 * esbuild's `mainFields` per handler, shared by PlatformFunction (deploys)
 * and scripts/lib/lambda-bundle.ts (bench:keys, the authorizer's budget
 * test), so both bundle a handler alike. No CDK imports.
 *
 * The authorizer takes its packages' ES module builds first:
 * `@smithy/signature-v4`'s CommonJS build `require`s `@smithy/core`'s
 * submodules whole (about 130 KB that esbuild cannot tree-shake through a
 * `require`), its ES build imports the 15 KB it uses. The other handlers keep
 * esbuild's default for Node (main, then module): their bundles are not on
 * every request, and a change of build would want their own tests bundled.
 */
const MODULE_FIRST = ['module', 'main'];

/** The `mainFields` to bundle `lambda/<handler>` with; undefined for esbuild's default. */
export function mainFieldsFor(handler: string): string[] | undefined {
  return handler === 'authorizer' ? [...MODULE_FIRST] : undefined;
}
