#!/usr/bin/env node
/**
 * The example app: `npx cdk synth` in this folder (no AWS credentials
 * needed; the platform's parameters resolve at deploy time), then
 * `npx cdk deploy -c platformEnv=dev` in the platform's account and region.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { EnvironmentName } from '../../lambda/core/contracts';
import { DataApiStack } from './data-api-stack';

const app = new App();
const platformEnvironment = String(app.node.tryGetContext('platformEnv') ?? 'dev') as EnvironmentName;
// Environment-agnostic: deploys to the account and region of the credentials, which must be the platform's.
new DataApiStack(app, `data-api-${platformEnvironment}`, { platformEnvironment });
// cdk-nag v3 as a policy-validation plugin, as the platform app runs it: synth fails on a finding.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
