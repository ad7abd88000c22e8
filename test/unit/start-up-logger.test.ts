import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { logLevels, VigilLogger } from '@vigil/platform';

/** What the logger printed while `fn` ran (Nest's ConsoleLogger writes to stdout, errors to stderr). */
function printed(fn: () => void): string {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  try {
    fn();
  } finally {
    process.stdout.write = write;
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
