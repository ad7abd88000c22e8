import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logLevels, VigilLogger } from '@vigil/platform';

/** What the logger printed while `fn` ran (Nest's ConsoleLogger writes to stdout, errors to stderr). */
function printed(fn: () => void, streams: Array<'stdout' | 'stderr'> = ['stdout']): string {
  const chunks: string[] = [];
  const writes = streams.map((name) => [name, process[name].write] as const);
  for (const name of streams) {
    process[name].write = ((chunk: string | Uint8Array) => {
      chunks.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
  }
  try {
    fn();
  } finally {
    for (const [name, write] of writes) process[name].write = write;
  }
  return chunks.join('');
}

describe('start-up logger', () => {
  test("at the default level, Nest's route and module lines are not printed, ours are", () => {
    const logger = new VigilLogger(logLevels('log'));
    const out = printed(() => {
      logger.log('Mapped {/api/cameras, GET} route', 'RouterExplorer');
      logger.log('CoreModule dependencies initialized', 'InstanceLoader');
      logger.log('AlarmsController {/api/alarms}:', 'RoutesResolver');
      logger.log('Nest application successfully started', 'NestApplication');
      logger.log('listening on http://localhost:8080', 'vigil');
    });
    assert.doesNotMatch(out, /Mapped|dependencies initialized|AlarmsController|successfully started/);
    assert.match(out, /listening on http:\/\/localhost:8080/);
  });

  test('at debug they are printed, as debug lines', () => {
    const logger = new VigilLogger(logLevels('debug'));
    const out = printed(() => logger.log('Mapped {/api/cameras, GET} route', 'RouterExplorer'));
    assert.match(out, /DEBUG.*Mapped \{\/api\/cameras, GET\} route/);
  });

  test('warnings of those contexts are never hidden', () => {
    const logger = new VigilLogger(logLevels('log'));
    const out = printed(() => logger.warn('something is off', 'InstanceLoader'));
    assert.match(out, /something is off/);
  });
});

describe('every log line is masked', () => {
  test('URLs in messages, errors and stacks lose their secrets, at every level', () => {
    const logger = new VigilLogger(logLevels('verbose'));
    const error = new Error('connect to rtsp://admin:hunter2@cam/s?token=T0KEN failed');
    const out = printed(() => {
      logger.log('pushing to rtmp://127.0.0.1/live/STREAMKEY', 'Egress');
      logger.warn('redis redis://:s3cretpw@127.0.0.1:6379 is down');
      logger.debug('POST https://hooks.slack.com/services/T0/B0/SLACKTOKEN');
      logger.error(error.message, error.stack, 'Ingest');
      logger.error(error);
      logger.verbose({ url: 'mqtt://u:mqttpw@broker' });
    }, ['stdout', 'stderr']);
    for (const secret of ['hunter2', 'T0KEN', 'STREAMKEY', 's3cretpw', 'SLACKTOKEN', 'mqttpw']) assert.ok(!out.includes(secret), `${secret} in:\n${out}`);
    assert.match(out, /rtmp:\/\/127\.0\.0\.1\/live\/\*\*\*/, 'the rest of the line is still there');
    assert.match(out, /rtsp:\/\/admin:\*\*\*@cam\/s\?token=\*\*\*/);
  });
});
