/**
 * `npm run audit [-- --cdk-out DIR]`: writes `<cdk-out>/audit/report.md`,
 * `report.html` and `report.json` from the synthesized cloud assembly only
 * (plus the quotas of the environment the stacks are tagged with, from
 * config/<env>.yaml). Two runs over the same cdk.out give identical files.
 * Exits 1 when the report lists a problem (a literal credential in a
 * template, a crossed quota, an error finding nobody acknowledged).
 *
 * `--live` also reads what exists now (AWS credentials, or the local
 * runtime with `--endpoint-url http://127.0.0.1:4001 --dynamodb-endpoint-url
 * URL`; `--tenants-table` / `--webhooks-table` name the tables in AWS) and
 * writes `audit/live.md` and `live.json`: the runtime-owned webhooks, the
 * EventBridge resources nothing explains, the records whose resources differ.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readCloudAssembly } from '../local/cloud-assembly';
import { AuditReport, buildAuditReport } from './lib/audit-report';
import { liveProblems, renderLiveMarkdown } from './lib/audit-live';
import { collectLiveAudit, type LiveSourceOptions } from './lib/audit-live-sources';
import { renderHtml, renderMarkdown } from './lib/audit-render';

const ROOT = path.resolve(__dirname, '..');

export interface AuditFiles {
  readonly report: AuditReport;
  readonly dir: string;
  readonly files: readonly string[];
}

/** Builds the report for a cloud assembly and writes the three files into `<cdkOut>/audit`. */
export function writeAuditReport(cdkOut: string, rootDir = ROOT): AuditFiles {
  const report = buildAuditReport(readCloudAssembly(cdkOut), rootDir);
  const dir = path.join(cdkOut, 'audit');
  mkdirSync(dir, { recursive: true });
  const files = [
    ['report.json', `${JSON.stringify(report, null, 2)}\n`],
    ['report.md', renderMarkdown(report)],
    ['report.html', renderHtml(report)],
  ].map(([name, text]) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  });
  return { report, dir, files };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'cdk-out': { type: 'string' },
      live: { type: 'boolean', default: false },
      'endpoint-url': { type: 'string' },
      'dynamodb-endpoint-url': { type: 'string' },
      region: { type: 'string' },
      'tenants-table': { type: 'string' },
      'webhooks-table': { type: 'string' },
    },
  });
  const cdkOut = path.resolve(values['cdk-out'] ?? path.join(ROOT, 'cdk.out'));
  const { report, dir } = writeAuditReport(cdkOut);
  const { totals } = report;
  console.log(
    `Audit report (${report.environment.name}): ${totals.partners} partners, ${totals.webhooks} webhooks, ` +
      `${totals.acknowledgedFindings} acknowledged and ${totals.unsuppressedFindings} unsuppressed findings -> ` +
      `${path.relative(process.cwd(), path.join(dir, 'report.md')) || dir}`,
  );
  const problems = [...report.problems];
  if (values.live) {
    problems.push(
      ...(await writeLiveAudit(cdkOut, report.environment.name, {
        ...optional('eventBridgeEndpoint', values['endpoint-url']),
        ...optional('dynamoDbEndpoint', values['dynamodb-endpoint-url']),
        ...optional('region', values.region),
        ...optional('tenantsTable', values['tenants-table']),
        ...optional('webhooksTable', values['webhooks-table']),
      })),
    );
  }
  for (const problem of problems) console.error(`audit: ${problem}`);
  return problems.length > 0 ? 1 : 0;
}

/** Writes `audit/live.md` and `live.json`; returns the problems it found. */
export async function writeLiveAudit(
  cdkOut: string,
  environment: string,
  options: LiveSourceOptions,
): Promise<string[]> {
  const live = await collectLiveAudit(readCloudAssembly(cdkOut), environment, options);
  const dir = path.join(cdkOut, 'audit');
  mkdirSync(dir, { recursive: true });
  const where = options.eventBridgeEndpoint ?? 'AWS';
  writeFileSync(path.join(dir, 'live.json'), `${JSON.stringify(live, null, 2)}\n`);
  writeFileSync(path.join(dir, 'live.md'), renderLiveMarkdown(live, where));
  console.log(
    `Live (${where}): ${live.runtimeWebhooks.length} runtime webhooks, ${live.unexplained.length} unexplained resources, ` +
      `${live.drift.length} differences -> ${path.relative(process.cwd(), path.join(dir, 'live.md')) || dir}`,
  );
  return liveProblems(live);
}

function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(`audit: ${(error as Error).message}`);
      process.exitCode = 1;
    },
  );
}
