import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cameraConfigSchema, type CameraConfig } from '@vigil/contracts';
import { planCameras } from '../../libs/redis/src/camera-plan';

const camera = (id: string, fps = 5): CameraConfig => cameraConfigSchema.parse({ id, url: 'test://ball', fps });
const byId = (...cameras: CameraConfig[]) => new Map(cameras.map((c) => [c.id, c]));

describe('planCameras', () => {
  test('stops what was removed, moved to another replica or changed; starts what it owns and does not run, and the changed again', () => {
    const running = byId(camera('kept'), camera('removed'), camera('moved'), camera('changed'));
    const wanted = byId(camera('kept'), camera('moved'), camera('changed', 10), camera('new'), camera('elsewhere'));
    const plan = planCameras(running, wanted, new Set(['kept', 'changed', 'new']));
    assert.deepEqual(plan.stop, [
      { id: 'removed', reason: 'removed' },
      { id: 'moved', reason: 'moved' },
      { id: 'changed', reason: 'changed' },
    ]);
    assert.deepEqual(plan.start, [camera('changed', 10), camera('new')]);
  });

  test('nothing to do when it runs exactly what it owns', () => {
    const cameras = byId(camera('a'), camera('b'));
    assert.deepEqual(planCameras(cameras, cameras, new Set(['a', 'b'])), { stop: [], start: [] });
  });

  test('an owned camera missing from the registry read is not started', () => {
    assert.deepEqual(planCameras(new Map(), new Map(), new Set(['ghost'])), { stop: [], start: [] });
  });
});
