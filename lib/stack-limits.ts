import { statSync } from 'node:fs';
import { CfnResource, Stack } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { IConstruct } from 'constructs';

/** Resources a stack will have in its template. */
export function countResources(stack: Stack): number {
  const visit = (node: IConstruct): number =>
    node.node.children.reduce((sum, child) => {
      if (child instanceof Stack) return sum; // nested and sibling stacks count on their own
      return sum + (CfnResource.isCfnResource(child) ? 1 : 0) + visit(child);
    }, 0);
  return visit(stack);
}

/**
 * Fails synthesis, naming the stack, when it would hold more resources than
 * `maxResources` (CloudFormation stops at 500).
 */
export function enforceResourceLimit(stack: Stack, maxResources: number, fix: string): void {
  stack.node.addValidation({
    validate: () => {
      const count = countResources(stack);
      return count > maxResources
        ? [
            `stack ${stack.stackName} would have ${count} resources, over the limit of ${maxResources} (CloudFormation allows 500); ${fix}`,
          ]
        : [];
    },
  });
}

/**
 * Template sizes are only known after synthesis: returns a message for each
 * template over `maxBytes` (CloudFormation allows 1 MB).
 */
export function oversizedTemplates(assembly: CloudAssembly, maxBytes: number, fix: string): string[] {
  return assembly.stacks.flatMap((stack) => {
    const bytes = statSync(stack.templateFullPath).size;
    return bytes > maxBytes
      ? [
          `stack ${stack.stackName} template is ${bytes} bytes, over the limit of ${maxBytes} (CloudFormation allows 1 MB); ${fix}`,
        ]
      : [];
  });
}
