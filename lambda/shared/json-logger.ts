/**
 * A structured JSON logger for the one handler on every partner request, the
 * authorizer, where Powertools Logger's load time and size matter. It writes
 * the same shape (level, message, timestamp, service, then the attributes)
 * through the same redacting replacer, honours POWERTOOLS_LOG_LEVEL, and
 * nothing else: handlers off the hot path keep Powertools (observability.ts).
 */
import { redactSensitive } from './redaction';

const LEVELS = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 100 } as const;
type Level = Exclude<keyof typeof LEVELS, 'SILENT'>;

export interface JsonLoggerOptions {
  readonly serviceName: string;
  /** @default POWERTOOLS_LOG_LEVEL, else INFO */
  readonly level?: string;
  /** Where lines go. @default process.stdout */
  readonly write?: (line: string) => void;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export class JsonLogger {
  private readonly threshold: number;
  private readonly write: (line: string) => void;
  private readonly now: () => Date;

  public constructor(private readonly options: JsonLoggerOptions) {
    const name = (options.level ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO').toUpperCase();
    this.threshold = LEVELS[name as keyof typeof LEVELS] ?? LEVELS.INFO;
    this.write = options.write ?? ((line) => process.stdout.write(line));
    this.now = options.now ?? (() => new Date());
  }

  public info(message: string, attributes: Record<string, unknown> = {}): void {
    this.log('INFO', message, attributes);
  }

  public warn(message: string, attributes: Record<string, unknown> = {}): void {
    this.log('WARN', message, attributes);
  }

  public error(message: string, attributes: Record<string, unknown> = {}): void {
    this.log('ERROR', message, attributes);
  }

  private log(level: Level, message: string, attributes: Record<string, unknown>): void {
    if (LEVELS[level] < this.threshold) return;
    const item = {
      ...attributes,
      level,
      message,
      timestamp: this.now().toISOString(),
      service: this.options.serviceName,
    };
    this.write(`${JSON.stringify(item, redactSensitive)}\n`);
  }
}
