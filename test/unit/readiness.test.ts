/**
 * Readiness: /readyz is Redis and every check the services of the process registered; /livez asks neither. A probe
 * learns which components are down by name only.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpException } from '@nestjs/common';
import type { RedisProbe } from '@vigil/redis';
import { HealthController } from '../../libs/platform/src/health.controller';
import { healthDownSchema } from '../../libs/platform/src/health-status';
import { Readiness } from '../../libs/platform/src/readiness';

describe('readiness', () => {
  const controllerWith = (redisUp: () => boolean, readiness = new Readiness()) => {
    const probe = { reachable: async () => redisUp() } as unknown as RedisProbe;
    return new HealthController(probe, readiness);
  };

  /** The 503's body, or a failure when the promise resolved. */
  const downBody = async (ready: Promise<unknown>): Promise<unknown> => {
    const error = await ready.then(
      () => assert.fail('expected 503'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof HttpException);
    assert.equal(error.getStatus(), 503);
    return healthDownSchema.parse(error.getResponse());
  };

  test('ready while Redis answers and every registered check passes', async () => {
    const readiness = new Readiness();
    readiness.register('model', () => true);
    assert.deepEqual(await controllerWith(() => true, readiness).ready(), { status: 'ok' });
  });

  // the bug: the ONNX worker died and every later run waited forever while /healthz said 200
  test('a failing check makes readyz and healthz 503, naming only the component', async () => {
    const readiness = new Readiness();
    let modelUp = false;
    readiness.register('model', () => modelUp);
    readiness.register('violations', () => {
      throw new Error('redis://user:secret@host: cannot read');
    });
    const controller = controllerWith(() => true, readiness);
    assert.deepEqual(await downBody(controller.ready()), { status: 'unavailable', degraded: ['model', 'violations'] }, 'a check that throws is down too, its message kept out');
    assert.deepEqual(await downBody(controller.health()), { status: 'unavailable', degraded: ['model', 'violations'] });
    modelUp = true;
    assert.deepEqual(await downBody(controller.ready()), { status: 'unavailable', degraded: ['violations'] });
  });

  test('Redis down: readyz names redis first; livez stays 200 (an outage must not restart the pod)', async () => {
    const readiness = new Readiness();
    readiness.register('model', () => false);
    const controller = controllerWith(() => false, readiness);
    assert.deepEqual(await downBody(controller.ready()), { status: 'unavailable', degraded: ['redis', 'model'] });
    assert.deepEqual(controller.live(), { status: 'ok' });
  });

  test('a registration can be taken back, and a later one of the same name replaces it', () => {
    const readiness = new Readiness();
    const unregister = readiness.register('model', () => false);
    assert.deepEqual(readiness.degraded(), ['model']);
    unregister();
    assert.deepEqual(readiness.degraded(), []);
    readiness.register('model', () => false);
    const stale = readiness.register('model', () => false);
    readiness.register('model', () => true);
    stale();
    assert.deepEqual(readiness.degraded(), [], 'the stale unregister leaves the newer check alone');
  });

  test('a component name that could carry anything but a plain name is refused', () => {
    const readiness = new Readiness();
    for (const name of ['', 'Model', 'model down: redis://x', 'a'.repeat(41)]) assert.throws(() => readiness.register(name, () => true), /must match/);
  });
});
