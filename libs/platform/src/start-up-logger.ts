import { inspect } from 'node:util';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { LogFormat } from '@vigil/config';
import { maskText, oneLine } from '@vigil/contracts';
import { cameraOfLine } from './log-fields';

/**
 * NestJS's own start-up chatter: a line per module initialised, per controller, per route mapped and per socket
 * message handler, and the control transport's "Connected to Redis" (context Server); about forty in all. Useful
 * when the wiring is in doubt, noise on every start otherwise.
 */
const START_UP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'WebSocketsController', 'NestApplication', 'NestMicroservice', 'Server']);

export interface VigilLoggerOptions {
  /** @default 'text' */
  format?: LogFormat;
  /** the process's entry point (`vigil`, `ingest`, ...): every JSON line's `service` */
  service?: string;
}

/**
 * Nest's console logger with that chatter moved to debug, so a start at the default level is a few lines: what
 * runs, which decoder and encoder were chosen, and the URL to open. Every line and stack it prints goes through
 * maskText last: callers mask what they know, this catches a URL in an error message nobody expected to hold one.
 */
export class VigilLogger extends ConsoleLogger {
  private readonly service?: string;

  /** `json`: Nest's own JSON mode (one object per line, no colours), each object completed by getJsonLogObject below. */
  constructor(levels: LogLevel[], options: VigilLoggerOptions = {}) {
    super({ json: options.format === 'json' });
    this.service = options.service;
    this.setLogLevels(levels);
  }

  override log(message: unknown, ...rest: unknown[]): void {
    if (isStartUpChatter(rest)) super.debug(message, ...rest);
    else super.log(message, ...rest);
  }

  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel, writeStreamType?: 'stdout' | 'stderr', errorStack?: unknown): void {
    // a text line is one line: a camera's stderr or a hostile name with a newline must not forge a line of its own
    // (JSON mode escapes them anyway)
    const printable = messages.map((message) => (typeof message === 'string' && !this.options.json ? oneLine(maskText(message)) : maskLogged(message)));
    super.printMessages(printable, context, logLevel, writeStreamType, typeof errorStack === 'string' ? maskText(errorStack) : errorStack);
  }

  protected override printStackTrace(stack: string): void {
    super.printStackTrace(stack && maskText(stack));
  }

  /**
   * One JSON line: Nest's fields (level, pid, epoch `timestamp`, context, message, stack) and ours: `time` (ISO 8601),
   * `service`, and `camera` when the message is about one (our lines say "camera <id>: ..."), so that Loki or Elastic
   * can select by them.
   */
  protected override getJsonLogObject(message: unknown, options: { context: string; logLevel: LogLevel; writeStreamType?: 'stdout' | 'stderr'; errorStack?: unknown }) {
    const { level, pid, timestamp, ...rest } = super.getJsonLogObject(message, options);
    const camera = typeof message === 'string' ? cameraOfLine(message) : undefined;
    return {
      time: new Date(timestamp).toISOString(),
      level,
      ...(this.service ? { service: this.service } : {}),
      ...(camera ? { camera } : {}),
      ...rest,
      pid,
      timestamp,
    };
  }
}

/** Strings are masked as they are; anything else (an Error, an object) is first written out as Nest would. */
function maskLogged(message: unknown): unknown {
  if (typeof message === 'string') return maskText(message);
  if (typeof message === 'function') return message;
  return maskText(inspect(message));
}

/** Nest passes the context as the last optional parameter. */
export function isStartUpChatter(rest: unknown[]): boolean {
  const context = rest[rest.length - 1];
  return typeof context === 'string' && START_UP_CONTEXTS.has(context);
}
