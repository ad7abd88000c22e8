/**
 * What an attacker (or a broken camera, or a corrupted Redis record) hands the stitching library, through the real
 * OpenCV addon: every bad input gets a refusal or a typed error that says what is wrong, nothing crashes, and the
 * next good frame still renders.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { Panorama, StitchCalibrationError, StitchInputError, type StitchCalibration } from '@vigil/stitch';
import { requireExecutable } from '../../scripts/support';
import { headerOnlyJpeg } from '../support/bus-fixtures';
import { makeStitchScene } from '../support/stitch-scene';

const run = promisify(execFile);

interface Hostile {
  what: string;
  bytes: Buffer;
  /** what calibration's reason and render's error message must say */
  says: RegExp;
  problem: StitchInputError['problem'];
}

describe('stitch: hostile frames and records', { timeout: 120_000 }, () => {
  let dir: string;
  let left: Buffer;
  let right: Buffer;
  let calibration: StitchCalibration;
  let panorama: Panorama;
  let hostile: Hostile[];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-stitch-hostile-'));
    const scene = await makeStitchScene(dir, 1);
    left = await scene.view('left', 0);
    right = await scene.view('right', 0);
    const ffmpeg = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
    await run(ffmpeg, ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=32x32', '-frames:v', '1', join(dir, 'tiny.jpg')]);
    const outcome = await Panorama.calibrate(left, right);
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.reason);
    calibration = outcome.calibration;
    panorama = await Panorama.load(calibration);
    hostile = [
      { what: 'no bytes', bytes: Buffer.alloc(0), says: /is not a JPEG \(0 bytes/, problem: 'not-jpeg' },
      { what: 'a GIF', bytes: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;'), says: /is not a JPEG/, problem: 'not-jpeg' },
      { what: 'random bytes after a JPEG start', bytes: Buffer.concat([Buffer.from([0xff, 0xd8]), Buffer.alloc(4096, 0x5a)]), says: /is not a JPEG/, problem: 'not-jpeg' },
      { what: 'a header announcing 65535x65535 (12 GB of pixels)', bytes: headerOnlyJpeg(65535, 65535), says: /is 65535x65535; at most 3840x2160/, problem: 'out-of-bounds' },
      { what: 'a header announcing 5000x100', bytes: headerOnlyJpeg(5000, 100), says: /is 5000x100; at most 3840x2160/, problem: 'out-of-bounds' },
      { what: 'a real 32x32 JPEG', bytes: await readFile(join(dir, 'tiny.jpg')), says: /is 32x32; at least 64x64/, problem: 'out-of-bounds' },
      { what: 'a 1280x720 header with no image after it', bytes: headerOnlyJpeg(1280, 720), says: /do not decode as the 1280x720 JPEG their header announces/, problem: 'undecodable' },
      { what: 'a JPEG cut short (libjpeg would decode it grey without a word)', bytes: left.subarray(0, Math.floor(left.length / 2)), says: /end without the JPEG end-of-image marker/, problem: 'undecodable' },
      {
        what: 'a JPEG whose scan is garbage',
        bytes: Buffer.concat([left.subarray(0, 700), Buffer.alloc(20_000, 0xff), Buffer.from([0xff, 0xd9])]),
        says: /do not decode|end-of-image/,
        problem: 'undecodable',
      },
    ];
  });

  after(async () => {
    panorama?.release();
    await rm(dir, { recursive: true, force: true });
  });

  test('calibration refuses every hostile frame, in either position, with a reason that says what is wrong', async () => {
    for (const { what, bytes, says } of hostile) {
      for (const input of [0, 1] as const) {
        const outcome = input === 0 ? await Panorama.calibrate(bytes, right) : await Panorama.calibrate(left, bytes);
        assert.equal(outcome.ok, false, `${what} as input ${input}: calibrated`);
        const reason = outcome.ok ? '' : outcome.reason;
        // a garbage scan may decode as noise: then it is refused for its matches instead
        if (what.includes('garbage') && /^not enough overlap/.test(reason)) continue;
        assert.match(reason, says, `${what} as input ${input}`);
        assert.match(reason, new RegExp(`input ${input}`), `${what}: the reason names the input`);
      }
    }
  });

  test('calibration refuses what is not a Buffer at all', async () => {
    const outcome = await Panorama.calibrate('not bytes' as unknown as Buffer, right);
    assert.deepEqual(outcome, { ok: false, reason: 'input 0 is not a JPEG (not bytes)' });
  });

  test('render throws a StitchInputError naming the input and the problem for every hostile frame; the next good pair renders', async () => {
    for (const { what, bytes, problem } of hostile) {
      for (const input of [0, 1] as const) {
        const pair: [Buffer, Buffer] = input === 0 ? [bytes, right] : [left, bytes];
        const attempt = panorama.render(...pair).then(
          () => undefined,
          (error: unknown) => error,
        );
        const error = await attempt;
        if (what.includes('garbage') && error === undefined) continue; // decoded as noise: a frame, if an ugly one
        assert.ok(error instanceof StitchInputError, `${what} as input ${input}: ${String(error)}`);
        assert.equal(error.problem, problem, `${what} as input ${input}: ${error.message}`);
        assert.equal(error.input, input);
      }
    }
    const good = await panorama.render(left, right);
    assert.equal(good.width, calibration.output.width);
  });

  test('concurrent renders of one panorama do not share pixels: each equals a render on its own', async () => {
    const alone = await panorama.render(left, right);
    const together = await Promise.all([1, 2, 3].map(() => panorama.render(left, right)));
    for (const rendered of together) assert.ok(rendered.jpeg.equals(alone.jpeg), 'a concurrent render differs');
  });

  test('hostile stored calibrations are refused by load with the field named; a good one still loads', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['NaN in the homography', { ...calibration, homography: [...calibration.homography.slice(0, 8), NaN] }, /homography\[8\]/],
      ['a homography of 8 entries', { ...calibration, homography: calibration.homography.slice(0, 8) }, /homography: Array must contain exactly 9 element/],
      ['a 1e12 output', { ...calibration, output: { width: 1e12, height: 1e12 } }, /output\.width.*7680/],
      ['an overlap outside the output', { ...calibration, overlap: { ...calibration.overlap, x: calibration.output.width - 10 } }, /overlap: .* is not inside the/],
      ['a homography that stretches input 1 fifty times', { ...calibration, homography: [50, 0, 900, 0, 50, 0, 0, 0, 1] }, /homography: the homography is degenerate/],
      ['a mirrored homography', { ...calibration, homography: [-1, 0, 2239, 0, 1, 0, 0, 0, 1] }, /homography: the homography is degenerate: it flips input 1/],
      ['an output the homography does not make', { ...calibration, output: { width: 4000, height: 720 } }, /output: 4000x720 is not the panorama the homography makes/],
      ['a string', 'calibration', /\(root\): Expected object, received string/],
      ['null', null, /\(root\)/],
      ['an unknown version', { ...calibration, version: 2 }, /version: Invalid literal value/],
      ['input sizes of 1e9', { ...calibration, inputs: [{ width: 1e9, height: 720 }, calibration.inputs[1]] }, /inputs\[0\]\.width/],
    ];
    for (const [what, record, says] of cases) {
      await assert.rejects(Panorama.load(record), (error: unknown) => {
        assert.ok(error instanceof StitchCalibrationError, `${what}: ${String(error)}`);
        assert.match(error.message, /^the stitch calibration is refused: /, what);
        assert.match(error.message, says, `${what}: ${error.message}`);
        return true;
      });
    }
    const again = await Panorama.load(JSON.parse(JSON.stringify(calibration)));
    assert.equal((await again.render(left, right)).width, calibration.output.width);
    again.release();
  });

  test('bad options and a released panorama are clear errors too', async () => {
    await assert.rejects(Panorama.load(calibration, { jpegQuality: 1000 }), /bad panorama options: jpegQuality/);
    await assert.rejects(Panorama.load(calibration, { agreementEvery: 0 }), /bad panorama options: agreementEvery/);
    const released = await Panorama.load(calibration);
    released.release();
    await assert.rejects(released.render(left, right), /the panorama was released/);
  });
});
