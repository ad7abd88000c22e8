/**
 * The egress's Matroska writer read by the real ffmpeg demuxer: every frame comes out at exactly the timestamp it was
 * written with, whatever the spacing, which is what carries a frame's capture time to the push.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { matroskaFrame, matroskaHeader } from '../../apps/egress/src/push/matroska-mjpeg';
import { testJpegs } from '../support/egress-feed';

const WIDTH = 160;
const HEIGHT = 90;

describe('Matroska from the egress, read by ffprobe', () => {
  let dir: string;
  let jpegs: Buffer[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-mkv-'));
    jpegs = await testJpegs(join(dir, 'frames'), WIDTH, HEIGHT, 6);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('the frames at the timestamps written (irregular, as capture times are), MJPEG at the frame size', async () => {
    const times = [5000, 5041, 5079, 5200, 5201, 70_000];
    const file = join(dir, 'frames.mkv');
    await writeFile(file, Buffer.concat([matroskaHeader(WIDTH, HEIGHT), ...times.map((ms, i) => matroskaFrame(ms, jpegs[i]!))]));
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,width,height:packet=pts', '-of', 'json', file], (error, out, stderr) => (error ? reject(new Error(stderr)) : resolve(out))),
    );
    const parsed = JSON.parse(stdout) as { streams: { codec_name: string; width: number; height: number }[]; packets: { pts: number }[] };
    assert.deepEqual(parsed.streams, [{ codec_name: 'mjpeg', width: WIDTH, height: HEIGHT }]);
    assert.deepEqual(parsed.packets.map((packet) => packet.pts), times);
  });
});
