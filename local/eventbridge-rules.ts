/**
 * The rule and target operations of the local EventBridge control plane,
 * with AWS's request and response shapes and its rules: PutRule creates or
 * replaces the whole rule (omitted fields are not kept, and the state is
 * ENABLED unless given), DeleteRule refuses while targets remain and is a
 * no-op for a rule that does not exist, a rule holds at most 5 targets, a
 * bus at most its quota of rules.
 */
import { EventPatternError, matchesEventPattern } from '../lib/event-pattern/match';
import { optional, type Operation } from './eventbridge-destinations';
import { EventBridgeApiError, invalid, limitExceeded, notFound } from './eventbridge-errors';
import type { EventBridgeStore, RuleRecord, TargetRecord } from './eventbridge-store';
import { type Input, isValidName, nameFromArn, optionalString, paginate, resourceName } from './eventbridge-validation';

const RULE_STATES = new Set(['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']);
/** The EventBridge quota on an event pattern's size. */
const MAX_PATTERN_CHARS = 2048;
const MAX_TARGETS_PER_CALL = 10;

export function ruleOperations(store: EventBridgeStore): Record<string, Operation> {
  return {
    PutRule: (input) => putRule(store, input),
    DescribeRule: (input) => describeRule(existingRule(store, input, 'Name')),
    DeleteRule: (input) => deleteRule(store, input),
    ListRules: (input) => listRules(store, input),
    EnableRule: (input) => setState(store, input, 'EnableRule', 'ENABLED'),
    DisableRule: (input) => setState(store, input, 'DisableRule', 'DISABLED'),
    PutTargets: (input) => putTargets(store, input),
    RemoveTargets: (input) => removeTargets(store, input),
    ListTargetsByRule: (input) => {
      const rule = existingRule(store, input, 'Rule');
      const page = paginate(rule.Targets, input);
      return { Targets: page.items, ...optional('NextToken', page.nextToken) };
    },
  };
}

/** The bus a call names (by name or ARN), `default` when it names none; it must exist. */
function busOf(store: EventBridgeStore, input: Input): string {
  const given = optionalString(input, 'EventBusName');
  const name = given === undefined ? 'default' : nameFromArn(given, 'event-bus');
  if (!store.buses.has(name)) throw notFound(`Event bus ${name}`);
  return name;
}

function existingRule(store: EventBridgeStore, input: Input, field: 'Name' | 'Rule'): RuleRecord {
  const bus = busOf(store, input);
  const name = resourceName(input, field);
  const rule = store.rule(bus, name);
  if (!rule) throw notFound(`Rule ${name} on EventBus ${bus}`);
  return rule;
}

function eventPattern(input: Input): string | undefined {
  const text = optionalString(input, 'EventPattern');
  if (text === undefined) return undefined;
  if (text.length > MAX_PATTERN_CHARS) {
    throw invalid(`Event pattern is ${text.length} characters long; the maximum is ${MAX_PATTERN_CHARS}.`);
  }
  try {
    const pattern: unknown = JSON.parse(text);
    if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern)) throw new Error('not an object');
    matchesEventPattern(pattern as Record<string, unknown>, {});
  } catch (error) {
    const reason = error instanceof EventPatternError ? error.message : 'Event pattern is not valid JSON.';
    throw new EventBridgeApiError('InvalidEventPatternException', reason);
  }
  return text;
}

function putRule(store: EventBridgeStore, input: Input) {
  const bus = busOf(store, input);
  const name = resourceName(input);
  const pattern = eventPattern(input);
  const schedule = optionalString(input, 'ScheduleExpression');
  if (pattern === undefined && schedule === undefined) {
    throw invalid('Parameter(s) EventPattern or ScheduleExpression must be specified.');
  }
  const state = optionalString(input, 'State') ?? 'ENABLED';
  if (!RULE_STATES.has(state)) throw invalid(`State must be one of ${[...RULE_STATES].join(', ')}`);
  const current = store.rule(bus, name);
  if (!current && store.listRules(bus).length >= store.limits.rulesPerEventBus) {
    throw limitExceeded(
      `The requested resource exceeds the maximum number allowed: ${store.limits.rulesPerEventBus} rules on EventBus ${bus}.`,
    );
  }
  const record: RuleRecord = {
    Name: name,
    Arn: store.ruleArn(bus, name),
    EventBusName: bus,
    ...optional('EventPattern', pattern),
    ...optional('ScheduleExpression', schedule),
    State: state,
    ...optional('Description', optionalString(input, 'Description')),
    ...optional('RoleArn', optionalString(input, 'RoleArn')),
    CreatedBy: store.account,
    Targets: current?.Targets ?? [],
    origin: current?.origin ?? 'runtime',
    ...optional('templateId', current?.templateId),
  };
  store.putRule('PutRule', record, current);
  return { RuleArn: record.Arn };
}

function describeRule(rule: RuleRecord) {
  return {
    Name: rule.Name,
    Arn: rule.Arn,
    ...optional('EventPattern', rule.EventPattern),
    ...optional('ScheduleExpression', rule.ScheduleExpression),
    State: rule.State,
    ...optional('Description', rule.Description),
    ...optional('RoleArn', rule.RoleArn),
    EventBusName: rule.EventBusName,
    CreatedBy: rule.CreatedBy,
  };
}

function deleteRule(store: EventBridgeStore, input: Input) {
  const bus = busOf(store, input);
  const rule = store.rule(bus, resourceName(input));
  if (!rule) return {};
  if (rule.Targets.length > 0) throw invalid("Rule can't be deleted since it has targets.");
  store.deleteRule('DeleteRule', rule);
  return {};
}

function listRules(store: EventBridgeStore, input: Input) {
  const prefix = optionalString(input, 'NamePrefix') ?? '';
  const rules = store.listRules(busOf(store, input)).filter((rule) => rule.Name.startsWith(prefix));
  const page = paginate(rules, input);
  return {
    Rules: page.items.map((rule) => {
      const { CreatedBy: _createdBy, ...summary } = describeRule(rule);
      return summary;
    }),
    ...optional('NextToken', page.nextToken),
  };
}

function setState(store: EventBridgeStore, input: Input, operation: string, state: string) {
  const rule = existingRule(store, input, 'Name');
  store.putRule(operation, { ...rule, State: state }, rule);
  return {};
}

function putTargets(store: EventBridgeStore, input: Input) {
  const rule = existingRule(store, input, 'Rule');
  const targets = input.Targets;
  if (!Array.isArray(targets) || targets.length < 1 || targets.length > MAX_TARGETS_PER_CALL) {
    throw invalid(`Targets must hold 1 to ${MAX_TARGETS_PER_CALL} targets`);
  }
  const failed: Array<{ TargetId: string; ErrorCode: string; ErrorMessage: string }> = [];
  const next = new Map(rule.Targets.map((target) => [target.Id, target]));
  for (const target of targets as TargetRecord[]) {
    if (typeof target?.Id !== 'string' || !isValidName(target.Id) || typeof target.Arn !== 'string') {
      failed.push({
        TargetId: String(target?.Id ?? ''),
        ErrorCode: 'ValidationException',
        ErrorMessage: 'A target needs an Id ([.-_A-Za-z0-9]{1,64}) and an Arn.',
      });
      continue;
    }
    next.set(target.Id, { ...target });
  }
  if (next.size > store.limits.targetsPerRule) {
    throw limitExceeded(
      `The requested resource exceeds the maximum number allowed: ${store.limits.targetsPerRule} targets per rule.`,
    );
  }
  store.putRule('PutTargets', { ...rule, Targets: [...next.values()] }, rule);
  return { FailedEntryCount: failed.length, FailedEntries: failed };
}

function removeTargets(store: EventBridgeStore, input: Input) {
  const rule = existingRule(store, input, 'Rule');
  const ids = input.Ids;
  if (!Array.isArray(ids) || ids.length < 1 || ids.length > 100 || !ids.every((id) => typeof id === 'string')) {
    throw invalid('Ids must hold 1 to 100 target ids');
  }
  const remove = new Set(ids as string[]);
  store.putRule('RemoveTargets', { ...rule, Targets: rule.Targets.filter((target) => !remove.has(target.Id)) }, rule);
  return { FailedEntryCount: 0, FailedEntries: [] };
}
