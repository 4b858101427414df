/**
 * The local EventBridge's dead-letter queues on disk (`--data`): every
 * queue's messages as one JSON file, rewritten after each change (mode
 * 0600: the events are partners' data). Without a file the queues live in
 * memory, as before.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

export class DeadLetterFile<Letter> {
  constructor(private readonly file: string | undefined) {}

  /** The queues as last saved; empty without a file or before the first save. */
  load(): Map<string, Letter[]> {
    if (this.file === undefined || !existsSync(this.file)) return new Map();
    const saved = JSON.parse(readFileSync(this.file, 'utf8')) as { queues?: Record<string, Letter[]> };
    return new Map(Object.entries(saved.queues ?? {}));
  }

  save(queues: ReadonlyMap<string, readonly Letter[]>): void {
    if (this.file === undefined) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ queues: Object.fromEntries(queues) })}\n`, { mode: 0o600 });
    chmodSync(temporary, 0o600);
    renameSync(temporary, this.file);
  }
}
