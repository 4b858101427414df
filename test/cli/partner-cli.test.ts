/**
 * `npm run partner -- add | validate | diff`, driven through the command
 * functions in temp workspaces (one spawn of the real script at the end).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { ConfigError, formatProblem } from '../../lib/config/config-error';
import { loadConfig } from '../../lib/config/load-config';
import { shardStackName } from '../../lib/config/naming';
import { shardOf } from '../../lib/config/sharding';
import { addPartner, diffPartners, partnerYaml, runPartnerCommand, validatePartners } from '../../scripts/partner';
import { makeWorkspace, partnerDocument, REPO_ROOT, workspaceWithPartners } from '../support/workspace';

function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = runPartnerCommand(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const valid = {
  orgId: 'zeta-corp',
  name: 'Zeta Corp',
  email: 'ops@zeta.example',
  url: 'https://hooks.zeta.example/in',
  events: 'LockCreated,KeyAdded',
  rate: '5',
};

/** The messages the loader (synth) gives for a partner file with this text. */
function synthMessages(yamlText: string, environment: string): string[] {
  const root = makeWorkspace({ environment, partners: { 'zeta-corp.yaml': yamlText } });
  try {
    loadConfig({ rootDir: root, environment });
    return [];
  } catch (error) {
    return (error as ConfigError).problems.map(formatProblem);
  }
}

describe('partner add', () => {
  it('writes a partner file that synth loads, with the given webhook', () => {
    const root = workspaceWithPartners([{ orgId: 'acme-corp' }]);
    const file = addPartner({ ...valid, webhookId: 'events', rootDir: root });
    expect(file).toBe(path.join(root, 'partners', 'zeta-corp.yaml'));
    const partner = loadConfig({ rootDir: root, environment: 'prod' }).partners.find((p) => p.orgId === 'zeta-corp');
    expect(partner).toEqual(
      expect.objectContaining({
        orgName: 'Zeta Corp',
        ownerEmail: 'ops@zeta.example',
        webhooks: [{ id: 'events', url: valid.url, events: ['LockCreated', 'KeyAdded'], rateLimitPerSecond: 5 }],
      }),
    );
    expect(readFileSync(file, 'utf8')).toContain('events: [LockCreated, KeyAdded]');
  });

  it('defaults the webhook id to primary and accepts * for all events', () => {
    const root = workspaceWithPartners([]);
    addPartner({ ...valid, events: '*', rate: undefined, rootDir: root });
    const [partner] = loadConfig({ rootDir: root }).partners;
    expect(partner.webhooks).toEqual([{ id: 'primary', url: valid.url, events: ['*'], rateLimitPerSecond: 10 }]);
  });

  it('refuses to overwrite an existing partner file', () => {
    const root = workspaceWithPartners([{ orgId: 'zeta-corp' }]);
    const before = readFileSync(path.join(root, 'partners', 'zeta-corp.yaml'), 'utf8');
    const result = run(['add', 'zeta-corp', '--name', 'X', '--email', 'x@x.example', '--root', root]);
    expect(result.code).toBe(1);
    expect(result.err).toEqual(['partners/zeta-corp.yaml: already exists; edit it instead (add never overwrites)']);
    expect(readFileSync(path.join(root, 'partners', 'zeta-corp.yaml'), 'utf8')).toBe(before);
  });

  it.each<[string, Partial<typeof valid>]>([
    ['a bad email', { email: 'not-an-email' }],
    ['an unknown event type', { events: 'LockCreated,Teleported' }],
    ['a private host', { url: 'https://10.1.2.3/hook' }],
    ['plain http outside dev', { url: 'http://hooks.zeta.example/in' }],
    ['a rate that is not a number', { rate: 'fast' }],
    ['a rate over the EventBridge maximum', { rate: '301' }],
    ['an orgId the schema refuses', { orgId: 'Zeta_Corp' }],
  ])('refuses %s with the messages synth gives, and writes nothing', (_why, override) => {
    const options = { ...valid, ...override };
    const root = workspaceWithPartners([{ orgId: 'acme-corp' }]);
    const result = run([
      'add',
      options.orgId,
      ...['--name', options.name, '--email', options.email, '--url', options.url],
      ...['--events', options.events, '--rate', options.rate, '--root', root],
    ]);
    expect(result.code).toBe(1);
    expect(existsSync(path.join(root, 'partners', `${options.orgId}.yaml`))).toBe(false);
    // Every message is one synth gives for the same file in some environment.
    const text = partnerYaml(options).replace(/^orgId: .*$/m, `orgId: ${options.orgId}`);
    const synth = new Set(['dev', 'prod'].flatMap((env) => synthMessages(text, env)));
    expect(result.err.length).toBeGreaterThan(0);
    for (const line of result.err) {
      const message = line
        .replace(/ \[[a-z, ]+\]$/, '')
        .replace(`partners/${options.orgId}.yaml`, 'partners/zeta-corp.yaml');
      expect(synth).toContain(message);
    }
  });

  it('says which environments refuse a problem that only some have', () => {
    const root = workspaceWithPartners([]);
    const result = run([
      'add',
      'zeta-corp',
      '--name',
      'Z',
      '--email',
      'z@z.example',
      '--url',
      'http://hooks.zeta.example/',
      '--events',
      '*',
      '--root',
      root,
    ]);
    expect(result.err).toEqual([
      'partners/zeta-corp.yaml: webhooks[0].url: plain http:// is allowed in dev only; use https:// [stage, nonprod, prod]',
    ]);
  });
});

describe('partner validate', () => {
  it('passes a valid set of partner files', () => {
    const root = workspaceWithPartners([{ orgId: 'acme-corp' }, { orgId: 'globex', webhooks: [] }]);
    expect(validatePartners({ rootDir: root })).toEqual([]);
    expect(run(['validate', '--root', root])).toEqual({
      code: 0,
      out: ['2 partner files valid in dev, stage, nonprod, prod'],
      err: [],
    });
  });

  it('exits 1 with every problem in every file', () => {
    const root = makeWorkspace({
      partners: {
        'acme-corp.yaml': partnerDocument({ orgId: 'acme-corp' }),
        'globex.yaml': { ...partnerDocument({ orgId: 'globex' }), colour: 'red' },
        'initech.yaml': partnerDocument({ orgId: 'initech-x' }),
      },
    });
    const result = run(['validate', '--root', root]);
    expect(result.code).toBe(1);
    expect(result.err[0]).toBe('2 problems in the partner files:');
    expect(result.err.slice(1).join('\n')).toMatch(/partners\/globex\.yaml: colour: unknown field/);
    expect(result.err.slice(1).join('\n')).toMatch(
      /partners\/initech\.yaml: orgId: "initech-x" does not match the file name/,
    );
  });
});

describe('partner diff', () => {
  function gitWorkspace() {
    const root = workspaceWithPartners([
      { orgId: 'acme-corp' },
      { orgId: 'globex', webhooks: [{ id: 'all' }] },
      { orgId: 'initech', webhooks: [{ id: 'security', events: ['TempKeyUsed'] }] },
    ]);
    const git = (...args: string[]) =>
      execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], {
        cwd: root,
        stdio: 'pipe',
      });
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'base');
    return root;
  }

  const stackOf = (root: string, orgId: string) =>
    shardStackName('dev', shardOf(orgId, loadConfig({ rootDir: root }).environment.sharding.shardCount));

  it('reports no change for an unchanged tree', () => {
    const root = gitWorkspace();
    expect(diffPartners({ rootDir: root, base: 'HEAD' })).toEqual([]);
    expect(run(['diff', '--root', root]).out).toEqual(['No stack changes against HEAD.']);
  });

  it('names the stack of each added, changed and removed partner', () => {
    const root = gitWorkspace();
    writeFileSync(
      path.join(root, 'partners', 'hooli.yaml'),
      stringify(partnerDocument({ orgId: 'hooli', webhooks: [{ id: 'main' }] })),
    );
    writeFileSync(
      path.join(root, 'partners', 'initech.yaml'),
      stringify(
        partnerDocument({ orgId: 'initech', webhooks: [{ id: 'security', events: ['TempKeyUsed', 'KeyAdded'] }] }),
      ),
    );
    rmSync(path.join(root, 'partners', 'globex.yaml'));
    expect(diffPartners({ rootDir: root, base: 'HEAD' })).toEqual(
      [
        `${stackOf(root, 'hooli')}: hooli added`,
        `${stackOf(root, 'initech')}: initech changed (webhooks.security)`,
        `${stackOf(root, 'globex')}: globex removed`,
      ].sort(),
    );
  });

  it('reports a partner moved by a new shard count in both stacks, and the config change', () => {
    const root = gitWorkspace();
    const file = path.join(root, 'config', 'dev.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/shardCount: \d+/, 'shardCount: 9'));
    const lines = diffPartners({ rootDir: root, base: 'HEAD' });
    expect(lines).toContain('partner-platform-dev: config/dev.yaml changed (sharding); every stack may change');
    for (const line of lines.filter((l) => / moved (to|from) /.test(l))) {
      expect(line).toMatch(
        /^partner-platform-dev-shard-\d{3}: [a-z-]+ moved (to|from) partner-platform-dev-shard-\d{3}$/,
      );
    }
  });

  it('refuses an unknown base ref with git’s reason', () => {
    const root = gitWorkspace();
    const result = run(['diff', '--base', 'no-such-ref', '--root', root]);
    expect(result.code).toBe(1);
    expect(result.err[0]).toMatch(/^git: cannot read no-such-ref: /);
  });
});

describe('the real script', () => {
  it('runs as npm run partner -- validate and exits 1 on a bad file', () => {
    const root = makeWorkspace({
      partners: { 'globex.yaml': { ...partnerDocument({ orgId: 'globex' }), colour: 'red' } },
    });
    const result = spawnSync(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        path.join(REPO_ROOT, 'scripts', 'partner.ts'),
        'validate',
        '--root',
        root,
      ],
      { cwd: REPO_ROOT, encoding: 'utf8' },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('partners/globex.yaml: colour: unknown field');
  });
});
