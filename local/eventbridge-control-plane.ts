/**
 * The local EventBridge's control plane: the operations the provisioner
 * makes through the real `@aws-sdk/client-eventbridge` client (connections,
 * API destinations, rules, targets), by their `X-Amz-Target` name
 * (`AWSEvents.<Operation>`), over one {@link EventBridgeStore}.
 */
import { apiDestinationOperations, connectionOperations, type Operation } from './eventbridge-destinations';
import { EventBridgeApiError } from './eventbridge-errors';
import { ruleOperations } from './eventbridge-rules';
import type { EventBridgeStore } from './eventbridge-store';
import type { Input } from './eventbridge-validation';

export class EventBridgeControlPlane {
  private readonly operations: Readonly<Record<string, Operation>>;

  constructor(readonly store: EventBridgeStore) {
    this.operations = {
      ...connectionOperations(store),
      ...apiDestinationOperations(store),
      ...ruleOperations(store),
    };
  }

  /** The operation names served, e.g. `PutRule`. */
  get operationNames(): string[] {
    return Object.keys(this.operations).sort();
  }

  supports(operation: string): boolean {
    return Object.hasOwn(this.operations, operation);
  }

  /** Runs one operation; throws {@link EventBridgeApiError} as AWS would answer. */
  call(operation: string, input: Input): unknown {
    const run = this.supports(operation) ? this.operations[operation] : undefined;
    if (run === undefined) {
      throw new EventBridgeApiError('UnknownOperationException', `Operation ${operation} is not supported locally`);
    }
    return run(input);
  }
}
