/**
 * `npm run audit [-- --cdk-out DIR]`: writes `<cdk-out>/audit/report.md`,
 * `report.html` and `report.json` from the synthesized cloud assembly only
 * (plus the quotas of the environment the stacks are tagged with, from
 * config/<env>.yaml). Two runs over the same cdk.out give identical files.
 * Exits 1 when the report lists a problem (a literal credential in a
 * template, a crossed quota, an error finding nobody acknowledged).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { readCloudAssembly } from '../local/cloud-assembly';
import { AuditReport, buildAuditReport } from './lib/audit-report';
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

function main(): number {
  const index = process.argv.indexOf('--cdk-out');
  const cdkOut = path.resolve(index >= 0 ? process.argv[index + 1] : path.join(ROOT, 'cdk.out'));
  const { report, dir } = writeAuditReport(cdkOut);
  const { totals } = report;
  console.log(
    `Audit report (${report.environment.name}): ${totals.partners} partners, ${totals.webhooks} webhooks, ` +
      `${totals.acknowledgedFindings} acknowledged and ${totals.unsuppressedFindings} unsuppressed findings -> ` +
      `${path.relative(process.cwd(), path.join(dir, 'report.md')) || dir}`,
  );
  for (const problem of report.problems) console.error(`audit: ${problem}`);
  return report.problems.length > 0 ? 1 : 0;
}

if (require.main === module) {
  try {
    process.exitCode = main();
  } catch (error) {
    console.error(`audit: ${(error as Error).message}`);
    process.exitCode = 1;
  }
}
