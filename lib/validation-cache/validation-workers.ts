import { statSync } from 'node:fs';
import { MessageChannel, MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { PolicyValidationPluginReport, PolicyValidationStack } from 'aws-cdk-lib';

/**
 * The thread body: aws-cdk-lib's own CloudFormationValidatePlugin, one
 * template per message (as the built-in loop validates them), its engine
 * started once for the types it is told. Plain JavaScript, so the thread
 * needs no TypeScript loader.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { CloudFormationValidatePlugin } = require(workerData.awsCdkLib);
const plugin = new CloudFormationValidatePlugin();
const signal = new Int32Array(workerData.signal);
const port = workerData.port;
port.on('message', (message) => {
  let reply;
  try {
    if (message.types) {
      plugin.initializeEngine(new Set(message.types));
      reply = { ready: true };
    } else {
      const stack = message.stack;
      const context = { templatePaths: [stack.templatePath], stackTemplates: [stack], accountId: stack.accountId, region: stack.region };
      reply = { id: message.id, report: plugin.validate(context) };
    }
  } catch (error) {
    reply = { id: message.id, error: String((error && error.stack) || error) };
  }
  port.postMessage(reply);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});
`;

interface Reply {
  readonly ready?: boolean;
  readonly id?: number;
  readonly report?: PolicyValidationPluginReport;
  readonly error?: string;
}

interface Thread {
  readonly worker: Worker;
  readonly port: MessagePort;
  prepared: boolean;
  /** Templates sent and not yet answered. */
  outstanding: number;
}

interface Job {
  readonly id: number;
  readonly thread: Thread;
  report?: PolicyValidationPluginReport;
}

/**
 * A template to validate and its cache key (its text, stack path, account,
 * region and the versions): the same key is the same report, so a template
 * submitted early is not validated twice.
 */
export interface Template {
  readonly stack: PolicyValidationStack;
  readonly key: string;
}

/** How long a template may take before the synth gives up on the threads (a crashed thread never answers). */
const TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Threads that run the built-in CloudFormation validation beside the app:
 * the first starts its engine (seconds of WebAssembly set-up) while the app
 * builds and synthesizes, so a synth with one changed template does not
 * wait for it; more threads, up to the cores, join when many templates need
 * checking. Templates go to whichever thread is free; the reports come back
 * in template order, so the result does not depend on the threads.
 */
export class ValidationWorkers {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly threads: Thread[] = [];
  private readonly jobs = new Map<string, Job>();
  private readonly byId = new Map<number, Job>();
  private nextId = 0;

  constructor(private readonly maxThreads: number) {
    this.spawn();
  }

  /**
   * Starts the engines for these resource types, as the built-in plugin
   * starts its engine for all templates' types (a template with a type
   * outside them restarts its thread's engine with its own).
   */
  public prepare(types: Iterable<string>): void {
    for (const thread of this.threads) this.prepareThread(thread, types);
  }

  /**
   * Queues a template for validation now, while the app goes on (a thread
   * takes its messages in order); {@link validate} collects the report.
   * Another thread (seconds of CPU to start its engine) joins only when
   * each running one has four templates waiting.
   */
  public submit(template: Template, types: Iterable<string>): void {
    const waiting = this.threads.reduce((sum, thread) => sum + thread.outstanding, 0) + 1;
    const wanted = Math.min(this.maxThreads, Math.ceil(waiting / 4));
    while (this.threads.length < wanted) this.spawn();
    this.post(template, types);
  }

  /** Validates each template on a thread (or collects an early submission's report); blocks until all are done. */
  public validate(templates: readonly Template[], types: Iterable<string>): PolicyValidationPluginReport[] {
    const fresh = templates.filter((template) => !this.jobs.has(template.key));
    const wanted = Math.min(this.maxThreads, Math.ceil(fresh.length / 4));
    while (this.threads.length < wanted) this.spawn();
    // Largest first, so the last template to finish is a small one.
    const sizes = new Map(fresh.map((template) => [template, statSync(template.stack.templatePath).size]));
    for (const template of [...fresh].sort((a, b) => sizes.get(b)! - sizes.get(a)!)) this.post(template, types);
    const deadline = Date.now() + TIMEOUT_MS;
    const jobs = templates.map((template) => this.jobs.get(template.key)!);
    while (jobs.some((job) => job.report === undefined)) {
      const seen = Atomics.load(this.signal, 0);
      this.collect();
      if (jobs.every((job) => job.report !== undefined)) break;
      if (Date.now() > deadline) throw new Error('CloudFormation validation threads did not answer in 10 minutes');
      Atomics.wait(this.signal, 0, seen, 1000);
    }
    return jobs.map((job) => job.report!);
  }

  /** Sends a template to the thread with the fewest outstanding templates. */
  private post({ stack, key }: Template, types: Iterable<string>): void {
    if (this.jobs.has(key)) return;
    for (const thread of this.threads) if (!thread.prepared) this.prepareThread(thread, types);
    const thread = this.threads.reduce((best, t) => (t.outstanding < best.outstanding ? t : best));
    const id = this.nextId++;
    const job: Job = { id, thread };
    this.jobs.set(key, job);
    this.byId.set(id, job);
    thread.outstanding += 1;
    thread.port.postMessage({ id, stack });
  }

  /** Takes every reply the threads have sent. */
  private collect(): void {
    for (const thread of this.threads) {
      for (let reply = next(thread); reply; reply = next(thread)) {
        if (reply.error !== undefined) throw new Error(`CloudFormation validation failed: ${reply.error}`);
        const job = reply.id === undefined ? undefined : this.byId.get(reply.id);
        if (job) {
          job.report = reply.report;
          thread.outstanding -= 1;
        }
      }
    }
  }

  private prepareThread(thread: Thread, types: Iterable<string>): void {
    thread.prepared = true;
    thread.port.postMessage({ types: [...new Set(types)].sort() });
  }

  private spawn(): Thread {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { awsCdkLib: require.resolve('aws-cdk-lib'), signal: this.signal.buffer, port: port2 },
      transferList: [port2],
    });
    // Never keeps the synth alive: the app exits when its work is done.
    worker.unref();
    port1.unref();
    const thread: Thread = { worker, port: port1, prepared: false, outstanding: 0 };
    this.threads.push(thread);
    return thread;
  }
}

function next(thread: Thread): Reply | undefined {
  return receiveMessageOnPort(thread.port)?.message as Reply | undefined;
}
