/**
 * The naive L2 baseline (bench/naive-baseline.ts) as a CDK app, so the synth
 * benchmark runs it the way users run an app:
 *
 *   npx cdk synth --quiet --app 'npx ts-node --transpile-only bench/naive-app.ts' -c env=prod -c partnersDir=DIR
 *
 * Same config loader and context as bin/app.ts; CDK's built-in CloudFormation
 * validation on, no cdk-nag (the baseline has no acknowledgements).
 */
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadConfig } from '../lib/config/load-config';
import { buildNaiveApp } from './naive-baseline';

const app = new App();
const partnersDir = app.node.tryGetContext('partnersDir') as string | undefined;
const config = loadConfig({
  rootDir: path.resolve(__dirname, '..'),
  environment: String(app.node.tryGetContext('env') ?? 'dev'),
  partnersDir: partnersDir ? path.resolve(partnersDir) : undefined,
});
buildNaiveApp(app, config);
app.synth();
