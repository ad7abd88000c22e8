import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncoderUnavailableError, ffmpegEncoder, liveEncoderArgs } from '@vigil/media';

/** The value after `flag`, as ffmpeg reads it. */
function option(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

describe('liveEncoderArgs', () => {
  test('x264: zero-latency, constant bitrate, a keyframe every keyframeSeconds at the output rate, yuv420p', () => {
    const args = liveEncoderArgs({ codec: 'h264', name: 'x264' }, { fps: 15, bitrateKbps: 800, keyframeSeconds: 2 });
    assert.equal(option(args, '-c:v'), 'libx264');
    assert.equal(option(args, '-tune'), 'zerolatency');
    assert.equal(option(args, '-b:v'), '800k');
    assert.equal(option(args, '-maxrate'), '800k');
    assert.equal(option(args, '-g'), '30');
    assert.equal(option(args, '-keyint_min'), '30');
    assert.equal(option(args, '-sc_threshold'), '0');
    assert.equal(option(args, '-pix_fmt'), 'yuv420p');
  });

  test('x265: zero-latency, constant bitrate, the GOP fixed without B-frames, headers repeated for joining players', () => {
    const args = liveEncoderArgs({ codec: 'h265', name: 'x265' }, { fps: 25, bitrateKbps: 1200, keyframeSeconds: 2 });
    assert.equal(option(args, '-c:v'), 'libx265');
    assert.equal(option(args, '-preset'), 'veryfast');
    assert.equal(option(args, '-tune'), 'zerolatency');
    assert.equal(option(args, '-b:v'), '1200k');
    assert.equal(option(args, '-maxrate'), '1200k');
    assert.equal(option(args, '-bufsize'), '2400k');
    assert.equal(option(args, '-pix_fmt'), 'yuv420p');
    const params = new Map((option(args, '-x265-params') ?? '').split(':').map((pair) => pair.split('=') as [string, string]));
    assert.deepEqual(Object.fromEntries(params), { keyint: '50', 'min-keyint': '50', scenecut: '0', bframes: '0', 'repeat-headers': '1', 'log-level': 'error' });
  });

  test('NVENC: h264_nvenc and hevc_nvenc with low-latency CBR, no B-frames, parameter sets at every keyframe', () => {
    for (const [codec, name] of [['h264', 'h264_nvenc'], ['h265', 'hevc_nvenc']] as const) {
      const args = liveEncoderArgs({ codec, name: 'nvenc' }, { fps: 30, bitrateKbps: 4000, keyframeSeconds: 1 });
      assert.equal(option(args, '-c:v'), name);
      assert.equal(option(args, '-tune'), 'll');
      assert.equal(option(args, '-rc'), 'cbr');
      assert.equal(option(args, '-bf'), '0');
      assert.equal(option(args, '-g'), '30');
      assert.equal(option(args, '-bsf:v'), 'dump_extra');
      assert.equal(args.includes('-sc_threshold'), false);
      assert.equal(args.includes('-x265-params'), false);
    }
  });

  test('a keyframe interval below one frame still gives a GOP of one', () => {
    assert.equal(option(liveEncoderArgs({ codec: 'h264', name: 'x264' }, { fps: 1, bitrateKbps: 500, keyframeSeconds: 0.5 }), '-g'), '1');
    assert.match(option(liveEncoderArgs({ codec: 'h265', name: 'x265' }, { fps: 1, bitrateKbps: 500, keyframeSeconds: 0.5 }), '-x265-params') ?? '', /^keyint=1:min-keyint=1:/);
  });

  // bug guarded: a record naming the other codec's CPU encoder (x264 for H.265) must not encode H.264 under an H.265 label
  test("an encoder of the other codec is refused, not used", () => {
    assert.throws(() => liveEncoderArgs({ codec: 'h265', name: 'x264' }, { fps: 25, bitrateKbps: 500, keyframeSeconds: 2 }), (error: unknown) => error instanceof EncoderUnavailableError && /x264 does not encode H\.265/.test(error.message));
    assert.throws(() => ffmpegEncoder('h264', 'x265'), /x265 does not encode H\.264/);
  });
});
