/**
 * The command line of `npm run send`, as an attacker would write it: every bad argument is a UsageError (exit code 2)
 * that says what is wrong, and nothing of it reaches ffmpeg as an option, another protocol or a filter.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSendArgs, type SendOptions } from '../../apps/send/src/send-options';
import { parseServeUrl, servedUrl } from '../../apps/send/src/send-target';
import { sourceInputArgs } from '../../apps/send/src/send-source';
import { UsageError } from '../../apps/send/src/usage-error';

const CWD = '/home/op';

function options(...argv: string[]): SendOptions {
  const parsed = parseSendArgs(argv, CWD);
  assert.equal(parsed.help, false);
  return (parsed as { options: SendOptions }).options;
}

function refusal(...argv: string[]): string {
  try {
    parseSendArgs(argv, CWD);
  } catch (error) {
    assert.ok(error instanceof UsageError, `not a UsageError: ${String(error)}`);
    return error.message;
  }
  assert.fail(`accepted: ${JSON.stringify(argv)}`);
}

describe('parseSendArgs: what it accepts', () => {
  test('a source and a target, with the defaults', () => {
    assert.deepEqual(options('test://', 'rtsp://media:8554/cam'), {
      source: { kind: 'test', pattern: 'testsrc2' },
      target: { kind: 'push', url: 'rtsp://media:8554/cam' },
      codec: 'h264',
      bitrateKbps: 2000,
      keyframeSeconds: 2,
    });
  });

  test('every option, in both spellings, anywhere on the line', () => {
    const parsed = options('--codec', 'h265', 'clip.mp4', '--fps=15', 'rtsp://u:p@media/cam', '--bitrate', '800', '--size=640x360');
    assert.deepEqual(parsed, {
      source: { kind: 'file', path: '/home/op/clip.mp4' },
      target: { kind: 'push', url: 'rtsp://u:p@media/cam' },
      codec: 'h265',
      fps: 15,
      bitrateKbps: 800,
      size: { width: 640, height: 360 },
      keyframeSeconds: 2,
    });
    assert.equal(options('x.mp4', 'rtmp://m/live/k', '--codec', 'H264').codec, 'h264');
    assert.equal(options('x.mp4', 'rtsp://m/k', '--codec', 'hevc').codec, 'h265');
  });

  test('sources: devices, images, files (made absolute), test patterns (and the camera alias smpte)', () => {
    assert.deepEqual(options('/dev/video2', 'rtsp://m/x').source, { kind: 'device', path: '/dev/video2' });
    assert.deepEqual(options('../pics/Door.JPG', 'rtsp://m/x').source, { kind: 'image', path: '/home/pics/Door.JPG' });
    assert.deepEqual(options('/srv/a.mkv', 'rtsp://m/x').source, { kind: 'file', path: '/srv/a.mkv' });
    assert.deepEqual(options('test://smpte', 'rtsp://m/x').source, { kind: 'test', pattern: 'smptebars' });
    assert.deepEqual(options('TEST://Mandelbrot', 'rtsp://m/x').source, { kind: 'test', pattern: 'mandelbrot' });
  });

  test('--serve replaces the target; --help wins over everything else', () => {
    assert.deepEqual(options('test://', '--serve', 'rtsp://0.0.0.0:8554/cam').target, { kind: 'serve', bind: { address: '0.0.0.0', port: 8554, path: '/cam' } });
    assert.deepEqual(parseSendArgs(['--help', '--fps', '9999'], CWD), { help: true });
    assert.deepEqual(parseSendArgs(['-h'], CWD), { help: true });
  });

  test('after "--" a file whose name looks odd is still a file (but never one starting with "-")', () => {
    assert.deepEqual(options('--', 'a b;$(x).mp4', 'rtsp://m/x').source, { kind: 'file', path: '/home/op/a b;$(x).mp4' });
  });
});

describe('parseSendArgs: what an attacker tries (each a usage error, exit code 2)', () => {
  const ROWS: [why: string, argv: string[], message: RegExp][] = [
    ['an unknown option', ['test://', 'rtsp://m/x', '--exec', 'sh'], /^unknown option "--exec"/],
    ['an ffmpeg option passed through', ['test://', 'rtsp://m/x', '-report'], /^unknown option "-report"/],
    ['an unknown option with a value glued on', ['test://', 'rtsp://m/x', '--vf=drawtext'], /^unknown option "--vf"/],
    ['an option given twice', ['test://', 'rtsp://m/x', '--fps', '10', '--fps', '20'], /--fps is given twice/],
    ['an option without its value', ['test://', 'rtsp://m/x', '--fps'], /--fps needs a value/],
    ['an option taking the next option as its value', ['test://', 'rtsp://m/x', '--fps', '--bitrate', '900'], /--fps needs a value/],
    ['an empty value', ['test://', 'rtsp://m/x', '--size='], /--size needs a value/],
    ['fps 0', ['test://', 'rtsp://m/x', '--fps', '0'], /--fps must be from 1 to 120, not 0/],
    ['fps too high', ['test://', 'rtsp://m/x', '--fps', '121'], /--fps must be from 1 to 120/],
    ['fps not a whole number', ['test://', 'rtsp://m/x', '--fps', '12.5'], /--fps must be a whole number/],
    ['fps in hex', ['test://', 'rtsp://m/x', '--fps', '0x10'], /--fps must be a whole number/],
    ['fps with a filter glued on', ['test://', 'rtsp://m/x', '--fps', '10,drawtext=x'], /--fps must be a whole number/],
    ['bitrate too low', ['test://', 'rtsp://m/x', '--bitrate', '99'], /--bitrate must be from 100 to 50000/],
    ['bitrate huge', ['test://', 'rtsp://m/x', '--bitrate', '99999999999'], /--bitrate must be a whole number/],
    ['a size without x', ['test://', 'rtsp://m/x', '--size', '1280'], /--size must be WIDTHxHEIGHT/],
    ['a size with a negative side', ['test://', 'rtsp://m/x', '--size', '1280x-720'], /--size needs a value|--size must be WIDTHxHEIGHT/],
    ['a size too large', ['test://', 'rtsp://m/x', '--size', '99999x720'], /--size must be from 16x16 to 7680x4320/],
    ['a size too small', ['test://', 'rtsp://m/x', '--size', '8x8'], /--size must be from 16x16/],
    ['an odd size', ['test://', 'rtsp://m/x', '--size', '641x360'], /--size must be even/],
    ['a size with a filter glued on', ['test://', 'rtsp://m/x', '--size', '640x360,crop=1:1'], /--size must be WIDTHxHEIGHT/],
    ['an unknown codec', ['test://', 'rtsp://m/x', '--codec', 'av1'], /--codec must be h264 or h265, not "av1"/],
    ['a source starting with "-" after --', ['--', '-i', 'rtsp://m/x'], /the source must not start with "-"/],
    ['a target starting with "-" after --', ['test://', '--', '-y'], /too many arguments|the target must not start with "-"/],
    ['a target starting with " -"', ['test://', '--', ' -y'], /the target must not start with "-"/],
    ['a line break in a path', ['clip.mp4\nsend: status: live', 'rtsp://m/x'], /argument 1 holds a control character/],
    ['an escape sequence in a URL', ['test://', 'rtsp://m/x\x1b[2J'], /argument 2 holds a control character/],
    ['a NUL byte', ['test://\0', 'rtsp://m/x'], /argument 1 holds a control character/],
    ['a tab in an option value', ['test://', 'rtsp://m/x', '--size', '640\tx360'], /argument 4 holds a control character/],
    ['an argument past the bound', ['test://', `rtsp://m/${'a'.repeat(5000)}`], /argument 2 is longer than 4096 characters/],
    ['no arguments', [], /give a source and a target/],
    ['no target', ['test://'], /give a target/],
    ['a third positional', ['test://', 'rtsp://m/x', 'rtsp://m/y'], /too many arguments/],
    ['a target with --serve', ['test://', 'rtsp://m/x', '--serve', 'rtsp://0.0.0.0/x'], /with --serve, only a source/],
    ['an unknown test pattern', ['test://ball;rm', 'rtsp://m/x'], /unknown test pattern "ball;rm": use one of test:\/\/testsrc2/],
    ['a lavfi graph as a pattern', ['test://testsrc2,drawtext=textfile=/etc/shadow', 'rtsp://m/x'], /unknown test pattern/],
    ['a network source', ['http://169.254.169.254/latest', 'rtsp://m/x'], /unsupported source/],
    ['another /dev file', ['/dev/sda', 'rtsp://m/x'], /a device source must be a V4L2 device/],
    ['a device path with more after it', ['/dev/video0/../sda', 'rtsp://m/x'], /a device source must be a V4L2 device/],
    ['a file:// target', ['test://', 'file:///etc/passwd'], /the target: unsupported egress url scheme "file:\/\/"/],
    ['an http target', ['test://', 'http://m/x'], /unsupported egress url scheme/],
    ['an rtmp target with user:password', ['test://', 'rtmp://u:s3cret@m/live/x'], /an rtmp url cannot carry user:password/],
    ['an rtsp target with a space in the path', ['test://', 'rtsp://m/a b'], /the target: /],
    ['an rtsp target with a bad port', ['test://', 'rtsp://m:99999/x'], /the target: not a URL/],
    ['an rtsp target with a malformed %-escape in the password', ['test://', 'rtsp://u:%zz@m/x'], /the target: /],
    ['an rtsp target with no path', ['test://', 'rtsp://m'], /the url has no stream path/],
    ['H.265 to RTMP', ['test://', 'rtmp://m/live/x', '--codec', 'h265'], /^H\.265 cannot be pushed over RTMP: ffmpeg 5\.1 \(Debian 12\).*FFmpeg 6\.1.*over RTSP/],
    ['H.265 to RTMPS', ['test://', 'rtmps://m/live/x', '--codec', 'h265'], /^H\.265 cannot be pushed over RTMP/],
  ];
  for (const [why, argv, message] of ROWS) {
    test(why, () => assert.match(refusal(...argv), message));
  }

  test('no refusal repeats a password or more than a short piece of the argument', () => {
    assert.doesNotMatch(refusal('test://', 'rtmp://u:s3cret@m/live/x'), /s3cret/);
    assert.doesNotMatch(refusal('test://', 'ftp://u:s3cret@m/x'), /s3cret/);
    assert.ok(refusal('test://', 'rtsp://m/x', '--codec', 'x'.repeat(3000)).length < 200);
  });
});

describe('parseServeUrl', () => {
  test('an address, a port (8554 when none) and a mount path', () => {
    assert.deepEqual(parseServeUrl('rtsp://0.0.0.0:8554/cam'), { address: '0.0.0.0', port: 8554, path: '/cam' });
    assert.deepEqual(parseServeUrl('rtsp://127.0.0.1/a/b-c_d.e~f'), { address: '127.0.0.1', port: 8554, path: '/a/b-c_d.e~f' });
    assert.deepEqual(parseServeUrl('RTSP://[::]:9000/cam'), { address: '::', port: 9000, path: '/cam' });
    assert.deepEqual(parseServeUrl('rtsp://localhost:1/x'), { address: 'localhost', port: 1, path: '/x' });
  });

  const BAD: [string, RegExp][] = [
    ['rtmp://0.0.0.0/cam', /--serve takes rtsp:\/\/ADDRESS/],
    ['rtsp://0.0.0.0:8554/cam?x=1', /--serve takes rtsp:\/\/ADDRESS/],
    ['rtsp://0.0.0.0:8554/cam#f', /--serve takes rtsp:\/\/ADDRESS/],
    ['rtsp://u:p@0.0.0.0/cam', /no user:password/],
    ['rtsp://camera.example/cam', /the address must be an IP address of this machine/],
    ['rtsp://999.1.1.1/cam', /the address must be an IP address/],
    ['rtsp://::1/cam', /the address must be an IP address/],
    ['rtsp://[example]/cam', /the address must be an IP address/],
    ['rtsp://0.0.0.0:0/cam', /the port must be between 1 and 65535/],
    ['rtsp://0.0.0.0:65536/cam', /the port must be between 1 and 65535/],
    ['rtsp://0.0.0.0:85x/cam', /the port must be between 1 and 65535/],
    ['rtsp://0.0.0.0:8554', /the path must be \/name/],
    ['rtsp://0.0.0.0:8554/', /the path must be \/name/],
    ['rtsp://0.0.0.0:8554/a b', /the path must be \/name/],
    ['rtsp://0.0.0.0:8554/a"b', /the path must be \/name/],
    ['rtsp://0.0.0.0:8554/a)!b', /the path must be \/name/],
    ['rtsp://0.0.0.0:8554/..', /the path must be \/name/],
    ['rtsp://0.0.0.0:8554/a//b', /the path must be \/name/],
    ['rtsp://0.0.0.0:8554/%2e', /the path must be \/name/],
    [`rtsp://0.0.0.0:8554/${'a'.repeat(201)}`, /the path must be \/name/],
    ['rtsp://0.0.0.0:8554/1/2/3/4/5/6/7/8/9', /the path must be \/name/],
  ];
  for (const [url, message] of BAD) {
    test(`refuses ${url.length > 60 ? `${url.slice(0, 60)}...` : url}`, () => assert.throws(() => parseServeUrl(url), (error: unknown) => error instanceof UsageError && message.test(error.message)));
  }

  test('the URL a player opens: a wildcard address becomes loopback, an IPv6 one gets brackets', () => {
    assert.equal(servedUrl({ address: '0.0.0.0', port: 8554, path: '/cam' }), 'rtsp://127.0.0.1:8554/cam');
    assert.equal(servedUrl({ address: '::', port: 1, path: '/c' }), 'rtsp://[::1]:1/c');
    assert.equal(servedUrl({ address: 'fe80::1', port: 1, path: '/c' }), 'rtsp://[fe80::1]:1/c');
  });
});

describe('sourceInputArgs', () => {
  test('a file: read at its speed, looped, as a file: URL under a file-only protocol whitelist', () => {
    assert.deepEqual(sourceInputArgs({ kind: 'file', path: '/srv/http:evil.mp4' }, 25, undefined), ['-re', '-stream_loop', '-1', '-protocol_whitelist', 'file', '-i', 'file:/srv/http:evil.mp4']);
  });

  test('an image: one picture at the rate, no %d or glob pattern read from its name', () => {
    assert.deepEqual(sourceInputArgs({ kind: 'image', path: '/srv/pic%03d*.png' }, 5, undefined), ['-re', '-loop', '1', '-framerate', '5', '-f', 'image2', '-pattern_type', 'none', '-protocol_whitelist', 'file', '-i', 'file:/srv/pic%03d*.png']);
  });

  test('a device asks the camera for the rate, and for the size when one was given', () => {
    assert.deepEqual(sourceInputArgs({ kind: 'device', path: '/dev/video0' }, 30, { width: 640, height: 480 }), ['-f', 'v4l2', '-framerate', '30', '-video_size', '640x480', '-i', '/dev/video0']);
    assert.deepEqual(sourceInputArgs({ kind: 'device', path: '/dev/video0' }, 30, undefined), ['-f', 'v4l2', '-framerate', '30', '-i', '/dev/video0']);
  });

  test('a test pattern: a lavfi source from the fixed list, with integers only', () => {
    assert.deepEqual(sourceInputArgs({ kind: 'test', pattern: 'smptebars' }, 10, { width: 320, height: 180 }), ['-re', '-f', 'lavfi', '-i', 'smptebars=size=320x180:rate=10']);
    assert.throws(() => sourceInputArgs({ kind: 'test', pattern: 'smptebars' }, 10.5, { width: 320, height: 180 }), /not a positive integer/);
  });

  test('a relative path never reaches ffmpeg (it would not be a file: URL of the file meant)', () => {
    assert.throws(() => sourceInputArgs({ kind: 'file', path: 'clip.mp4' }, 25, undefined), /absolute path/);
  });
});
