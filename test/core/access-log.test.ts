import {
  ACCESS_LOG_FORMAT,
  ACCESS_LOG_VARIABLES,
  type AccessLogLine,
  formatAccessLogLine,
  parseAccessLogLine,
} from '../../lambda/core/access-log';

const line: AccessLogLine = {
  requestId: 'req-1',
  requestTimeEpoch: '1796649600123',
  apiId: 'abc123',
  stage: 'dev',
  httpMethod: 'GET',
  resourcePath: '/v1/partner/tenant',
  status: '200',
  responseLatency: '12',
  orgId: 'acme',
  keyId: 'key_AAAA',
  keyEnvironment: 'production',
};

describe('access log line', () => {
  test('the format is JSON once API Gateway substitutes placeholders, and names each field once', () => {
    const substituted = ACCESS_LOG_FORMAT.replace(/\$context\.[A-Za-z.]+/g, '-');
    expect(Object.keys(JSON.parse(substituted) as object)).toEqual(Object.keys(ACCESS_LOG_VARIABLES));
    // API Gateway reserves $context.authorizer.status for the authorizer's own status code.
    expect(ACCESS_LOG_FORMAT).not.toContain('$context.authorizer.status');
  });

  test('a line that passed the authorizer parses to its key request', () => {
    expect(parseAccessLogLine(formatAccessLogLine(line))).toEqual({
      requestId: 'req-1',
      orgId: 'acme',
      keyId: 'key_AAAA',
      keyEnvironment: 'production',
      at: new Date(1796649600123),
      status: 200,
    });
  });

  test('a key without an environment parses without one', () => {
    const parsed = parseAccessLogLine(formatAccessLogLine({ ...line, keyEnvironment: '' }));
    expect(parsed).toBeDefined();
    expect(parsed).not.toHaveProperty('keyEnvironment');
  });

  test.each<[string, string]>([
    ['not JSON', 'START RequestId: x'],
    ['JSON but not an object', '42'],
    ['refused by the authorizer (no key)', formatAccessLogLine({ ...line, status: '401', keyId: '', orgId: '' })],
    ['time missing', formatAccessLogLine({ ...line, requestTimeEpoch: '' })],
    ['time not a number', formatAccessLogLine({ ...line, requestTimeEpoch: 'yesterday' })],
    ['status out of range', formatAccessLogLine({ ...line, status: '700' })],
    ['status missing', formatAccessLogLine({ ...line, status: '' })],
  ])('%s: not a key request', (_name, message) => {
    expect(parseAccessLogLine(message)).toBeUndefined();
  });
});
