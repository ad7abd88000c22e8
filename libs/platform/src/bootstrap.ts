import { type INestApplication, Logger, type LogLevel, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadConfig, type VigilConfig } from '@vigil/config';
import { killChildren } from '@vigil/media';
import { redisClientOptions } from '@vigil/redis';
import { bodyParserErrors } from './body-errors';
import { jsonOnly } from './json-only';
import { VigilLogger } from './start-up-logger';

/** the largest JSON body a route takes (a camera with its zones and rules is a few KB) */
export const JSON_BODY_LIMIT = '100kb';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

export function logLevels(level: VigilConfig['logLevel']): LogLevel[] {
  return LEVELS.slice(0, LEVELS.indexOf(level) + 1);
}

/** Options of NestJS's Redis transport, which carries control messages between services. */
export function controlTransport(config: VigilConfig): MicroserviceOptions {
  // Nest's transport takes no URL, and its own retry settings in place of ioredis's retryStrategy
  const { retryStrategy: _nestRetries, ...options } = redisClientOptions(config.redisUrl, 'control');
  return { transport: Transport.REDIS, options: { ...options, retryAttempts: Number.MAX_SAFE_INTEGER, retryDelay: 1000 } };
}

export interface StartOptions {
  name: string;
  module: (config: VigilConfig) => DynamicModule;
  port: (config: VigilConfig) => number;
  configure?: (app: NestExpressApplication, config: VigilConfig) => void;
  config?: VigilConfig;
}

/**
 * Starts one vigil process: validated config, HTTP, the Redis control transport, shutdown on
 * SIGINT/SIGTERM. A bad environment stops the process here with a message naming the variable.
 */
export async function startApp(options: StartOptions): Promise<INestApplication> {
  const logger = new Logger(options.name);
  let config: VigilConfig;
  try {
    config = options.config ?? loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error(error.message);
      process.exit(1);
    }
    throw error;
  }
  // no urlencoded parser: a form post from another site must not reach a handler (jsonOnly)
  const app = await NestFactory.create<NestExpressApplication>(options.module(config), { logger: new VigilLogger(logLevels(config.logLevel), { format: config.logFormat, service: options.name }), bodyParser: false });
  app.use(jsonOnly);
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  app.use(bodyParserErrors);
  stopOnSignals(app, config.shutdownTimeoutMs, logger);
  options.configure?.(app, config);
  app.connectMicroservice<MicroserviceOptions>(controlTransport(config), { inheritAppConfig: true });
  await app.startAllMicroservices();
  const port = options.port(config);
  await app.listen(port, config.host);
  logger.log(`listening on http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`);
  return app;
}

/**
 * SIGINT or SIGTERM: every service stops its work and hands its cameras over (Nest's shutdown hooks), then the
 * process exits. Past `timeoutMs` it kills its child processes and exits anyway, so a stuck stop can never hold it
 * until the orchestrator's SIGKILL, which would leave leases to run out and children behind. A second signal exits
 * at once.
 */
export function stopOnSignals(app: INestApplication, timeoutMs: number, logger: Logger): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    const started = Date.now();
    const deadline = setTimeout(() => {
      logger.warn(`still stopping after ${timeoutMs} ms: killed ${killChildren()} child process(es), exiting`);
      process.exit(1);
    }, timeoutMs);
    app
      .close()
      .then(() => {
        clearTimeout(deadline);
        logger.log(`stopped in ${Date.now() - started} ms`);
        process.exit(0);
      })
      .catch((error: Error) => {
        logger.error(`stopping failed: ${error.message}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

/** For main.ts files: start, and turn a failure at start into one clear line and exit code 1. */
export function main(options: StartOptions): void {
  startApp(options).catch((error: Error) => {
    new Logger(options.name).error(`cannot start: ${error.message}`);
    process.exit(1);
  });
}
