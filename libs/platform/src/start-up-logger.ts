import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/**
 * NestJS's own start-up chatter: a line per module initialised, per controller, per route mapped and per socket
 * message handler, and the control transport's "Connected to Redis" (context Server); about forty in all. Useful
 * when the wiring is in doubt, noise on every start otherwise.
 */
const START_UP_CONTEXTS = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'WebSocketsController', 'NestApplication', 'NestMicroservice', 'Server']);

/**
 * Nest's console logger with that chatter moved to debug, so a start at the default level is a few lines: what
 * runs, which decoder and encoder were chosen, and the URL to open.
 */
export class VigilLogger extends ConsoleLogger {
  constructor(levels: LogLevel[]) {
    super();
    this.setLogLevels(levels);
  }

  override log(message: unknown, ...rest: unknown[]): void {
    if (isStartUpChatter(rest)) super.debug(message, ...rest);
    else super.log(message, ...rest);
  }
}

/** Nest passes the context as the last optional parameter. */
export function isStartUpChatter(rest: unknown[]): boolean {
  const context = rest[rest.length - 1];
  return typeof context === 'string' && START_UP_CONTEXTS.has(context);
}
