/**
 * Synth benchmark. The headline is the command users run, timed end to end
 * (CLI, app, cdk-nag, Lambda bundling, CloudFormation validation, writing
 * cdk.out), in one run and `--reps` times each, interleaved:
 *
 * - `npx cdk synth --quiet -c env=prod` at `--partners` (3,000) synthetic
 *   partners, cold (empty cdk.out and cache directory: no stored shard
 *   stacks, findings or bundles);
 * - the same after one partner file changed (warm cdk.out and cache: one
 *   shard stack built, the others served whole from the stack cache);
 * - the naive L2 app (bench/naive-app.ts) through the same CLI, validation on;
 * - `npm run synth` (synth and audit report) on the example partners, cold
 *   (cdk.out and node_modules/.cache/partner-platform removed) and again.
 *
 * Below it, the component breakdown: each app in a child process of its own
 * (bench/synth-child.ts) with and without the built-in validation and cdk-nag,
 * timed by phase, at `--sizes`.
 *
 *   npm run bench:synth [-- --partners 3000 --reps 2 --sizes 3000 --env prod --out bench/results/synth.md]
 *
 * Run it under `flock /tmp/heavy.lock` on a shared machine; the load average
 * at the start of each run is printed with it. Prints markdown and writes it to `--out`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse } from 'yaml';
import { environmentSchema } from '../lib/config/environment-schema';
import { assemblyStats, AssemblyStats, readCloudAssembly } from '../local/cloud-assembly';
import { headline } from './synth-command';
import type { ChildResult } from './synth-child';
import { syntheticPartners, writePartnerFiles } from './synthetic-partners';

const ROOT = path.resolve(__dirname, '..');

interface Variant {
  readonly app: 'ours' | 'naive';
  readonly validation: boolean;
  readonly nag: boolean;
  /** CDK's per-construct creation stack traces; our shard stacks turn them off themselves. */
  readonly creationStackTraces: boolean;
  readonly label: string;
}

const VARIANTS: readonly Variant[] = [
  { app: 'ours', validation: false, nag: false, creationStackTraces: true, label: 'partner-platform' },
  { app: 'naive', validation: false, nag: false, creationStackTraces: true, label: 'naive L2 baseline' },
  {
    app: 'naive',
    validation: false,
    nag: false,
    creationStackTraces: false,
    label: 'naive L2 baseline, creation stack traces off too',
  },
  { app: 'ours', validation: true, nag: false, creationStackTraces: true, label: 'partner-platform' },
  { app: 'naive', validation: true, nag: false, creationStackTraces: true, label: 'naive L2 baseline' },
  {
    app: 'ours',
    validation: true,
    nag: true,
    creationStackTraces: true,
    label: 'partner-platform, as `npm run synth` (cdk-nag on)',
  },
];

interface Measurement {
  readonly variant: Variant;
  readonly partners: number;
  readonly wallMs: number;
  readonly child: ChildResult;
  readonly stats: AssemblyStats;
  /** Warnings the built-in validation reported (it downgrades errors to warnings). */
  readonly validationFindings: number;
}

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function runChild(variant: Variant, partnersDir: string, env: string): Measurement {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-out-'));
  try {
    const args = [
      '-r',
      'ts-node/register/transpile-only',
      path.join(__dirname, 'synth-child.ts'),
      ...['--app', variant.app, '--env', env, '--partners', partnersDir, '--outdir', outdir],
      ...['--validation', variant.validation ? 'on' : 'off', '--nag', variant.nag ? 'on' : 'off'],
      ...['--creation-stack-traces', variant.creationStackTraces ? 'on' : 'off'],
    ];
    const start = performance.now();
    const child = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const wallMs = performance.now() - start;
    if (child.status !== 0) {
      throw new Error(`${variant.app} synth failed (exit ${child.status}):\n${child.stderr.slice(-4000)}`);
    }
    const result = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as ChildResult;
    const assembly = readCloudAssembly(outdir);
    const validationFindings = (assembly.validationReport?.pluginReports ?? [])
      .filter((report) => report.pluginName === 'CloudFormation Validate')
      .reduce((sum, report) => sum + report.violations.length, 0);
    return {
      variant,
      partners: result.partners,
      wallMs,
      child: result,
      stats: assemblyStats(assembly),
      validationFindings,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Runs a variant `reps` times and keeps the run with the median wall time. */
function measure(variant: Variant, partnersDir: string, env: string, reps: number): Measurement {
  const runs = Array.from({ length: reps }, () => runChild(variant, partnersDir, env));
  const wall = median(runs.map((run) => run.wallMs));
  return runs.reduce((best, run) => (Math.abs(run.wallMs - wall) < Math.abs(best.wallMs - wall) ? run : best));
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const megabytes = (kb: number) => String(Math.round(kb / 1024));

function table(measurements: readonly Measurement[], quotas: { rulesPerEventBus: number }): string {
  const lines = [
    '| partners | app | built-in validation | wall s | peak RSS MB | stacks | max resources / stack | max template KB | max rules / bus | API destinations | validation findings |',
    '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const m of measurements) {
    const overRules = m.stats.maxRulesPerBus > quotas.rulesPerEventBus ? ` (over ${quotas.rulesPerEventBus})` : '';
    lines.push(
      `| ${m.partners} | ${m.variant.label} | ${m.variant.validation ? 'on' : 'off'} | ${seconds(m.wallMs)} | ${megabytes(m.child.maxRssKb)} | ${m.stats.stacks} | ${m.stats.maxResourcesPerStack} | ${(m.stats.maxTemplateBytes / 1024).toFixed(0)} | ${m.stats.maxRulesPerBus}${overRules} | ${m.stats.apiDestinations} | ${m.variant.validation ? m.validationFindings : '-'} |`,
    );
  }
  return lines.join('\n');
}

function ratios(measurements: readonly Measurement[]): string {
  const lines = [
    '| partners | built-in validation | baseline | wall s, baseline / partner-platform | peak RSS, baseline / partner-platform |',
    '|---:|---|---|---:|---:|',
  ];
  const ours = (partners: number, validation: boolean) =>
    measurements.find(
      (m) =>
        m.partners === partners && m.variant.app === 'ours' && m.variant.validation === validation && !m.variant.nag,
    );
  for (const naive of measurements.filter((m) => m.variant.app === 'naive')) {
    const mine = ours(naive.partners, naive.variant.validation);
    if (!mine) continue;
    lines.push(
      `| ${naive.partners} | ${naive.variant.validation ? 'on' : 'off'} | ${naive.variant.label} | ${(naive.wallMs / mine.wallMs).toFixed(1)}x | ${(naive.child.maxRssKb / mine.child.maxRssKb).toFixed(1)}x |`,
    );
  }
  return lines.join('\n');
}

function phases(measurements: readonly Measurement[]): string {
  const lines = [
    '| partners | app | built-in validation | start-up ms | load config ms | build constructs ms | synth ms | of which validation ms |',
    '|---:|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const m of measurements) {
    const c = m.child;
    lines.push(
      `| ${m.partners} | ${m.variant.label} | ${m.variant.validation ? 'on' : 'off'} | ${c.startupMs} | ${c.loadMs} | ${c.buildMs} | ${c.synthMs} | ${c.validationMs} |`,
    );
  }
  return lines.join('\n');
}

function main(): void {
  const sizes = option('sizes', '3000').split(',').filter(Boolean).map(Number);
  const reps = Number(option('reps', '2'));
  const env = option('env', 'prod');
  const out = path.resolve(ROOT, option('out', 'bench/results/synth.md'));
  const command = headline({ root: ROOT, env, partners: Number(option('partners', '3000')), reps });
  const quotas = environmentSchema.parse(parse(readFileSync(path.join(ROOT, 'config', `${env}.yaml`), 'utf8'))).quotas;
  const measurements: Measurement[] = [];
  for (const size of sizes) {
    const partnersDir = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-partners-'));
    try {
      writePartnerFiles(partnersDir, syntheticPartners(size));
      for (const variant of VARIANTS) {
        const m = measure(variant, partnersDir, env, reps);
        process.stderr.write(
          `${size} partners, ${variant.label}, validation ${variant.validation ? 'on' : 'off'}: ${seconds(m.wallMs)} s, ${megabytes(m.child.maxRssKb)} MB\n`,
        );
        measurements.push(m);
      }
    } finally {
      rmSync(partnersDir, { recursive: true, force: true });
    }
  }
  const cpus = os.cpus();
  const cdkVersion = JSON.parse(readFileSync(path.join(ROOT, 'node_modules/aws-cdk-lib/package.json'), 'utf8')).version;
  const report = [
    '# Synth benchmark',
    '',
    `Generated by \`npm run bench:synth\` (bench/synth.ts) on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. ` +
      `Machine: ${cpus.length} x ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ` +
      `Node ${process.version}, aws-cdk-lib ${cdkVersion}; environment config/${env}.yaml.`,
    '',
    command,
    '',
    '## Component breakdown',
    '',
    `Each app in a fresh child process (bench/synth-child.ts: start-up, loading the YAML files, building and ` +
      `synthesizing, no CLI, no Lambda bundling, no cache), median wall time of ${reps} run(s).`,
    '',
    table(measurements, quotas),
    '',
    '## Naive baseline relative to partner-platform',
    '',
    ratios(measurements),
    '',
    '## Where the time goes',
    '',
    phases(measurements),
    '',
  ].join('\n');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, report);
  process.stdout.write(report);
}

main();
