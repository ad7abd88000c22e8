import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { presetLines, rtmpTarget } from '@vigil/media/push';
import { pushArgs } from '../../apps/egress/src/push/push-args';

const base = { encoder: { codec: 'h264', name: 'x264' } as const, fps: 25, bitrateKbps: 1500, keyframeSeconds: 2, epochMs: 1_700_000_000_000 };

/** The value after `flag`, as ffmpeg reads it. */
function option(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

describe('pushArgs', () => {
  test('RTMP: FLV to scheme://host:port, which comes last; the application and the stream key come from the preset on fd 3', () => {
    const { args, preset } = pushArgs({ ...base, url: 'rtmps://media:443/live/yard-k3y?token=t0k' });
    assert.equal(option(args, '-f'), 'matroska');
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

  test('frames from stdin at their own timestamps (Matroska, -copyts), a constant output rate, even sizes, progress on stdout', () => {
    const { args, audioList } = pushArgs({ ...base, url: 'rtmp://media/live/yard' });
    assert.equal(option(args, '-i'), 'pipe:0');
    assert.equal(option(args, '-f'), 'matroska');
    assert.ok(args.includes('-copyts'));
    // bug guarded: the egress stamping frames on arrival, the pipeline's delay then between picture and sound
    assert.equal(args.includes('-use_wallclock_as_timestamps'), false, 'no wall-clock stamps without audio');
    // bug guarded: ffmpeg probing 5 MB of small JPEGs before it even connects
    assert.equal(option(args, '-probesize'), '32');
    // bug guarded: -fps_mode cfr with -copyts filled the timeline's first seconds with copies of the first frame
    assert.equal(option(args, '-fps_mode'), 'passthrough');
    assert.match(option(args, '-vf') ?? '', /^fps=25,scale=trunc\(iw\/2\)\*2:trunc\(ih\/2\)\*2/);
    assert.equal(option(args, '-progress'), 'pipe:1');
    assert.ok(args.includes('-an'));
    assert.equal(audioList, undefined);
    assert.ok(args.indexOf('-probesize') < args.indexOf('-i'), 'input options must come before -i');
  });
});

describe('pushArgs with the camera audio', () => {
  const camera = "rtsp://viewer:pa'ss@cam.local:554/stream1?token=t0k";

  for (const url of ['rtmp://media/live/yard', 'rtsp://127.0.0.1:41000/vigil']) {
    test(`an RTSP camera (${url.slice(0, 4)} push): a second input on fd 4, stamped on arrival and moved to the push's timeline, AAC out`, () => {
      const { args, audioList } = pushArgs({ ...base, url, audio: { kind: 'rtsp', url: camera, transport: 'udp' } });
      const second = args.indexOf('pipe:4');
      assert.ok(second > args.indexOf('pipe:0'), 'the video stays input 0');
      const audioOptions = args.slice(args.indexOf('pipe:0') + 1, second);
      assert.equal(option(audioOptions, '-use_wallclock_as_timestamps'), '1');
      // 1_700_000_000_000 ms is the epoch: the audio's wall-clock stamps count from it, as the frames' do
      assert.equal(option(audioOptions, '-itsoffset'), '-1700000000.000');
      assert.equal(option(audioOptions, '-f'), 'concat');
      assert.equal(option(audioOptions, '-protocol_whitelist'), 'pipe,tcp,udp,rtp,tls');
      // bug guarded: ffmpeg's default queue of 8 packets stopping the camera's read while it waits for the video
      assert.equal(option(audioOptions, '-thread_queue_size'), '1024');
      assert.deepEqual(args.slice(args.indexOf('-map'), args.indexOf('-map') + 4), ['-map', '0:v:0', '-map', '1:a:0']);
      assert.equal(option(args, '-c:a'), 'aac');
      assert.equal(args.includes('-an'), false);
      assert.equal(audioList, [
        'ffconcat version 1.0',
        "file 'rtsp://viewer:pa'\\''ss@cam.local:554/stream1?token=t0k'",
        "option rtsp_transport 'udp'",
        "option allowed_media_types 'audio'",
        "option timeout '10000000'",
        "option analyzeduration '500000'",
        '',
      ].join('\n'));
      for (const secret of ['viewer', "pa'ss", 'cam.local', 'stream1', 't0k']) assert.ok(!args.some((arg) => arg.includes(secret)), `argv shows ${secret}: ${args.join(' ')}`);
    });
  }

  test('a file camera: looped, read as a file (a path starting with "-" is no option), no list', () => {
    const { args, audioList } = pushArgs({ ...base, url: 'rtmp://media/live/yard', audio: { kind: 'file', path: '/media/-report.mp4' } });
    const audioOptions = args.slice(args.indexOf('pipe:0') + 1, args.indexOf('file:/media/-report.mp4') + 1);
    assert.equal(option(audioOptions, '-stream_loop'), '-1');
    assert.equal(option(audioOptions, '-protocol_whitelist'), 'file');
    assert.equal(option(audioOptions, '-i'), 'file:/media/-report.mp4');
    assert.equal(audioOptions.includes('-use_wallclock_as_timestamps'), false);
    assert.equal(audioList, undefined);
  });

  test('a camera url that cannot go into a concat list safely is refused, not passed', () => {
    assert.throws(() => pushArgs({ ...base, url: 'rtmp://media/live/yard', audio: { kind: 'rtsp', url: 'rtsp://cam/x\nfile /etc/passwd', transport: 'tcp' } }), /control character/);
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
