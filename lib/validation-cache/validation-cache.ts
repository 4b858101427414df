import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';

/**
 * A directory of validation results keyed by the SHA-256 of exactly what
 * the validation read (a template's text, the rule pack and library
 * versions, ...). A result is only ever served for the same key, so a
 * changed input is always checked again; a missing or unreadable entry is a
 * miss. Writes go through a temporary file and a rename, so concurrent
 * synths (jest workers, two shells) never read half an entry.
 */
export class ValidationCache {
  /** Entries served and stored during this process, per kind (for the synth's timing line and tests). */
  public readonly stats: Record<string, { hits: number; misses: number }> = {};

  constructor(public readonly dir: string) {}

  public get<T>(kind: string, key: string): T | undefined {
    const value = this.peek<T>(kind, key);
    this.count(kind)[value === undefined ? 'misses' : 'hits'] += 1;
    return value;
  }

  /** The entry under `key`, without counting it as served or missed. */
  public peek<T>(kind: string, key: string): T | undefined {
    try {
      const value = JSON.parse(readFileSync(this.file(kind, key), 'utf8')) as { key: string; value: T };
      if (value.key === key) return value.value;
    } catch {
      // not cached (or unreadable): validate again
    }
    return undefined;
  }

  /** Counts an entry served (`hit`) or made anew by the caller. */
  public record(kind: string, hit: boolean): void {
    this.count(kind)[hit ? 'hits' : 'misses'] += 1;
  }

  public put<T>(kind: string, key: string, value: T): void {
    const file = this.file(kind, key);
    mkdirSync(path.dirname(file), { recursive: true });
    const temporary = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(temporary, JSON.stringify({ key, value }));
    renameSync(temporary, file);
  }

  private file(kind: string, key: string): string {
    return path.join(this.dir, kind, key.slice(0, 2), `${key}.json`);
  }

  private count(kind: string) {
    return (this.stats[kind] ??= { hits: 0, misses: 0 });
  }
}

/** SHA-256 (hex) of the parts, each length-prefixed so no two part lists collide. */
export function contentKey(parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${Buffer.byteLength(part)}:`).update(part);
  return hash.digest('hex');
}

/** The installed version of a package (its package.json), part of every key that package's code decides. */
export function packageVersion(name: string): string {
  let dir = path.dirname(require.resolve(name));
  for (;;) {
    try {
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (manifest.name === name && manifest.version) return manifest.version;
    } catch {
      // keep walking up
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package.json of ${name}`);
    dir = parent;
  }
}
