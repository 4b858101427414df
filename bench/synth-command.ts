/**
 * The synth benchmark's headline: the real commands, end to end, as a user
 * runs them (see bench/synth.ts). Each scenario runs `reps` times,
 * interleaved, with the 1-minute load average at its start, because the
 * machine may be shared.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { syntheticPartners, writePartnerFiles } from './synthetic-partners';

export interface HeadlineOptions {
  readonly root: string;
  readonly env: string;
  readonly partners: number;
  readonly reps: number;
}

interface CommandRun {
  readonly seconds: number;
  readonly load: number;
  /** What the app printed about its caches (shard stacks built or served, stacks checked or served). */
  readonly checks: string;
  /** Templates that differ from the previous run into the same cdk.out. */
  readonly changedTemplates?: number;
}

const TARGETS = { coldSeconds: 15, oneChangedSeconds: 5, naiveRatio: 2 };

function run(root: string, command: string, args: readonly string[]): CommandRun {
  const load = os.loadavg()[0];
  const start = performance.now();
  const child = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = (performance.now() - start) / 1000;
  if (child.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${child.status}):\n${child.stderr.slice(-4000)}`);
  }
  const checks = `${child.stdout}\n${child.stderr}`.match(/^validation: (.*)$/m)?.[1] ?? '-';
  return { seconds, load, checks };
}

function templates(outdir: string): Map<string, string> {
  return new Map(
    readdirSync(outdir)
      .filter((name) => name.endsWith('.template.json'))
      .map((name) => [name, readFileSync(path.join(outdir, name), 'utf8')]),
  );
}

function changedCount(before: Map<string, string>, after: Map<string, string>): number {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name)).length;
}

/** Edits one partner file as a PR would: a new URL for its first webhook (partner 7 has one). */
function changeOnePartner(partnersDir: string, rep: number): void {
  const [partner] = syntheticPartners(8).slice(7);
  const edited = {
    ...partner,
    webhooks: partner.webhooks.map((w, i) => (i === 0 ? { ...w, url: `${w.url}-v${rep + 1}` } : w)),
  };
  if (edited.webhooks.length === 0) throw new Error('partner 7 has no webhook to change');
  writePartnerFiles(partnersDir, [edited]);
}

function cdkSynth(root: string, env: string, partnersDir: string, outdir: string, extra: string[] = []): CommandRun {
  return run(root, 'npx', [
    'cdk',
    'synth',
    '--quiet',
    ...['-c', `env=${env}`, '-c', `partnersDir=${partnersDir}`, '-o', outdir],
    ...extra,
  ]);
}

/** Runs every scenario `reps` times and returns the headline as markdown. */
export function headline(options: HeadlineOptions): string {
  const { root, env, reps } = options;
  const work = mkdtempSync(path.join(os.tmpdir(), 'pp-bench-command-'));
  const partnersDir = path.join(work, 'partners');
  writePartnerFiles(partnersDir, syntheticPartners(options.partners));
  const results: Record<string, CommandRun[]> = {
    cold: [],
    oneChanged: [],
    naive: [],
    examplesCold: [],
    examplesWarm: [],
  };
  try {
    for (let rep = 0; rep < reps; rep++) {
      const outdir = path.join(work, `out-${rep}`);
      const cache = ['-c', `validationCacheDir=${path.join(work, `cache-${rep}`)}`];
      results.cold.push(cdkSynth(root, env, partnersDir, outdir, cache));
      process.stderr.write(`cold ${results.cold[rep].seconds.toFixed(1)} s\n`);
      const before = templates(outdir);
      changeOnePartner(partnersDir, rep);
      const changed = cdkSynth(root, env, partnersDir, outdir, cache);
      results.oneChanged.push({ ...changed, changedTemplates: changedCount(before, templates(outdir)) });
      process.stderr.write(`one partner changed ${changed.seconds.toFixed(1)} s\n`);
      const naiveApp = ['--app', 'npx ts-node --transpile-only bench/naive-app.ts'];
      results.naive.push(cdkSynth(root, env, partnersDir, path.join(work, `naive-${rep}`), naiveApp));
      process.stderr.write(`naive ${results.naive[rep].seconds.toFixed(1)} s\n`);
      rmSync(path.join(root, 'cdk.out'), { recursive: true, force: true });
      rmSync(path.join(root, 'node_modules', '.cache', 'partner-platform'), { recursive: true, force: true });
      results.examplesCold.push(run(root, 'npm', ['run', 'synth', '--silent']));
      results.examplesWarm.push(run(root, 'npm', ['run', 'synth', '--silent']));
      process.stderr.write(
        `npm run synth ${results.examplesCold[rep].seconds.toFixed(1)} / ${results.examplesWarm[rep].seconds.toFixed(1)} s\n`,
      );
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return render(options, results);
}

function render(options: HeadlineOptions, results: Record<string, CommandRun[]>): string {
  const n = options.partners.toLocaleString('en-US');
  const synth = `npx cdk synth --quiet -c env=${options.env}`;
  const rows: Array<[string, string, CommandRun[]]> = [
    [`${n} partners, cold (empty cdk.out and cache)`, synth, results.cold],
    [`${n} partners, one partner file changed`, synth, results.oneChanged],
    [
      `${n} partners, naive L2 app (validation on, no cdk-nag)`,
      `${synth} --app 'npx ts-node --transpile-only bench/naive-app.ts'`,
      results.naive,
    ],
    ['example partners, cold (cdk.out and cache removed)', 'npm run synth', results.examplesCold],
    ['example partners, again (nothing changed)', 'npm run synth', results.examplesWarm],
  ];
  const runs = (list: CommandRun[]) =>
    list.map((r) => `${r.seconds.toFixed(1)} (load ${r.load.toFixed(1)})`).join(', ');
  const lines = [
    '## The commands users run',
    '',
    `Wall seconds per run, end to end, with the 1-minute load average when the run started ` +
      `(${options.reps} runs of each, interleaved: cold, one changed, naive, npm run synth).`,
    '',
    '| scenario | command | wall s per run (load) | shard stacks built and checks run, served from cache | templates changed |',
    '|---|---|---|---|---:|',
    ...rows.map(
      ([label, command, list]) =>
        `| ${label} | \`${command}\` | ${runs(list)} | ${list[0]?.checks ?? '-'} | ${list[0]?.changedTemplates ?? '-'} |`,
    ),
    '',
    ...targets(results),
  ];
  return lines.join('\n');
}

function targets(results: Record<string, CommandRun[]>): string[] {
  const worst = (list: CommandRun[]) => Math.max(...list.map((r) => r.seconds));
  const ratios = results.cold.map((cold, i) => results.naive[i].seconds / cold.seconds);
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  return [
    `Targets (issue 16): cold at most ${TARGETS.coldSeconds} s: slowest run ${worst(results.cold).toFixed(1)} s, ${verdict(worst(results.cold) <= TARGETS.coldSeconds)}; ` +
      `at least ${TARGETS.naiveRatio}x faster than the naive app in the same run: ${ratios.map((r) => `${r.toFixed(1)}x`).join(', ')}, ${verdict(Math.min(...ratios) >= TARGETS.naiveRatio)}; ` +
      `one partner changed at most ${TARGETS.oneChangedSeconds} s: slowest run ${worst(results.oneChanged).toFixed(1)} s, ${verdict(worst(results.oneChanged) <= TARGETS.oneChangedSeconds)}.`,
  ];
}
