import { contentKey } from '../validation-cache/validation-cache';
import type { ConfigProblem } from './config-error';
import type { PartnerConfig } from './partner-schema';

/** The cache kind of parsed partner files (beside lib/validation-cache's kinds, in the same directory). */
export const PARTNER_FILE_KIND = 'partner-file';

/** One partner file's YAML parse and schema check. */
export interface ParsedPartnerFile {
  readonly problems: readonly ConfigProblem[];
  readonly partner?: PartnerConfig;
  /** The orgId the file claims (also when the schema refused the file), for the file-name and uniqueness checks. */
  readonly orgId?: string;
}

/** Any store of JSON values by kind and key (lib/validation-cache's ValidationCache is one). */
export interface JsonStore {
  get<T>(kind: string, key: string): T | undefined;
  put<T>(kind: string, key: string, value: T): void;
}

/**
 * Each partner file's parse and schema check, kept by everything it depends
 * on: the file's name and text, what the schema is made with (the event
 * types, whether HTTP is allowed) and the digest of the code that parses and
 * checks it (the app's source files and the lock file, which fixes the yaml
 * and zod versions). A changed file, schema or source is parsed again; an
 * unchanged one is read back without YAML parsing, which is most of loading
 * 3,000 partner files.
 */
export class PartnerFileCache {
  constructor(
    private readonly store: JsonStore,
    /** Digest of the source files (lib/bundle-input-hash.ts `appSourceDigest`). */
    private readonly codeDigest: string,
  ) {}

  public parse(file: string, text: string, schemaInputs: unknown, parse: () => ParsedPartnerFile): ParsedPartnerFile {
    const key = contentKey(['partner-file/1', this.codeDigest, JSON.stringify(schemaInputs), file, text]);
    const cached = this.store.get<ParsedPartnerFile>(PARTNER_FILE_KIND, key);
    if (cached) return cached;
    const parsed = parse();
    this.store.put(PARTNER_FILE_KIND, key, parsed);
    return parsed;
  }
}
