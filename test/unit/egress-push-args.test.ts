import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { liveEncoderArgs, presetLines, pushArgs } from '../../apps/egress/src/push/push-args';
import { rtmpTarget } from '../../apps/egress/src/push/rtmp-target';

const base = { encoder: 'x264' as const, fps: 25, bitrateKbps: 1500, keyframeSeconds: 2, epochMs: 1_700_000_000_000 };

/** The value after `flag`, as ffmpeg reads it. */
function option(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

describe('pushArgs', () => {
  test('RTMP: FLV to scheme://host:port, which comes last; the application and the stream key come from the preset on fd 3', () => {
    const { args, preset } = pushArgs({ ...base, url: 'rtmps://media:443/live/yard-k3y?token=t0k' });
    assert.equal(option(args, '-f'), 'image2pipe');
    assert.deepEqual(args.slice(-4), ['no_duration_filesize', '-fpre', '/dev/fd/3', 'rtmps://media:443']);
    assert.ok(args.includes('flv'));
    assert.equal(args.includes('rtsp'), false);
    assert.equal(preset, 'rtmp_app=live\nrtmp_playpath=yard-k3y?token=t0k\n');
    assert.ok(!args.some((arg) => /live|k3y|t0k/.test(arg)), args.join(' '));
  });

  test('RTSP: the rtsp muxer over TCP', () => {
    const { args } = pushArgs({ ...base, url: 'rtsp://media:8554/yard' });
    assert.deepEqual(args.slice(-5), ['-f', 'rtsp', '-rtsp_transport', 'tcp', 'rtsp://media:8554/yard']);
  });

  // an output URL has no -i in front of it: "-report" there once would have been an option, writing a file
  test('a URL that ffmpeg would read as an option is refused, not passed', () => {
    for (const url of ['-report', ' -y', '-f']) assert.throws(() => pushArgs({ ...base, url }), /the egress url must not start with "-"/);
  });

  test('JPEGs from stdin stamped with the wall clock, a constant output rate, even sizes, progress on stdout', () => {
    const { args } = pushArgs({ ...base, url: 'rtmp://media/live/yard' });
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

describe('rtmpTarget splits a URL as ffmpeg 5.1 does (each row read back from ffmpeg -loglevel debug)', () => {
  const ROWS: [path: string, app: string, playpath: string][] = [
    ['/live/yard', 'live', 'yard'],
    ['/live/yard.flv', 'live', 'yard'],
    ['/live/yard.mp4', 'live', 'mp4:yard.mp4'],
    ['/live/mp4:yard.mp4', 'live', 'mp4:yard.mp4'],
    ['/app/inst/key', 'app/inst', 'key'],
    ['/app/inst/key/more', 'app/inst', 'key/more'],
    ['/a/b:c/d', 'a', 'b:c/d'],
    ['/ondemand/x/y', 'ondemand', 'x/y'],
    ['/live?slist=key&x=1', 'live?slist=key&x=1', 'key'],
    ['/li?ve/k?slist=zz', 'li?ve/k?slist=zz', 'zz'],
    ['/live', 'live', ''],
    ['/live/', 'live', ''],
    ['/live/key?token=abc', 'live', 'key?token=abc'],
    ['/live?tok=1/key', 'live?tok=1', 'key'],
    ['//x', '', 'x'],
    ['/live/k#frag', 'live', 'k#frag'],
    ['/live/ke%20y', 'live', 'ke%20y'],
    ["/live/k'e\\y", 'live', "k'e\\y"],
  ];
  for (const [path, app, playpath] of ROWS) {
    test(path, () => assert.deepEqual(rtmpTarget(`rtmp://127.0.0.1:1935${path}`), { origin: 'rtmp://127.0.0.1:1935', app, playpath }));
  }

  test('user:password is refused: ffmpeg reads them only from its command line', () => {
    assert.throws(() => rtmpTarget('rtmp://u:p@media/live/x'), /user:password/);
  });
});

describe('presetLines', () => {
  test('a line break or another control character is refused: it would start an option line of its own', () => {
    for (const bad of ['k\nprotocol_whitelist=file', 'k\rx', 'k\0', 'k\tx']) assert.throws(() => presetLines({ rtmp_playpath: bad }), /control character/);
  });

  test('a line ffmpeg would cut (its fgets reads 1000 bytes) is refused; one that fits is kept', () => {
    assert.throws(() => presetLines({ rtmp_playpath: 'k'.repeat(990) }), /too long/);
    assert.equal(presetLines({ rtmp_playpath: 'k'.repeat(900) }), `rtmp_playpath=${'k'.repeat(900)}\n`);
  });

  test('an empty value is left out (ffmpeg refuses an empty line value and derives the same empty one)', () => {
    assert.equal(presetLines({ rtmp_app: '', rtmp_playpath: 'x' }), 'rtmp_playpath=x\n');
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
