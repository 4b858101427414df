import { readdirSync, readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ConfigProblem } from './config-error';
import { ENVIRONMENT_NAMES, EnvironmentConfig, EnvironmentName, environmentSchema } from './environment-schema';
import type { EventCatalog } from '../../lambda/core/event-catalog';
import { catalogSchemaProblems } from '../../lambda/core/event-validation';
import { EVENT_CATALOG_FILE, eventCatalogFileSchema } from './event-catalog-schema';
import type { ParsedPartnerFile, PartnerFileCache } from './partner-file-cache';
import { PartnerConfig, partnerSchema } from './partner-schema';

/** Everything the CDK app needs from `config/` and `partners/`, validated. */
export interface PlatformConfig {
  readonly environment: EnvironmentConfig;
  /** config/event-types.yaml: every type's source, schema and example. */
  readonly catalog: EventCatalog;
  /** Sorted by orgId, so output never depends on directory order. */
  readonly partners: readonly PartnerConfig[];
}

export interface LoadConfigOptions {
  /** Directory holding `config/` and `partners/`. */
  readonly rootDir: string;
  /** Which `config/<env>.yaml` to use. @default 'dev' */
  readonly environment?: string;
  /** Where the partner files are. @default `<rootDir>/partners` */
  readonly partnersDir?: string;
  /**
   * Keeps each partner file's parse and schema check by the file's content
   * (lib/config/partner-file-cache.ts), so an unchanged file is not parsed again.
   * @default every file is parsed
   */
  readonly partnerCache?: PartnerFileCache;
}

type Problems = ConfigProblem[];

function formatPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out || '(file)';
}

/** The object schema reached by following `segments` (for listing allowed fields). */
function schemaAt(schema: z.ZodType, segments: readonly PropertyKey[]): z.ZodType | undefined {
  let current: any = schema;
  const unwrap = () => {
    while (current?._zod?.def?.innerType) current = current._zod.def.innerType;
  };
  unwrap();
  for (const segment of segments) {
    if (typeof segment === 'number') current = current?._zod?.def?.element;
    else current = current?._zod?.def?.shape?.[segment];
    unwrap();
  }
  return current;
}

function zodProblems(file: string, schema: z.ZodType, error: z.ZodError): ConfigProblem[] {
  return error.issues.flatMap((issue): ConfigProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = Object.keys((schemaAt(schema, issue.path) as any)?._zod?.def?.shape ?? {});
      return issue.keys.map((key) => ({
        file,
        field: formatPath([...issue.path, key]),
        message: `unknown field; remove it or fix its spelling (allowed here: ${allowed.join(', ')})`,
      }));
    }
    return [{ file, field: formatPath(issue.path), message: issue.message }];
  });
}

/** Parses one YAML file; syntax errors become problems with line and column. */
function readYaml(absolute: string, file: string, problems: Problems): unknown {
  return parseYaml(readFileSync(absolute, 'utf8'), file, problems);
}

function parseYaml(text: string, file: string, problems: Problems): unknown {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const where = error.linePos?.[0];
      problems.push({
        file,
        field: where ? `line ${where.line}, column ${where.col}` : '(file)',
        message: `YAML syntax error: ${error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}; fix the YAML`,
      });
    }
    return undefined;
  }
  const value = document.toJS();
  if (value === null || value === undefined) {
    problems.push({
      file,
      field: '(file)',
      message: 'the file is empty; run `npm run partner -- add` to scaffold one',
    });
    return undefined;
  }
  return value;
}

function parseWith<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  file: string,
  problems: Problems,
): z.output<S> | undefined {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  problems.push(...zodProblems(file, schema, result.error));
  return undefined;
}

function loadEnvironment(rootDir: string, name: string, problems: Problems): EnvironmentConfig | undefined {
  if (!(ENVIRONMENT_NAMES as readonly string[]).includes(name)) {
    problems.push({
      file: 'cdk context',
      field: 'env',
      message: `unknown environment "${name}"; use -c env= one of ${ENVIRONMENT_NAMES.join(', ')}`,
    });
    return undefined;
  }
  const file = `config/${name}.yaml`;
  const absolute = path.join(rootDir, file);
  if (!existsSync(absolute)) {
    problems.push({ file, field: '(file)', message: 'missing; create it from config/dev.yaml' });
    return undefined;
  }
  const raw = readYaml(absolute, file, problems);
  if (raw === undefined) return undefined;
  const environment = parseWith(environmentSchema, raw, file, problems);
  if (environment && environment.name !== (name as EnvironmentName)) {
    problems.push({ file, field: 'name', message: `must be "${name}", the file's environment` });
  }
  return environment;
}

export { EVENT_CATALOG_FILE };

/**
 * Reads and checks the event catalog: its shape, then that every schema
 * compiles and every example validates. Problems are reported once, here;
 * undefined tells the caller the catalog is unusable.
 */
function loadEventCatalog(rootDir: string, problems: Problems): EventCatalog | undefined {
  const file = EVENT_CATALOG_FILE;
  const absolute = path.join(rootDir, file);
  if (!existsSync(absolute)) {
    problems.push({ file, field: '(file)', message: 'missing; list the detail-types partners may subscribe to' });
    return undefined;
  }
  const raw = readYaml(absolute, file, problems);
  const parsed = raw === undefined ? undefined : parseWith(eventCatalogFileSchema, raw, file, problems);
  if (!parsed) return undefined;
  const catalog: EventCatalog = {
    types: parsed.eventTypes.map(({ name, source, description, schema, example }) => ({
      name,
      source,
      description,
      schema,
      example,
    })),
  };
  const schemaProblems = catalogSchemaProblems(catalog);
  for (const problem of schemaProblems) {
    const index = catalog.types.findIndex((type) => type.name === problem.type);
    problems.push({
      file,
      field: `eventTypes[${index}].${problem.field}`,
      message: `${problem.type}: ${problem.field === 'schema' ? 'the JSON Schema does not compile' : 'does not validate against its schema'}: ${problem.message}`,
    });
  }
  return schemaProblems.length === 0 ? catalog : undefined;
}

/**
 * One environment's settings alone, for tools that need no partners (the
 * partner-facing event catalog document quotes each one's retry policy).
 * @throws ConfigError listing every problem in config/<name>.yaml.
 */
export function readEnvironment(rootDir: string, name: string): EnvironmentConfig {
  const problems: Problems = [];
  const environment = loadEnvironment(rootDir, name, problems);
  if (!environment || problems.length > 0) throw new ConfigError(problems);
  return environment;
}

/**
 * The event catalog alone, for tools that need no partners (the catalog
 * generator, the docs, the bench generator).
 * @throws ConfigError listing every problem in config/event-types.yaml.
 */
export function readEventCatalog(rootDir: string): EventCatalog {
  const problems: Problems = [];
  const catalog = loadEventCatalog(rootDir, problems);
  if (!catalog) throw new ConfigError(problems);
  return catalog;
}

/** One partner file's YAML parse and schema check: its problems, the partner, and the orgId it claims. */
function parsePartnerFile(schema: z.ZodType<PartnerConfig>, text: string, file: string): ParsedPartnerFile {
  const problems: Problems = [];
  const raw = parseYaml(text, file, problems);
  if (raw === undefined) return { problems };
  const partner = parseWith(schema, raw, file, problems);
  const orgId = partner?.orgId ?? (raw as { orgId?: unknown }).orgId;
  return { problems, partner, orgId: typeof orgId === 'string' ? orgId : undefined };
}

function loadPartners(
  partnersDir: string,
  relativeDir: string,
  eventTypes: readonly string[] | undefined,
  allowHttp: boolean,
  problems: Problems,
  cache?: PartnerFileCache,
): PartnerConfig[] {
  if (!existsSync(partnersDir)) return [];
  const schema = partnerSchema({ eventTypes, allowHttp });
  const partners: PartnerConfig[] = [];
  const owners = new Map<string, string>();
  const names = readdirSync(partnersDir)
    .filter((name) => !name.startsWith('.') && /\.ya?ml$/i.test(name))
    .sort();
  for (const name of names) {
    const file = `${relativeDir}/${name}`;
    if (!name.endsWith('.yaml')) {
      problems.push({ file, field: '(file)', message: `rename it to ${name.replace(/\.ya?ml$/i, '.yaml')}` });
      continue;
    }
    const text = readFileSync(path.join(partnersDir, name), 'utf8');
    const parsed = cache?.parse(file, text, { eventTypes, allowHttp }, () => parsePartnerFile(schema, text, file));
    const { partner, orgId, problems: fileProblems } = parsed ?? parsePartnerFile(schema, text, file);
    problems.push(...fileProblems);
    const stem = name.slice(0, -'.yaml'.length);
    if (typeof orgId === 'string' && orgId !== stem) {
      problems.push({
        file,
        field: 'orgId',
        message: `"${orgId}" does not match the file name; rename the file to ${orgId}.yaml or set orgId: ${stem}`,
      });
    }
    if (typeof orgId === 'string') {
      const owner = owners.get(orgId);
      if (owner) {
        problems.push({
          file,
          field: 'orgId',
          message: `"${orgId}" is already used by ${owner}; orgIds must be unique`,
        });
      } else {
        owners.set(orgId, file);
      }
    }
    if (partner) partners.push(partner);
  }
  return partners.sort((a, b) => (a.orgId < b.orgId ? -1 : a.orgId > b.orgId ? 1 : 0));
}

/**
 * Reads and validates the environment, the event catalog and every partner
 * file. Throws one {@link ConfigError} listing every problem in every file.
 */
export function loadConfig(options: LoadConfigOptions): PlatformConfig {
  const problems: Problems = [];
  const environment = loadEnvironment(options.rootDir, options.environment ?? 'dev', problems);
  const catalog = loadEventCatalog(options.rootDir, problems);
  const partnersDir = options.partnersDir ?? path.join(options.rootDir, 'partners');
  const relative = path.relative(options.rootDir, partnersDir).split(path.sep).join('/') || '.';
  const relativeDir = relative.startsWith('..') ? partnersDir : relative;
  const partners = loadPartners(
    partnersDir,
    relativeDir,
    catalog?.types.map((type) => type.name),
    environment?.allowHttpWebhooks ?? false,
    problems,
    options.partnerCache,
  );
  if (problems.length > 0 || !environment || !catalog) throw new ConfigError(problems);
  return { environment, catalog, partners };
}
