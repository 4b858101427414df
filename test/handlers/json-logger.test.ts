/**
 * The authorizer's lean logger writes one JSON object a line in the shape
 * Powertools writes (level, message, timestamp, service, attributes), blanks
 * credential-named attributes wherever they sit, and honours the log level.
 */
import { readAuthorizerEnvironment } from '../../lambda/authorizer/environment';
import { EnvironmentError } from '../../lambda/shared/environment-error';
import { JsonLogger } from '../../lambda/shared/json-logger';
import { REDACTED } from '../../lambda/shared/redaction';

function capture(level?: string) {
  const lines: string[] = [];
  const logger = new JsonLogger({
    serviceName: 'partner-authorizer',
    level,
    write: (line) => lines.push(line),
    now: () => new Date('2026-01-02T03:04:05.000Z'),
  });
  return { logger, items: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>), lines };
}

describe('JsonLogger', () => {
  it('writes one structured JSON line per entry with level, message, timestamp, service and the facts', () => {
    const { logger, items, lines } = capture();
    logger.info('partner key accepted', { orgId: 'acme', keyPrefix: 'AbCdEfGh' });
    expect(lines[0].endsWith('\n')).toBe(true);
    expect(items()).toEqual([
      {
        level: 'INFO',
        message: 'partner key accepted',
        timestamp: '2026-01-02T03:04:05.000Z',
        service: 'partner-authorizer',
        orgId: 'acme',
        keyPrefix: 'AbCdEfGh',
      },
    ]);
  });

  it('blanks attributes that name a credential, at any depth, and cannot be made to overwrite the level', () => {
    const { logger, items } = capture();
    logger.error('authorizer failed', {
      apiKey: 'A'.repeat(40),
      nested: { authorization: 'Bearer x' },
      level: 'DEBUG',
    });
    const [item] = items();
    expect(item).toMatchObject({ level: 'ERROR', apiKey: REDACTED, nested: { authorization: REDACTED } });
    expect(JSON.stringify(item)).not.toContain('A'.repeat(40));
  });

  it('drops entries below the configured level', () => {
    const { logger, items } = capture('ERROR');
    logger.info('partner key refused', { outcome: 'unauthorized' });
    logger.warn('slow');
    logger.error('authorizer failed');
    expect(items().map((item) => item.level)).toEqual(['ERROR']);
  });
});

describe("the authorizer's environment", () => {
  const VALID = { API_KEYS_TABLE: 'k', TENANTS_TABLE: 't', AUTHORIZER_CACHE_TTL_SECONDS: '30' };

  it('reads the tables and the cache TTL', () => {
    expect(readAuthorizerEnvironment(VALID)).toEqual({ ...VALID, AUTHORIZER_CACHE_TTL_SECONDS: 30 });
  });

  it.each([
    [{ ...VALID, API_KEYS_TABLE: undefined }, 'API_KEYS_TABLE is not set'],
    [{ ...VALID, TENANTS_TABLE: ' ' }, 'TENANTS_TABLE is empty'],
    [
      { ...VALID, AUTHORIZER_CACHE_TTL_SECONDS: '31' },
      'AUTHORIZER_CACHE_TTL_SECONDS must be a whole number from 0 to 30',
    ],
    [
      { ...VALID, AUTHORIZER_CACHE_TTL_SECONDS: '2.5' },
      'AUTHORIZER_CACHE_TTL_SECONDS must be a whole number from 0 to 30',
    ],
    [
      { ...VALID, AUTHORIZER_CACHE_TTL_SECONDS: 'soon' },
      'AUTHORIZER_CACHE_TTL_SECONDS must be a whole number from 0 to 30',
    ],
  ])('refuses %j naming the variable', (source, message) => {
    expect(() => readAuthorizerEnvironment(source)).toThrow(EnvironmentError);
    expect(() => readAuthorizerEnvironment(source)).toThrow(message);
  });
});
