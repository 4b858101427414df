/**
 * Synthesizes a config into a temp cloud assembly and reads it back the way
 * the audit report does (templates only), for the scale and audit tests.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PATH_METADATA_ENABLE_CONTEXT } from 'aws-cdk-lib/cx-api';
import type { PlatformConfig } from '../../lib/config/load-config';
import { buildPlatformApp, PlatformApp } from '../../lib/platform-app';
import { CloudAssemblyView, readCloudAssembly } from '../../local/cloud-assembly';
import { templateApp } from '../support/template-app';

export interface SynthesizedAssembly {
  readonly platformApp: PlatformApp;
  readonly outdir: string;
  readonly assembly: CloudAssemblyView;
}

/**
 * cdk-nag and the built-in CloudFormation validation are off: the scale
 * tests check the limits themselves, and the bench measures the validation.
 */
export function synthesizeAssembly(config: PlatformConfig, options: { nag?: boolean } = {}): SynthesizedAssembly {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pp-scale-out-'));
  const app = templateApp({ outdir, context: { [PATH_METADATA_ENABLE_CONTEXT]: true } });
  const platformApp = buildPlatformApp(app, config, { nag: options.nag ?? false });
  app.synth();
  return { platformApp, outdir, assembly: readCloudAssembly(outdir) };
}
