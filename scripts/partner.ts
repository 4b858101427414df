/**
 * Admin commands for partner files, run as `npm run partner -- <command>`:
 *
 *   add <orgId> --name NAME --email EMAIL [--url URL --events a,b|*] [--rate N] [--webhook-id primary]
 *       writes partners/<orgId>.yaml after validating it, with the rest of
 *       partners/, through the same loader and quota checks as synth
 *   validate
 *       checks every partner file against every environment; exit 1 with the messages
 *   diff [--base <git-ref>] [--env dev]
 *       names the stacks a change of partners/ (and config/) touches, comparing
 *       the plan of the base ref's files (via git show) with the working tree's
 *
 * Every command takes `--root DIR` (default: this repository).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Document } from 'yaml';
import { ConfigError, formatProblem } from '../lib/config/config-error';
import { DeliveryPlan, planDelivery } from '../lib/config/delivery-plan';
import { ENVIRONMENT_NAMES } from '../lib/config/environment-schema';
import { loadConfig, PlatformConfig } from '../lib/config/load-config';
import { platformStackName } from '../lib/config/naming';
import { checkQuotas } from '../lib/config/quota-check';

const REPO_ROOT = path.resolve(__dirname, '..');

/** A refusal with the lines to show the admin. */
export class PartnerCommandError extends Error {
  constructor(public readonly lines: readonly string[]) {
    super(lines.join('\n'));
    this.name = 'PartnerCommandError';
  }
}

/** The environments that have a config file under `rootDir`. */
function environmentsOf(rootDir: string): string[] {
  return ENVIRONMENT_NAMES.filter((name) => existsSync(path.join(rootDir, 'config', `${name}.yaml`)));
}

/** Loader and quota problems for one environment, worded exactly as synth words them. */
function problemsFor(rootDir: string, environment: string, partnersDir?: string): string[] {
  try {
    const config = loadConfig({ rootDir, environment, partnersDir });
    return checkQuotas(planDelivery(config), config.environment).map((p) => `${p.where}: ${p.quota}: ${p.message}`);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
}

/**
 * Problems of the partner files in every environment. A problem that only
 * some environments have (http:// is allowed in dev only) names them.
 */
export function validatePartners(options: { rootDir?: string; partnersDir?: string } = {}): string[] {
  const rootDir = options.rootDir ?? REPO_ROOT;
  const environments = environmentsOf(rootDir);
  if (environments.length === 0) return [`config/: no environment file (${ENVIRONMENT_NAMES.join(', ')}) found`];
  const seen = new Map<string, string[]>();
  for (const environment of environments) {
    for (const problem of problemsFor(rootDir, environment, options.partnersDir)) {
      seen.set(problem, [...(seen.get(problem) ?? []), environment]);
    }
  }
  return [...seen.entries()]
    .map(([problem, envs]) => (envs.length === environments.length ? problem : `${problem} [${envs.join(', ')}]`))
    .sort();
}

export interface AddPartnerOptions {
  readonly orgId: string;
  readonly name?: string;
  readonly email?: string;
  readonly url?: string;
  /** Comma-separated detail-types, or `*`. */
  readonly events?: string;
  readonly rate?: string;
  readonly webhookId?: string;
  readonly rootDir?: string;
}

/** The partner file's text: the schema's fields in the order admins read them. */
export function partnerYaml(options: AddPartnerOptions): string {
  const rate = options.rate === undefined ? undefined : Number(options.rate);
  const document = new Document({
    orgId: options.orgId,
    orgName: options.name,
    ownerEmail: options.email,
    webhooks:
      options.url === undefined && options.events === undefined
        ? []
        : [
            {
              id: options.webhookId ?? 'primary',
              url: options.url,
              events: (options.events ?? '')
                .split(',')
                .map((event) => event.trim())
                .filter(Boolean),
              // A non-number is kept as text so the schema explains what is wrong.
              ...(rate === undefined ? {} : { rateLimitPerSecond: Number.isFinite(rate) ? rate : options.rate }),
            },
          ],
  });
  for (const node of (document.get('webhooks', true) as any)?.items ?? []) {
    const events = node.get('events', true);
    if (events) events.flow = true;
  }
  document.commentBefore = ` ${options.name ?? options.orgId}: added with \`npm run partner -- add\`.`;
  return document.toString({ flowCollectionPadding: false, singleQuote: true });
}

/**
 * Writes `partners/<orgId>.yaml`, after checking a temporary copy of config/
 * and partners/ with it added: an invalid partner is refused with synth's
 * own messages and nothing is written. Never overwrites a file.
 */
export function addPartner(options: AddPartnerOptions): string {
  const rootDir = options.rootDir ?? REPO_ROOT;
  const name = `${options.orgId}.yaml`;
  const file = path.join(rootDir, 'partners', name);
  if (existsSync(file)) {
    throw new PartnerCommandError([`partners/${name}: already exists; edit it instead (add never overwrites)`]);
  }
  const text = partnerYaml(options);
  const scratch = mkdtempSync(path.join(tmpdir(), 'pp-partner-add-'));
  try {
    cpSync(path.join(rootDir, 'config'), path.join(scratch, 'config'), { recursive: true });
    const partnersDir = path.join(rootDir, 'partners');
    if (existsSync(partnersDir)) cpSync(partnersDir, path.join(scratch, 'partners'), { recursive: true });
    else mkdirSync(path.join(scratch, 'partners'));
    writeFileSync(path.join(scratch, 'partners', name), text);
    const problems = validatePartners({ rootDir: scratch });
    if (problems.length > 0) throw new PartnerCommandError(problems);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text, { flag: 'wx' });
  return file;
}

/** What a partner contributes to its stack; equal fingerprints mean an unchanged template. */
function partnerFacts(plan: DeliveryPlan) {
  const facts = new Map<string, { stack: string; fields: Record<string, string> }>();
  for (const shard of plan.shards) {
    for (const partner of shard.partners) {
      const { webhooks: _webhooks, ...rest } = partner.config;
      const fields: Record<string, string> = {};
      for (const [key, value] of Object.entries(rest)) fields[key] = JSON.stringify(value);
      fields.routeSlot = String(partner.routeSlot);
      for (const webhook of partner.webhooks) {
        fields[`webhooks.${webhook.config.id}`] = JSON.stringify({
          ...webhook.config,
          resourceName: webhook.resourceName,
          pattern: webhook.pattern,
        });
      }
      facts.set(partner.config.orgId, { stack: shard.stackName, fields });
    }
  }
  return facts;
}

function changedFields(before: Record<string, string>, after: Record<string, string>): string[] {
  return [...new Set([...Object.keys(before), ...Object.keys(after)])]
    .filter((key) => before[key] !== after[key])
    .map((key) => (before[key] === undefined ? `${key} added` : after[key] === undefined ? `${key} removed` : key))
    .sort();
}

/** Copies config/ and partners/ as they are at `ref` into a temporary root. */
function checkoutConfig(rootDir: string, ref: string): string {
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: rootDir,
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  let files: string[];
  try {
    files = git('ls-tree', '-r', '--name-only', ref, '--', 'config', 'partners').split('\n').filter(Boolean);
  } catch (error) {
    throw new PartnerCommandError([
      `git: cannot read ${ref}: ${String((error as { stderr?: string }).stderr ?? error).trim()}`,
    ]);
  }
  const scratch = mkdtempSync(path.join(tmpdir(), 'pp-partner-base-'));
  mkdirSync(path.join(scratch, 'partners'), { recursive: true });
  for (const file of files) {
    mkdirSync(path.join(scratch, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(scratch, file), git('show', `${ref}:${file}`));
  }
  return scratch;
}

function loadOrRefuse(rootDir: string, environment: string, label: string): PlatformConfig {
  try {
    return loadConfig({ rootDir, environment });
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new PartnerCommandError([`${label} does not load:`, ...error.problems.map((p) => `  ${formatProblem(p)}`)]);
    }
    throw error;
  }
}

/**
 * The stacks a change of partners/ and config/ since `base` touches, one line
 * per partner and stack, e.g. `partner-platform-dev-shard-003: acme-corp added`.
 */
export function diffPartners(options: { rootDir?: string; base?: string; environment?: string } = {}): string[] {
  const rootDir = options.rootDir ?? REPO_ROOT;
  const base = options.base ?? 'HEAD';
  const environment = options.environment ?? 'dev';
  const scratch = checkoutConfig(rootDir, base);
  let before: PlatformConfig;
  try {
    before = loadOrRefuse(scratch, environment, `the partner files at ${base}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const after = loadOrRefuse(rootDir, environment, 'the working tree');
  const lines: Array<[string, string]> = [];
  if (JSON.stringify(before.environment) !== JSON.stringify(after.environment)) {
    const keys = Object.keys(after.environment).filter(
      (key) =>
        JSON.stringify((before.environment as Record<string, unknown>)[key]) !==
        JSON.stringify((after.environment as Record<string, unknown>)[key]),
    );
    lines.push([
      platformStackName(environment),
      `config/${environment}.yaml changed (${keys.join(', ')}); every stack may change`,
    ]);
  }
  const old = partnerFacts(planDelivery(before));
  const now = partnerFacts(planDelivery(after));
  for (const orgId of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(orgId);
    const b = now.get(orgId);
    if (!a && b) lines.push([b.stack, `${orgId} added`]);
    else if (a && !b) lines.push([a.stack, `${orgId} removed`]);
    else if (a && b && a.stack !== b.stack) {
      lines.push([a.stack, `${orgId} moved to ${b.stack}`], [b.stack, `${orgId} moved from ${a.stack}`]);
    } else if (a && b) {
      const fields = changedFields(a.fields, b.fields);
      if (fields.length > 0) lines.push([b.stack, `${orgId} changed (${fields.join(', ')})`]);
    }
  }
  return lines
    .sort(([s1, m1], [s2, m2]) => (s1 < s2 ? -1 : s1 > s2 ? 1 : m1 < m2 ? -1 : m1 > m2 ? 1 : 0))
    .map(([stack, message]) => `${stack}: ${message}`);
}

interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const USAGE = [
  'usage: npm run partner -- add <orgId> --name NAME --email EMAIL [--url URL --events a,b|*] [--rate N] [--webhook-id ID]',
  '       npm run partner -- validate',
  '       npm run partner -- diff [--base GIT_REF] [--env dev|stage|nonprod|prod]',
  '       (each takes --root DIR; default: this repository)',
];

function parseFlags(args: readonly string[]): { positional: string[]; flags: Record<string, string> } {
  const positional: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith('--')) {
      const [key, inline] = arg.slice(2).split(/=(.*)/s, 2);
      if (inline !== undefined) flags[key] = inline;
      else if (i + 1 < args.length && !args[i + 1].startsWith('--')) flags[key] = args[++i];
      else throw new PartnerCommandError([`--${key} needs a value`, ...USAGE]);
    } else positional.push(arg);
  }
  return { positional, flags };
}

/** Runs one command; returns the exit code (0 done, 1 refused or invalid, 2 usage). */
export function runPartnerCommand(argv: readonly string[], io: Io): number {
  try {
    const [command, ...rest] = argv;
    const { positional, flags } = parseFlags(rest);
    const rootDir = flags.root ? path.resolve(flags.root) : REPO_ROOT;
    switch (command) {
      case 'add': {
        if (positional.length !== 1) throw new PartnerCommandError(['add takes exactly one orgId', ...USAGE]);
        const file = addPartner({
          orgId: positional[0],
          name: flags.name,
          email: flags.email,
          url: flags.url,
          events: flags.events,
          rate: flags.rate,
          webhookId: flags['webhook-id'],
          rootDir,
        });
        io.out(`wrote ${path.relative(rootDir, file)}; open a pull request with it`);
        return 0;
      }
      case 'validate': {
        const problems = validatePartners({ rootDir });
        if (problems.length > 0) {
          io.err(`${problems.length} problem${problems.length === 1 ? '' : 's'} in the partner files:`);
          for (const problem of problems) io.err(`  ${problem}`);
          return 1;
        }
        const count = existsSync(path.join(rootDir, 'partners'))
          ? readdirSync(path.join(rootDir, 'partners')).filter((f) => f.endsWith('.yaml')).length
          : 0;
        io.out(`${count} partner file${count === 1 ? '' : 's'} valid in ${environmentsOf(rootDir).join(', ')}`);
        return 0;
      }
      case 'diff': {
        const lines = diffPartners({ rootDir, base: flags.base, environment: flags.env });
        if (lines.length === 0) io.out(`No stack changes against ${flags.base ?? 'HEAD'}.`);
        for (const line of lines) io.out(line);
        return 0;
      }
      default:
        for (const line of USAGE) io.err(line);
        return 2;
    }
  } catch (error) {
    if (error instanceof PartnerCommandError) {
      for (const line of error.lines) io.err(line);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = runPartnerCommand(process.argv.slice(2), {
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
}
