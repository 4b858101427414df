/**
 * The authorizer runs on every partner request, so its bundle has a budget:
 * at most 150 KB, bundled exactly as deploys bundle it. Bundle size is
 * deterministic, so this is a fair test; its module-init time is measured by
 * `npm run bench:keys` and reported in the README, not asserted here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { bundleLambda } from '../../scripts/lib/lambda-bundle';

const BUDGET_BYTES = 150 * 1024;

describe('the authorizer bundle', () => {
  const outdir = mkdtempSync(path.join(tmpdir(), 'pp-authorizer-'));
  const bundle = bundleLambda('authorizer', path.join(outdir, 'index.js'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it(`stays within ${BUDGET_BYTES / 1024} KB`, () => {
    console.log(`authorizer bundle: ${(bundle.bytes / 1024).toFixed(1)} KB`);
    expect(bundle.bytes).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('carries none of the heavy modules it once did (zod, Powertools) and loads only the DynamoDB client', () => {
    const heavy = [...bundle.inputs.keys()].filter((name) => /^(zod|@aws-lambda-powertools\/)/.test(name));
    expect(heavy).toEqual([]);
    // The document client and the EventBridge and Secrets Manager clients cost module-init time even when external.
    expect(bundle.externals).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/util-dynamodb', 'node:crypto']);
  });
});
