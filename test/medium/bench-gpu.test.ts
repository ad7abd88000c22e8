/**
 * `npm run bench:gpu` must run anywhere: on a machine without an NVIDIA GPU (this one) every part says why it cannot
 * run and the bench still ends well, and on one with a GPU the same parts print figures. Guards against a part that
 * throws where its hardware is missing and takes the rest of the bench down with it. Run with a tiny clip and short
 * windows; the figures themselves are not checked (they are for reading).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { findRepoFile } from '../../scripts/support';

const run = promisify(execFile);

test('the GPU bench reports every part, with a reason where it cannot run, and exits 0', { timeout: 180_000 }, async () => {
  const entry = join(findRepoFile('package.json'), '..', 'dist', 'bench', 'gpu.js');
  const { stdout } = await run(process.execPath, [entry], {
    env: { ...process.env, BENCH_CLIP_S: '2', BENCH_GPU_STREAMS: '1,2', BENCH_GPU_ONNX_S: '1' },
    timeout: 170_000,
  });
  const lines = stdout.split('\n');
  const line = (prefix: string): string | undefined => lines.find((l) => l.startsWith(prefix));
  for (const part of ['gpu.device:', 'gpu.nvdec', 'gpu.onnx_cuda', 'gpu.nvenc.h264:', 'gpu.nvenc.h265:', 'gpu.jpeg:']) {
    assert.ok(line(part), `no line for ${part} in:\n${stdout}`);
  }
  assert.ok(!lines.some((l) => l.startsWith('# failed:')), `a part failed:\n${stdout}`);
  // where a part cannot run, it says why (a reason, not a bare word)
  for (const l of lines.filter((x) => / unavailable /.test(x))) assert.match(l, /unavailable \S.{10,}/, l);
  // no NVDEC here means the CPU reference ran instead, with a number
  if (line('gpu.nvdec:')?.includes('unavailable')) assert.match(line('gpu.cpu_reference.avdec_h264_jpeg.fps:') ?? '', /fps: \d+(\.\d+)? frames\/s/);
});
