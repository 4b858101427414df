/**
 * The errors the local EventBridge control plane answers with, named as AWS
 * names them, so the real `@aws-sdk/client-eventbridge` client raises the
 * same exception classes (`ResourceNotFoundException`, ...) it raises
 * against AWS. Messages name resources, never a connection's secret values.
 */

export type EventBridgeErrorName =
  | 'ResourceNotFoundException'
  | 'ResourceAlreadyExistsException'
  | 'ValidationException'
  | 'LimitExceededException'
  | 'InvalidEventPatternException'
  | 'UnknownOperationException'
  | 'SerializationException'
  /** Local only: a call that would change a template's resource (see eventbridge-store.ts). */
  | 'AccessDeniedException'
  | 'InternalException';

export class EventBridgeApiError extends Error {
  constructor(
    readonly type: EventBridgeErrorName,
    message: string,
    readonly status = type === 'InternalException' ? 500 : 400,
  ) {
    super(message);
    this.name = type;
  }
}

export const notFound = (what: string): EventBridgeApiError =>
  new EventBridgeApiError('ResourceNotFoundException', `${what} does not exist.`);

export const alreadyExists = (what: string): EventBridgeApiError =>
  new EventBridgeApiError('ResourceAlreadyExistsException', `${what} already exists.`);

export const invalid = (message: string): EventBridgeApiError =>
  new EventBridgeApiError('ValidationException', message);

export const limitExceeded = (message: string): EventBridgeApiError =>
  new EventBridgeApiError('LimitExceededException', message);
