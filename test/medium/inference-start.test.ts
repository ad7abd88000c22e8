/**
 * Inference refuses to start on a model it cannot use, with a message naming the problem,
 * instead of failing on the first frame.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findRepoFile, freePort, spawnManaged, startRedisServer, waitForLine, type RedisServerHandle } from '../../scripts/support';
import { vectorModel, writeTestModels } from '../support/onnx-models';

describe('inference refuses a model it cannot use', { timeout: 60_000 }, () => {
  let redis: RedisServerHandle;
  let dir: string;
  let models: Awaited<ReturnType<typeof writeTestModels>>;

  before(async () => {
    redis = await startRedisServer();
    dir = mkdtempSync(join(tmpdir(), 'vigil-bad-models-'));
    models = await writeTestModels(dir);
    writeFileSync(join(dir, 'vector.onnx'), vectorModel());
  });

  after(async () => {
    await redis?.stop();
  });

  const spawnInference = async (env: Record<string, string>) =>
    spawnManaged('inference', process.execPath, [findRepoFile('dist/apps/inference/src/main.js')], {
      env: { ...(process.env as Record<string, string>), REDIS_URL: redis.url, INFERENCE_PORT: String(await freePort()), NO_COLOR: '1', ...env },
      maxLines: 200,
    });

  /** Starts the inference app alone and returns its exit code and output once it exits. */
  const start = async (env: Record<string, string>): Promise<{ code: number | null; output: string }> => {
    const child = await spawnInference(env);
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([child.exited, new Promise<'running'>((resolve) => (timer = setTimeout(() => resolve('running'), 30_000)))]);
    clearTimeout(timer);
    if (code === 'running') {
      await child.stop();
      assert.fail('inference kept running with an unusable model');
    }
    return { code, output: child.lastLines().map((line) => line.text).join('\n') };
  };

  test('a missing model file: exit code 1 and the path in the message', async () => {
    const { code, output } = await start({ MODEL_PATH: join(dir, 'missing.onnx') });
    assert.equal(code, 1);
    assert.match(output, /ONNX model not found: .*missing\.onnx/);
  });

  test('a model whose output is not a YOLO head for its class names', async () => {
    const { code, output } = await start({ MODEL_PATH: models.v8WrongHead });
    assert.equal(code, 1);
    assert.match(output, /is not a YOLO detection output/);
  });

  test('a model that takes no image', async () => {
    const { code, output } = await start({ MODEL_PATH: join(dir, 'vector.onnx') });
    assert.equal(code, 1);
    assert.match(output, /cannot start/);
  });

  test('a model without class names and no labels file', async () => {
    const { code, output } = await start({ MODEL_PATH: models.v8NoMetadata });
    assert.equal(code, 1);
    assert.match(output, /no class names.*labels file/);
  });

  test('the same model with a labels file starts', async () => {
    const labels = join(dir, 'labels.txt');
    writeFileSync(labels, 'person\nhelmet\nvest\n');
    const child = await spawnInference({ MODEL_PATH: models.v8NoMetadata, MODEL_LABELS: labels });
    try {
      await waitForLine(child, /listening on http/, 30_000);
      assert.ok(child.lastLines().some((line) => /3 classes/.test(line.text)));
    } finally {
      await child.stop();
    }
  });
});
