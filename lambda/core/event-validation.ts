/**
 * Checks events against the catalog's JSON Schemas with Ajv (draft-07, strict
 * mode, standard formats). The config loader uses it to prove every schema
 * compiles and every example validates; producers use it before PutEvents,
 * so a partner never receives an event its documented schema refuses.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ValidationError } from './errors';
import type { EventCatalog, EventTypeEntry } from './event-catalog';
import { findEventType } from './event-catalog';

/** An event as a producer hands it to PutEvents. */
export interface ProducerEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: unknown;
}

/** One thing wrong with an event: `field` is `source`, `detail-type` or a path such as `detail.lockId`. */
export interface EventProblem {
  readonly field: string;
  readonly message: string;
}

/** An event breaks the catalog (unknown type, wrong source, or a detail its schema refuses). */
export class EventRejectedError extends ValidationError {
  public readonly problems: readonly EventProblem[];

  public constructor(event: Pick<ProducerEvent, 'detailType'>, problems: readonly EventProblem[]) {
    super(
      `event ${JSON.stringify(event.detailType)} breaks the event catalog: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
      { field: problems[0]?.field },
    );
    this.name = 'EventRejectedError';
    this.problems = problems;
  }
}

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}

function describe(error: ErrorObject): EventProblem {
  const pointer = error.instancePath.split('/').slice(1).join('.');
  const missing = error.keyword === 'required' ? `.${String(error.params.missingProperty)}` : '';
  const extra = error.keyword === 'additionalProperties' ? ` (${String(error.params.additionalProperty)})` : '';
  return {
    field: `detail${pointer ? `.${pointer}` : ''}${missing}`,
    message: `${error.message ?? 'is invalid'}${extra}`,
  };
}

/**
 * Compiles a schema, or says why it does not compile (a typo'd keyword in
 * strict mode, a bad `$ref`, an unknown format).
 */
export function compileDetailSchema(
  ajv: Ajv,
  type: EventTypeEntry,
): { validate: ValidateFunction } | { error: string } {
  try {
    return { validate: ajv.compile(type.schema) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * Validates producer events against a catalog. Schemas compile on first use
 * of their type, so a cold start pays only for the types it publishes.
 */
export class EventValidator {
  private readonly ajv = newAjv();
  private readonly compiled = new Map<string, ValidateFunction>();

  public constructor(private readonly catalog: EventCatalog) {}

  /** Every problem with the event; empty when it may be published. */
  public problems(event: ProducerEvent): EventProblem[] {
    const type = findEventType(this.catalog, event.detailType);
    if (!type) {
      return [{ field: 'detail-type', message: `"${event.detailType}" is not in the event catalog` }];
    }
    if (event.source !== type.source) {
      return [{ field: 'source', message: `${type.name} is published by ${type.source}, not ${event.source}` }];
    }
    const validate = this.validatorOf(type);
    return validate(event.detail) ? [] : (validate.errors ?? []).map(describe);
  }

  /** @throws EventRejectedError when the event has any problem. */
  public assertValid(event: ProducerEvent): void {
    const problems = this.problems(event);
    if (problems.length > 0) throw new EventRejectedError(event, problems);
  }

  private validatorOf(type: EventTypeEntry): ValidateFunction {
    let validate = this.compiled.get(type.name);
    if (!validate) {
      const result = compileDetailSchema(this.ajv, type);
      if ('error' in result) throw new Error(`the catalog schema of ${type.name} does not compile: ${result.error}`);
      validate = result.validate;
      this.compiled.set(type.name, validate);
    }
    return validate;
  }
}

export interface CatalogSchemaProblem {
  readonly type: string;
  readonly field: 'schema' | 'example';
  readonly message: string;
}

/** What is wrong with each catalog entry's schema and example; empty for a sound catalog. */
export function catalogSchemaProblems(catalog: EventCatalog): CatalogSchemaProblem[] {
  const ajv = newAjv();
  return catalog.types.flatMap((type): CatalogSchemaProblem[] => {
    const result = compileDetailSchema(ajv, type);
    if ('error' in result) return [{ type: type.name, field: 'schema', message: result.error }];
    if (result.validate(type.example)) return [];
    return (result.validate.errors ?? []).map((error) => {
      const problem = describe(error);
      return { type: type.name, field: 'example', message: `${problem.field}: ${problem.message}` };
    });
  });
}
