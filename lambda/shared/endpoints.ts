/**
 * Where a handler's AWS clients point. The SDK itself honours
 * `AWS_ENDPOINT_URL` and the per-service variables; they are read here
 * explicitly as well, so the local runtime's endpoints apply however the
 * SDK's shared-config loading is set up. In Lambda none of them is set.
 * Apart from aws-clients.ts so a handler that needs one client loads only it.
 */

export type EndpointEnvironment = Readonly<Record<string, string | undefined>>;

/** The per-service endpoint variable, falling back to the global one, as the SDK resolves them. */
export function endpointFor(
  service: 'DYNAMODB' | 'SECRETS_MANAGER' | 'EVENTBRIDGE',
  env: EndpointEnvironment = process.env,
): string | undefined {
  const value = env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL;
  return value === undefined || value === '' ? undefined : value;
}
