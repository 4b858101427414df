/**
 * The App for tests (and the benchmarks' fixtures) that build stacks only to
 * read their templates. Two things `cdk synth` does are left out because no
 * assertion reads them and each costs seconds per test file:
 *
 * - Lambda bundling (`aws:cdk:bundling-stacks` empty): the house functions'
 *   asset hash is computed from their inputs (lib/bundle-input-hash.ts), so
 *   the templates are byte for byte the ones a bundling synth writes.
 * - CDK's built-in CloudFormation validation. In this app it only warns: its
 *   errors are downgraded to warnings unless the
 *   `@aws-cdk/core:validateAgainstDefaultRules` flag is set (it is not), so
 *   it can fail no test, yet it starts a WebAssembly engine in every jest
 *   worker's module registry (about 5 s of CPU per file) and validates each
 *   template again. test/app/synth.test.ts keeps it as a real check: the
 *   example app's templates must have no finding at all, and the real
 *   `cdk synth` there runs it as users do.
 */
import { App, AppProps } from 'aws-cdk-lib';
import { BUNDLING_STACKS } from 'aws-cdk-lib/cx-api';

export function templateApp(props: AppProps = {}): App {
  return new App({
    ...props,
    builtinCloudFormationValidation: false,
    context: { [BUNDLING_STACKS]: [], ...props.context },
  });
}
