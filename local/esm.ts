/**
 * Loads an ES-module-only package (jose, openid-client, oidc-provider) from
 * CommonJS code that may be running under jest.
 *
 * Node >= 20.19 can `require()` an ES module, but jest replaces `require`
 * with its own module registry, which cannot. This goes through a real
 * CommonJS `Module` instead, so the same call works in `ts-node`, in jest
 * and in plain Node. Lambda bundles never need it: esbuild inlines the
 * package.
 */
import * as NodeModule from 'node:module';

export function loadEsm<T>(id: string): T {
  const { Module } = NodeModule as unknown as {
    Module: (new (id: string) => NodeJS.Module) & { _nodeModulePaths(dir: string): string[] };
  };
  const real = new Module(__filename);
  real.filename = __filename;
  real.paths = Module._nodeModulePaths(__dirname);
  return real.require(id) as T;
}
