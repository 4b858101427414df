/**
 * The local runtime end to end, started the way `npm run local` starts it:
 * three partners synthesized in a temp workspace, the runtime built from
 * that cloud assembly (its own DynamoDB Local, API, EventBridge endpoint),
 * real HTTP receivers on 127.0.0.1 standing in for the partners' URLs, and
 * every call made over real HTTP (fetch, the real EventBridge client, the
 * CLI as a child process).
 */
import { localEventBridgeClient } from '../../local/eventbridge-client';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FakeClock } from '../../lambda/core/clock';
import { repositoriesFor } from '../../lambda/repositories/platform-repositories';
import { LocalRuntimeError, type LocalRuntime, startLocalRuntime } from '../../local/runtime';
import { apiFlowSuite, type FlowWorld } from '../api/api-flow';
import type { ApiResponse, CallOptions } from '../api/api-harness';
import { RecordingReceiver } from './recording-receiver';
import { LOCAL_CLI } from '../support/local-cli';
import { loadWorkspace, REPO_ROOT, synthesize, workspaceWithPartners } from '../support/workspace';

const run = promisify(execFile);

interface Hook {
  readonly orgId: string;
  readonly id: string;
  readonly events: readonly string[];
}

const HOOKS: readonly Hook[] = [
  { orgId: 'alpha', id: 'all', events: ['*'] },
  { orgId: 'beta', id: 'primary', events: ['LockCreated', 'KeyAdded'] },
  { orgId: 'gamma', id: 'security', events: ['OwnerSet', 'TempKeyUsed'] },
  // Answers 500 until healed: retried, then dead-lettered, then replayed.
  { orgId: 'gamma', id: 'devices', events: ['HubOffline', 'HubOnline'] },
];
// All from spk.api, the source the events below are published with.
const TYPES = ['LockCreated', 'KeyAdded', 'OwnerSet', 'TempKeyUsed', 'HubOffline', 'HubOnline', 'KeyRemoved'];
const PARTNER_IDS = ['alpha', 'beta', 'gamma', 'nobody'];
const RETRY_ATTEMPTS = 2;
const hookUrl = (hook: Hook) => `https://${hook.orgId}.example/hooks/${hook.id}`;

let outdir: string;
let runtime: LocalRuntime;
const receivers = new Map<string, RecordingReceiver>();
const urlOverrides: Record<string, string> = {};
const clock = new FakeClock('2026-03-01T00:00:00.000Z');

beforeAll(async () => {
  const partners = [...new Set(HOOKS.map((hook) => hook.orgId))].map((orgId) => ({
    orgId,
    webhooks: HOOKS.filter((hook) => hook.orgId === orgId).map((hook) => ({
      id: hook.id,
      url: hookUrl(hook),
      events: [...hook.events],
    })),
  }));
  const root = workspaceWithPartners(partners, {
    environmentOverrides: { delivery: { retryAttempts: RETRY_ATTEMPTS } },
  });
  outdir = synthesize(loadWorkspace(root)).outdir;
  for (const hook of HOOKS) {
    const receiver = new RecordingReceiver();
    receivers.set(`${hook.orgId}/${hook.id}`, receiver);
    urlOverrides[hookUrl(hook)] = await receiver.start();
  }
  receivers.get('gamma/devices')!.status = 500;
  runtime = await startLocalRuntime({
    assemblyDir: outdir,
    port: 0,
    urlOverrides,
    clock,
    // The test verifies when it wants to; the interval would race the flow's fake clock.
    verificationIntervalMs: 3_600_000,
    // The CLI's dlq list|replay reads the queue, which the DLQ consumer would drain.
    deadLetterConsumer: false,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
  });
}, 120_000);

afterAll(async () => {
  await runtime?.stop();
  await Promise.all([...receivers.values()].map((receiver) => receiver.stop()));
});

async function call(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<ApiResponse> {
  const response = await fetch(url, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: response.status, body: await response.json() };
}

describe('npm run local: onboarding from the synthesized custom resources', () => {
  it('onboards every partner with the onboarding handler and returns each initial key once', async () => {
    expect(runtime.partners.map((partner) => partner.orgId)).toEqual(['alpha', 'beta', 'gamma']);
    for (const partner of runtime.partners) {
      expect(partner.initialApiKey).toMatch(/^[A-Za-z0-9]{40}$/);
      const probe = await call('GET', `${runtime.apiUrl}/partner-auth-probe`, { 'X-API-Key': partner.initialApiKey! });
      expect(probe).toEqual({
        status: 200,
        body: expect.objectContaining({ orgId: partner.orgId, status: 'active' }),
      });
    }
    // Keys are stored only as hashes: no item holds a plaintext key.
    const { webhooks } = repositoriesFor(runtime.doc, runtime.tables, clock);
    expect((await webhooks.listAll('gamma')).map((webhook) => webhook.webhookId).sort()).toEqual([
      'devices',
      'security',
    ]);
  });

  it('verifies the webhooks against the receivers: 2xx makes them active, a 500 keeps one pending', async () => {
    const { webhooks } = repositoriesFor(runtime.doc, runtime.tables, clock);
    expect(receivers.get('alpha/all')!.challenges).toHaveLength(1);
    expect(receivers.get('alpha/all')!.challenges[0]).toMatchObject({
      'webhook-id': expect.any(String),
      'webhook-timestamp': expect.any(String),
      'webhook-signature': expect.stringMatching(/^v1,/),
    });
    expect(await webhooks.require('alpha', 'all')).toMatchObject({ status: 'active' });
    expect(await webhooks.require('beta', 'primary')).toMatchObject({ status: 'active' });
    expect(await webhooks.require('gamma', 'devices')).toMatchObject({ status: 'pending', lastError: 'HTTP 500' });
  });

  it('answers unknown routes and missing keys with the gateway responses of the template', async () => {
    expect(await call('GET', `${runtime.apiUrl}/nowhere`, {})).toMatchObject({ status: 404 });
    expect(await call('GET', `${runtime.apiUrl}/partner-auth-probe`, {})).toEqual({
      status: 401,
      body: { error: { code: 'unauthorized', message: 'Unauthorized' } },
    });
    expect(await call('GET', `${runtime.apiUrl}/tenants`, {})).toEqual({
      status: 401,
      body: { error: { code: 'unauthorized', message: 'Unauthorized' } },
    });
  });
});

describe('npm run local: events through the EventBridge endpoint', () => {
  it('delivers 300 events to exactly their subscribers; 500 is retried, 400 is not; the CLI replays the DLQ', async () => {
    // beta answers 400 from now on (its webhook verified earlier), gamma/devices 500 all along.
    const strict = receivers.get('beta/primary')!;
    strict.status = 400;
    const client = localEventBridgeClient(runtime.eventBridgeUrl);
    const published: Array<{ type: string; detail: { partnerId: string; seq: number } }> = [];
    for (let seq = 0; seq < 300; seq += 1) {
      published.push({
        type: TYPES[Math.floor(seq / PARTNER_IDS.length) % TYPES.length],
        detail: { partnerId: PARTNER_IDS[seq % PARTNER_IDS.length], seq },
      });
    }
    for (let offset = 0; offset < published.length; offset += 10) {
      const result = await client.send(
        new PutEventsCommand({
          Entries: published.slice(offset, offset + 10).map((event) => ({
            Source: 'spk.api',
            DetailType: event.type,
            Detail: JSON.stringify(event.detail),
          })),
        }),
      );
      expect(result.FailedEntryCount).toBe(0);
    }
    client.destroy();
    await runtime.bus.whenIdle();

    const expected = (hook: Hook) =>
      published
        .filter((event) => event.detail.partnerId === hook.orgId)
        .filter((event) => hook.events.includes('*') || hook.events.includes(event.type))
        .map((event) => event.detail);
    for (const hook of HOOKS.filter((candidate) => candidate.orgId !== 'beta' && candidate.id !== 'devices')) {
      const receiver = receivers.get(`${hook.orgId}/${hook.id}`)!;
      const got = receiver.received.map((event) => event.body.detail).sort((a, b) => a.seq - b.seq);
      expect(got).toEqual(expected(hook));
      expect(receiver.received.every((event) => event.headers['x-partner-platform-secret'] !== undefined)).toBe(true);
    }
    const flaky = receivers.get('gamma/devices')!;
    const flakyExpected = expected(HOOKS[3]);
    expect(flakyExpected.length).toBeGreaterThan(0);
    expect(flaky.totalAttempts).toBe(flakyExpected.length * (1 + RETRY_ATTEMPTS));
    const strictExpected = expected(HOOKS[1]);
    expect(strictExpected.length).toBeGreaterThan(0);
    expect(strict.totalAttempts).toBe(strictExpected.length);
    expect(strict.received).toEqual([]);

    // The CLI lists the dead letters of the running runtime, then replays them to the healed receiver.
    const port = String(Number(new URL(runtime.eventBridgeUrl).port) - 1);
    const listed = await run(LOCAL_CLI[0], [...LOCAL_CLI.slice(1), 'dlq', 'list', '--port', port], { cwd: REPO_ROOT });
    const lines = listed.stdout.split('\n');
    const queued = lines.filter((line) => / message\(s\)$/.test(line));
    const total = queued.reduce((sum, line) => sum + Number(/(\d+) message\(s\)$/.exec(line)![1]), 0);
    expect(total).toBe(flakyExpected.length + strictExpected.length);
    expect(lines.filter((line) => line.endsWith('3 attempts, HTTP 500'))).toHaveLength(flakyExpected.length);
    expect(lines.filter((line) => line.endsWith('1 attempt, HTTP 400'))).toHaveLength(strictExpected.length);
    flaky.status = 200;
    strict.status = 200;
    const replayed = await run(LOCAL_CLI[0], [...LOCAL_CLI.slice(1), 'dlq', 'replay', '--port', port], {
      cwd: REPO_ROOT,
    });
    expect(replayed.stdout).toContain(`replayed ${flakyExpected.length + strictExpected.length} event(s)`);
    await runtime.bus.whenIdle();
    expect(flaky.received.map((event) => event.body.detail).sort((a, b) => a.seq - b.seq)).toEqual(flakyExpected);
    expect(strict.received.map((event) => event.body.detail).sort((a, b) => a.seq - b.seq)).toEqual(strictExpected);
    expect(runtime.bus.deadLetters()).toEqual([]);
  }, 60_000);
});

const world: FlowWorld = {
  clock,
  get keys() {
    return repositoriesFor(runtime.doc, runtime.tables, clock).keys;
  },
  get webhooks() {
    return repositoriesFor(runtime.doc, runtime.tables, clock).webhooks;
  },
  get secrets() {
    return runtime.secrets;
  },
  get webhookSecretPrefix() {
    return runtime.webhookSecretPrefix;
  },
  get adminEmail() {
    return runtime.admin.email;
  },
  callAdmin: async (method: string, pathAndQuery: string, options: CallOptions = {}) => {
    const headers = options.headers ?? {
      'X-Admin-API-Key': runtime.admin.apiKey,
      Authorization: `Bearer ${await runtime.admin.token()}`,
    };
    return call(method, `${runtime.apiUrl}${pathAndQuery}`, headers, options.body);
  },
  callPartner: async (method: string, pathAndQuery: string, apiKey: string | undefined, options: CallOptions = {}) => {
    // The flow checks the key state right after each change; API Gateway's 30 s
    // authorizer cache (covered in test/local/api-gateway.test.ts) would hide it.
    runtime.gateway.flushAuthorizerCache();
    const headers = { ...(apiKey === undefined ? {} : { 'X-API-Key': apiKey }), ...options.headers };
    return call(method, `${runtime.apiUrl}${pathAndQuery}`, headers, options.body);
  },
};

apiFlowSuite('npm run local: the admin and partner flow over HTTP', () => world);

describe('npm run local: errors and persistence', () => {
  it('refuses a missing cdk.out and a taken port with one line that says what to do', async () => {
    const missing = path.join(tmpdir(), 'pp-no-such-assembly');
    await expect(startLocalRuntime({ assemblyDir: missing, port: 0 })).rejects.toThrow(
      new LocalRuntimeError(`no synthesized app in ${missing}: run \`npm run synth\` first (or pass --assembly DIR)`),
    );
    const taken = Number(new URL(runtime.apiUrl).port);
    await expect(startLocalRuntime({ assemblyDir: outdir, port: taken })).rejects.toThrow(
      `port ${taken} (the API) is in use on 127.0.0.1: stop what holds it, or pass --port N to use N and N+1`,
    );
  });

  it('with --data keeps tenants, keys and generated secrets across restarts and never shows a key twice', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pp-local-data-'));
    try {
      const first = await startLocalRuntime({ assemblyDir: outdir, port: 0, dataDir });
      const keys = Object.fromEntries(first.partners.map((partner) => [partner.orgId, partner.initialApiKey]));
      await first.stop();
      const secretsFile = path.join(dataDir, 'secrets.json');
      expect(statSync(secretsFile).mode & 0o777).toBe(0o600);
      // Plaintext partner keys are never written to disk.
      for (const key of Object.values(keys)) expect(readFileSync(secretsFile, 'utf8')).not.toContain(key);

      const second = await startLocalRuntime({ assemblyDir: outdir, port: 0, dataDir });
      try {
        expect(second.partners.map((partner) => partner.initialApiKey)).toEqual([undefined, undefined, undefined]);
        const probe = await call('GET', `${second.apiUrl}/partner-auth-probe`, { 'X-API-Key': keys.alpha! });
        expect(probe.status).toBe(200);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
