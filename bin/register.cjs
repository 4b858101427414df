/**
 * Runs the CDK app's TypeScript on Node without type checking, as ts-node's
 * transpile-only mode did, but through esbuild (already here for the Lambda
 * bundles): each file is transformed in about a millisecond, where ts-node
 * first loads the TypeScript compiler (seconds of every synth). Settings come
 * from tsconfig.json; inline source maps keep stack traces on the .ts lines.
 * Type checking stays with `npx tsc --noEmit` (npm test, CI).
 */
'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');
const { transformSync } = require('esbuild');

const tsconfig = JSON.parse(readFileSync(path.join(__dirname, '..', 'tsconfig.json'), 'utf8'));
const { target, experimentalDecorators, useDefineForClassFields } = tsconfig.compilerOptions;

process.setSourceMapsEnabled(true);
require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: target.toLowerCase(),
    sourcemap: 'inline',
    sourcefile: filename,
    tsconfigRaw: { compilerOptions: { experimentalDecorators, useDefineForClassFields } },
  });
  module._compile(code, filename);
};
require('../scripts/preload.ts');
