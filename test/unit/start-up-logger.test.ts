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

describe('LOG_FORMAT=json', () => {
  const jsonLines = (out: string): Record<string, unknown>[] =>
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);

  test('one JSON object per line, with time, level, service, context and message; camera when the line is about one', () => {
    const logger = new VigilLogger(logLevels('log'), { format: 'json', service: 'ingest' });
    const lines = jsonLines(
      printed(() => {
        logger.log('camera gate: live (avdec_h264)', 'Ingest');
        logger.warn('cannot reconcile cameras: connection lost', 'Inference');
        logger.log('camera not-an id!: odd', 'Ingest');
      }),
    );
    assert.equal(lines.length, 3);
    const [first, second, third] = lines as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    assert.equal(first.level, 'log');
    assert.equal(first.service, 'ingest');
    assert.equal(first.camera, 'gate');
    assert.equal(first.context, 'Ingest');
    assert.equal(first.message, 'camera gate: live (avdec_h264)');
    assert.ok(!Number.isNaN(Date.parse(String(first.time))) && String(first.time).endsWith('Z'), 'an ISO 8601 time');
    assert.equal(second.level, 'warn');
    assert.equal('camera' in second, false, 'no camera field on a line about none');
    assert.equal('camera' in third, false, 'only a valid camera id, never other text');
  });

  test('errors go to stderr as JSON too, with the stack masked; start-up chatter stays at debug', () => {
    const logger = new VigilLogger(logLevels('log'), { format: 'json', service: 'vigil' });
    const error = new Error('connect to rtsp://admin:hunter2@cam/s failed');
    const err = printed(() => logger.error(`camera dock: ${error.message}`, error.stack, 'Ingest'), ['stderr']);
    const [line] = jsonLines(err) as [Record<string, unknown>];
    assert.equal(line.level, 'error');
    assert.equal(line.camera, 'dock');
    assert.match(String(line.stack), /rtsp:\/\/admin:\*\*\*@cam/);
    assert.ok(!err.includes('hunter2'));
    assert.equal(printed(() => logger.log('Mapped {/api/cameras, GET} route', 'RouterExplorer')), '', 'chatter is debug, not printed at log');
  });

  test('a hostile line (a camera name or a child\'s stderr with a newline, a terminal escape) cannot forge a line of its own', () => {
    const forged = 'camera gate: error (bad)\n[Nest] 1  - 12/02/2026, 5:00:00 AM   ERROR [Access] admin signed in from 10.0.0.1\u001b[2K\r';
    const text = printed(() => new VigilLogger(logLevels('log'), { service: 'vigil' }).warn(forged, 'Ingest'));
    assert.equal(text.split('\n').length, 2, `one line and its end: ${JSON.stringify(text)}`);
    assert.ok(!text.includes('\u001b[2K') && text.includes('\\x1b[2K\\r'), 'the escape and the carriage return are written out, not obeyed');
    const json = printed(() => new VigilLogger(logLevels('log'), { format: 'json', service: 'vigil' }).warn(`${forged}\n{"level":"error","service":"admin"}`, 'Ingest'));
    const lines = jsonLines(json) as Record<string, unknown>[];
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.level, 'warn');
    assert.equal(lines[0]!.service, 'vigil', 'text in the message adds no field');
  });

  test('the default stays text for people', () => {
    const out = printed(() => new VigilLogger(logLevels('log'), { service: 'vigil' }).log('camera gate: live', 'Ingest'));
    assert.match(out.replace(/\x1b\[[0-9;]*m/g, ''), /LOG \[Ingest\] camera gate: live/);
    assert.throws(() => JSON.parse(out));
  });
});
