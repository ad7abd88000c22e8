import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { liveEncoderArgs, pushArgs } from '../../apps/egress/src/push/push-args';

const base = { encoder: 'x264' as const, fps: 25, bitrateKbps: 1500, keyframeSeconds: 2 };

/** The value after `flag`, as ffmpeg reads it. */
function option(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

describe('pushArgs', () => {
  test('RTMP: FLV to the URL, which comes last', () => {
    const args = pushArgs({ ...base, url: 'rtmp://media/live/yard' });
    assert.equal(option(args, '-f'), 'image2pipe');
    assert.deepEqual(args.slice(-2), ['no_duration_filesize', 'rtmp://media/live/yard']);
    assert.ok(args.includes('flv'));
    assert.equal(args.includes('rtsp'), false);
  });

  test('RTSP: the rtsp muxer over TCP', () => {
    const args = pushArgs({ ...base, url: 'rtsp://media:8554/yard' });
    assert.deepEqual(args.slice(-5), ['-f', 'rtsp', '-rtsp_transport', 'tcp', 'rtsp://media:8554/yard']);
  });

  // an output URL has no -i in front of it: "-report" there once would have been an option, writing a file
  test('a URL that ffmpeg would read as an option is refused, not passed', () => {
    for (const url of ['-report', ' -y', '-f']) assert.throws(() => pushArgs({ ...base, url }), /the egress url must not start with "-"/);
  });

  test('JPEGs from stdin stamped with the wall clock, a constant output rate, even sizes, progress on stdout', () => {
    const args = pushArgs({ ...base, url: 'rtmp://media/live/yard' });
    assert.equal(option(args, '-i'), 'pipe:0');
    assert.equal(option(args, '-c:v'), 'mjpeg');
    assert.equal(option(args, '-use_wallclock_as_timestamps'), '1');
    // bug guarded: ffmpeg probing 5 MB of small JPEGs before it even connects
    assert.equal(option(args, '-probesize'), '32');
    assert.equal(option(args, '-fps_mode'), 'cfr');
    assert.equal(option(args, '-r'), '25');
    assert.match(option(args, '-vf') ?? '', /trunc\(iw\/2\)\*2:trunc\(ih\/2\)\*2/);
    assert.equal(option(args, '-progress'), 'pipe:1');
    assert.ok(args.indexOf('-probesize') < args.indexOf('-i'), 'input options must come before -i');
  });
});

describe('liveEncoderArgs', () => {
  test('x264: zero-latency, constant bitrate, a keyframe every keyframeSeconds at the output rate, yuv420p', () => {
    const args = liveEncoderArgs('x264', { fps: 15, bitrateKbps: 800, keyframeSeconds: 2 });
    assert.equal(option(args, '-c:v'), 'libx264');
    assert.equal(option(args, '-tune'), 'zerolatency');
    assert.equal(option(args, '-b:v'), '800k');
    assert.equal(option(args, '-maxrate'), '800k');
    assert.equal(option(args, '-g'), '30');
    assert.equal(option(args, '-keyint_min'), '30');
    assert.equal(option(args, '-sc_threshold'), '0');
    assert.equal(option(args, '-pix_fmt'), 'yuv420p');
  });

  test('NVENC: h264_nvenc with low-latency CBR and no B-frames', () => {
    const args = liveEncoderArgs('nvenc', { fps: 30, bitrateKbps: 4000, keyframeSeconds: 1 });
    assert.equal(option(args, '-c:v'), 'h264_nvenc');
    assert.equal(option(args, '-tune'), 'll');
    assert.equal(option(args, '-rc'), 'cbr');
    assert.equal(option(args, '-bf'), '0');
    assert.equal(option(args, '-g'), '30');
    assert.equal(args.includes('-sc_threshold'), false);
  });

  test('a keyframe interval below one frame still gives a GOP of one', () => {
    assert.equal(option(liveEncoderArgs('x264', { fps: 1, bitrateKbps: 500, keyframeSeconds: 0.5 }), '-g'), '1');
  });
});
