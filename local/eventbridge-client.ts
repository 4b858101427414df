/**
 * The real `@aws-sdk/client-eventbridge` client pointed at a local
 * runtime's EventBridge endpoint: the endpoint does not check signatures,
 * so the credentials are placeholders.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export function localEventBridgeClient(
  endpoint: string,
  options: { readonly maxAttempts?: number } = {},
): EventBridgeClient {
  return new EventBridgeClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  });
}
