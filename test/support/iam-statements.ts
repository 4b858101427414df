/**
 * The IAM statements a function's role gets in a synthesized template, found
 * by the function's POWERTOOLS_SERVICE_NAME: for least-privilege assertions
 * that do not depend on hash-suffixed logical ids.
 */
import type { Template } from 'aws-cdk-lib/assertions';

export interface IamStatement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
}

export function statementsOfService(template: Template, serviceName: string): IamStatement[] {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter(
    (fn: any) => fn.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === serviceName,
  );
  if (functions.length !== 1)
    throw new Error(`expected one function of service ${serviceName}, found ${functions.length}`);
  const roleId = (functions[0] as any).Properties.Role['Fn::GetAtt'][0];
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy: any) => (policy.Properties.Roles ?? []).some((role: any) => role.Ref === roleId))
    .flatMap((policy: any) => policy.Properties.PolicyDocument.Statement as IamStatement[]);
}

export function actionsOf(statement: IamStatement): string[] {
  return typeof statement.Action === 'string' ? [statement.Action] : statement.Action;
}
