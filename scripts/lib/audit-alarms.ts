/**
 * The alarms section of the audit report: every CloudWatch alarm of every
 * stack, what it watches, when it fires and whom it tells, read from the
 * templates only. An alarm that tells nobody (no action, or actions
 * disabled) is a problem: it would go off in silence.
 */
import {
  type CfnResourceJson,
  type CloudAssemblyView,
  referencedResource,
  renderValue,
  resourcesOfType,
  type StackArtifact,
} from '../../local/cloud-assembly';

export interface AlarmAudit {
  readonly stack: string;
  readonly logicalId: string;
  readonly name: string;
  /** `Namespace MetricName (dimension=value, ...)`, or the query or expression the alarm evaluates. */
  readonly watches: string;
  /** e.g. `> 0 in 1 of 1 period(s) of 300 s, missing data notBreaching`. */
  readonly condition: string;
  /** Who is told when it fires: each ALARM action, a topic of the assembly by its name. */
  readonly actions: readonly string[];
  /** False when the template turns its actions off. */
  readonly actionsEnabled: boolean;
}

const OPERATORS: Readonly<Record<string, string>> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '>=',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
};

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function metricText(metric: Record<string, any> | undefined): string {
  const dimensions = (metric?.Dimensions ?? []).map(
    (d: { Name: string; Value: unknown }) => `${d.Name}=${renderValue(d.Value)}`,
  );
  return `${metric?.Namespace ?? '?'} ${metric?.MetricName ?? '?'}${dimensions.length ? ` (${dimensions.join(', ')})` : ''}`;
}

/** What the alarm evaluates: its metric, or the one query or expression that returns data. */
function watches(props: Record<string, any>): string {
  if (props.MetricName !== undefined) {
    return `${metricText(props)} ${props.ExtendedStatistic ?? props.Statistic ?? ''}`.trim();
  }
  const returned = (props.Metrics ?? []).filter((query: { ReturnData?: boolean }) => query.ReturnData !== false);
  return returned
    .map((query: Record<string, any>) =>
      query.Expression !== undefined
        ? String(query.Expression)
        : `${metricText(query.MetricStat?.Metric)} ${query.MetricStat?.Stat ?? ''}`.trim(),
    )
    .join('; ');
}

function condition(props: Record<string, any>): string {
  const period = props.Period ?? (props.Metrics ?? []).find((q: { Period?: number }) => q.Period)?.Period;
  const evaluated = props.EvaluationPeriods ?? 1;
  return (
    `${OPERATORS[props.ComparisonOperator] ?? props.ComparisonOperator} ${props.Threshold ?? '?'} ` +
    `in ${props.DatapointsToAlarm ?? evaluated} of ${evaluated} period(s)${period ? ` of ${period} s` : ''}` +
    `, missing data ${props.TreatMissingData ?? 'missing'}`
  );
}

function actionText(assembly: CloudAssemblyView, stack: StackArtifact, action: unknown): string {
  const target = referencedResource(assembly, stack, action);
  if (target?.resource.Type === 'AWS::SNS::Topic') {
    return `SNS topic ${renderValue(target.resource.Properties?.TopicName ?? target.logicalId)} (${target.stack.stackName}/${target.logicalId})`;
  }
  return renderValue(action);
}

function auditAlarm(
  assembly: CloudAssemblyView,
  stack: StackArtifact,
  logicalId: string,
  alarm: CfnResourceJson,
): AlarmAudit {
  const props = alarm.Properties ?? {};
  return {
    stack: stack.stackName,
    logicalId,
    name: renderValue(props.AlarmName ?? logicalId),
    watches: watches(props),
    condition: condition(props),
    actions: (props.AlarmActions ?? []).map((action: unknown) => actionText(assembly, stack, action)),
    actionsEnabled: props.ActionsEnabled !== false,
  };
}

/** Every alarm of the assembly, by stack and name. */
export function auditAlarms(assembly: CloudAssemblyView): AlarmAudit[] {
  return assembly.stacks
    .flatMap((stack) =>
      resourcesOfType(stack.template, 'AWS::CloudWatch::Alarm').map(([logicalId, alarm]) =>
        auditAlarm(assembly, stack, logicalId, alarm),
      ),
    )
    .sort((a, b) => compare(a.stack, b.stack) || compare(a.name, b.name));
}

/** An alarm nobody hears is a problem. */
export function alarmProblems(alarms: readonly AlarmAudit[]): string[] {
  return alarms.flatMap((alarm) => {
    const where = `${alarm.stack}/${alarm.name}`;
    if (alarm.actions.length === 0) {
      return [
        `${where}: alarm has no action, so it fires in silence; give it the alarm topic (alarms in config/<env>.yaml)`,
      ];
    }
    if (!alarm.actionsEnabled) {
      return [`${where}: alarm has its actions disabled (ActionsEnabled false), so it fires in silence`];
    }
    return [];
  });
}
