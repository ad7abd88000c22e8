/**
 * LOG_FORMAT=json on a real process: the all-in-one service with a test-pattern camera writes nothing on stdout but
 * JSON objects, one per line, each with time, level, service and message, and a camera field on its camera's lines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRedisServer, startVigil, type OutputLine, type RedisServerHandle, type VigilHandle } from '../../scripts/support';
import { waitFor } from '../support/wait';

describe('LOG_FORMAT=json', { timeout: 120_000 }, () => {
  let redis: RedisServerHandle;
  let vigil: VigilHandle | undefined;
  const lines: OutputLine[] = [];

  before(async () => {
    redis = await startRedisServer();
  });

  after(async () => {
    await vigil?.stop();
    await redis?.stop();
  });

  test('every stdout line of a running service is one JSON object with its fields', async () => {
    vigil = await startVigil({
      redisUrl: redis.url,
      env: { LOG_FORMAT: 'json' },
      cameras: [{ id: 'gate', url: 'test://ball', width: 160, height: 120, fps: 5 }],
      onLine: (line) => lines.push(line),
    });
    const stdout = () => lines.filter((line) => line.stream === 'stdout').map((line) => line.text);
    // a line about the camera: its capture went live
    await waitFor('a log line about camera gate', () => stdout().some((text) => text.includes('"camera":"gate"')), 60_000);
    await vigil.stop();
    vigil = undefined;

    const objects = stdout().map((text, index) => {
      let parsed: unknown;
      assert.doesNotThrow(() => (parsed = JSON.parse(text)), `stdout line ${index} is JSON: ${text}`);
      assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `stdout line ${index} is an object`);
      return parsed as Record<string, unknown>;
    });
    assert.ok(objects.length >= 3, 'the start, the camera and the stop were logged');
    for (const object of objects) {
      assert.equal(object.service, 'vigil');
      assert.ok(['log', 'warn', 'debug', 'verbose', 'error', 'fatal'].includes(String(object.level)), `a level: ${JSON.stringify(object)}`);
      assert.ok(!Number.isNaN(Date.parse(String(object.time))), `a time: ${JSON.stringify(object)}`);
      assert.equal(typeof object.message, 'string');
    }
    assert.ok(objects.some((object) => /listening on http/.test(String(object.message))), 'the start line');
    const camera = objects.filter((object) => object.camera === 'gate');
    assert.ok(camera.every((object) => String(object.message).startsWith('camera gate:')), 'camera set only on its lines');
  });
});
