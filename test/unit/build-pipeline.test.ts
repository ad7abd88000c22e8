import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cameraConfigSchema, classifySource, type CameraInput } from '@vigil/contracts';
import { buildPipeline, chooseDecoder, DEFAULT_SYNTHETIC_FPS, type DecoderChoice, type Pipeline } from '@vigil/media';
import { names, stage, stages, unquote } from '../support/gst-launch';

// --- building pipelines ---------------------------------------------------------------------

const H264 = chooseDecoder('h264', 'cpu', new Set(['avdec_h264']));
const H265 = chooseDecoder('h265', 'cpu', new Set(['avdec_h265']));
const NVH264 = chooseDecoder('h264', 'auto', new Set(['nvh264dec', 'avdec_h264']));
const NVH265 = chooseDecoder('h265', 'gpu', new Set(['nvh265dec', 'avdec_h265']));

function build(url: string, camera: Omit<CameraInput, 'id' | 'url'> = {}, decoder?: DecoderChoice, watchdogMs?: number): Pipeline {
  return buildPipeline({ camera: cameraConfigSchema.parse({ id: 'cam', url, ...camera }), source: classifySource(url), decoder, watchdogMs });
}

const TAIL = ['queue', 'jpegenc', 'appsink'];

describe('buildPipeline: one pipeline per source kind', () => {
  test('rtsp over tcp: credentials go to user-id/user-pw, never into the location', () => {
    const pipeline = build('rtsp://admin:p%40ss@cam.local:554/stream1', {}, H264, 10_000);
    assert.deepEqual(names(pipeline.launch), ['rtspsrc', 'rtph264depay', 'h264parse', 'avdec_h264', 'videoconvert', 'watchdog', ...TAIL]);
    const src = stage(pipeline.launch, 'rtspsrc').props;
    assert.equal(unquote(src.location!), 'rtsp://cam.local:554/stream1');
    assert.equal(unquote(src['user-id']!), 'admin');
    assert.equal(unquote(src['user-pw']!), 'p@ss'); // percent-escapes decoded: rtspsrc sends the password as given
    assert.equal(src.protocols, 'tcp');
    assert.equal(src.latency, '0');
    assert.equal(src['drop-on-latency'], 'true');
    assert.equal(pipeline.decoder, 'avdec_h264');
    assert.equal(pipeline.live, true);
  });

  test('rtsp masked pipeline has *** for user and password and is otherwise the same', () => {
    const pipeline = build('rtsp://admin:p%40ss@cam.local:554/stream1', {}, H264, 10_000);
    const src = stage(pipeline.masked, 'rtspsrc').props;
    assert.equal(unquote(src['user-id']!), '***');
    assert.equal(unquote(src['user-pw']!), '***');
    assert.equal(unquote(src.location!), 'rtsp://cam.local:554/stream1');
    assert.ok(!pipeline.masked.includes('p@ss') && !pipeline.masked.includes('p%40ss') && !pipeline.masked.includes('admin'));
    const plain = stage(pipeline.launch, 'rtspsrc').props;
    assert.deepEqual({ ...src, 'user-id': plain['user-id'], 'user-pw': plain['user-pw'] }, plain);
    assert.deepEqual(stages(pipeline.masked).slice(1), stages(pipeline.launch).slice(1));
  });

  test('rtsp over udp without credentials has no user-id/user-pw and masked equals launch', () => {
    const pipeline = build('rtsp://cam.local/s', { transport: 'udp' }, H264);
    const src = stage(pipeline.launch, 'rtspsrc').props;
    assert.equal(src.protocols, 'udp');
    assert.equal(src['user-id'], undefined);
    assert.equal(src['user-pw'], undefined);
    assert.equal(pipeline.masked, pipeline.launch);
  });

  test('rtsp with a user but no password sets only user-id', () => {
    const src = stage(build('rtsp://viewer@cam.local/s', {}, H264).launch, 'rtspsrc').props;
    assert.equal(unquote(src['user-id']!), 'viewer');
    assert.equal(src['user-pw'], undefined);
  });

  test('a password with a double quote is escaped in launch and absent from masked', () => {
    const pipeline = build('rtsp://admin:a%22b%20c@cam.local/s', {}, H264);
    assert.equal(unquote(stage(pipeline.launch, 'rtspsrc').props['user-pw']!), 'a"b c');
    assert.ok(!pipeline.masked.includes('a"b') && !pipeline.masked.includes('a\\"b'));
  });

  test('rtsp h265 uses the h265 depayloader and parser', () => {
    assert.deepEqual(names(build('rtsp://cam.local/s', {}, H265).launch).slice(0, 5), ['rtspsrc', 'rtph265depay', 'h265parse', 'avdec_h265', 'videoconvert']);
    assert.deepEqual(names(build('rtsp://cam.local/s', {}, NVH264).launch).slice(0, 5), ['rtspsrc', 'rtph264depay', 'h264parse', 'nvh264dec', 'videoconvert']);
  });

  test('rtsp and file sources refuse to build without a decoder choice', () => {
    assert.throws(() => build('rtsp://cam.local/s'), /a rtsp source needs a decoder choice/);
    assert.throws(() => build('/videos/clip.mp4'), /a file source needs a decoder choice/);
  });

  test('file with h264: filesrc, parsebin, parser, decoder; paced by the sink clock', () => {
    const pipeline = build('/videos/clip.mp4', {}, H264, 10_000);
    assert.deepEqual(names(pipeline.launch), ['filesrc', 'parsebin', 'h264parse', 'avdec_h264', 'videoconvert', ...TAIL]);
    assert.equal(unquote(stage(pipeline.launch, 'filesrc').props.location!), '/videos/clip.mp4');
    assert.equal(pipeline.live, false);
    assert.equal(pipeline.decoder, 'avdec_h264');
  });

  test('file with h265 and with NVDEC decoders', () => {
    assert.deepEqual(names(build('/videos/clip.mkv', {}, H265).launch).slice(0, 5), ['filesrc', 'parsebin', 'h265parse', 'avdec_h265', 'videoconvert']);
    const nv264 = build('/videos/clip.mp4', {}, NVH264);
    assert.deepEqual(names(nv264.launch).slice(0, 5), ['filesrc', 'parsebin', 'h264parse', 'nvh264dec', 'videoconvert']);
    assert.equal(nv264.decoder, 'nvh264dec');
    assert.deepEqual(names(build('/videos/clip.mp4', {}, NVH265).launch).slice(2, 4), ['h265parse', 'nvh265dec']);
  });

  test('http MJPEG: souphttpsrc as a live, timestamped source with credentials as properties', () => {
    const pipeline = build('http://viewer:s3cret@cam.local/video.mjpg', {}, undefined, 10_000);
    assert.deepEqual(names(pipeline.launch), ['souphttpsrc', 'multipartdemux', 'jpegdec', 'videoconvert', 'watchdog', ...TAIL]);
    const src = stage(pipeline.launch, 'souphttpsrc').props;
    assert.equal(unquote(src.location!), 'http://cam.local/video.mjpg');
    assert.equal(unquote(src['user-id']!), 'viewer');
    assert.equal(unquote(src['user-pw']!), 's3cret');
    assert.equal(src['is-live'], 'true');
    assert.equal(src['do-timestamp'], 'true');
    assert.equal(pipeline.decoder, 'jpegdec');
    assert.equal(pipeline.live, true);
    assert.ok(!pipeline.masked.includes('s3cret') && !pipeline.masked.includes('viewer'));
  });

  test('v4l2: v4l2src on the device, decodebin for whatever the camera sends', () => {
    const pipeline = build('/dev/video2', {}, undefined, 10_000);
    assert.deepEqual(names(pipeline.launch), ['v4l2src', 'decodebin', 'videoconvert', 'watchdog', ...TAIL]);
    assert.equal(unquote(stage(pipeline.launch, 'v4l2src').props.device!), '/dev/video2');
    assert.equal(pipeline.live, true);
    assert.equal(pipeline.decoder, 'decodebin');
  });

  test('image sequence: multifilesrc looping from index 0 at the camera fps', () => {
    const pipeline = build('/frames/%06d.jpg', { fps: 10 }, undefined, 10_000);
    assert.deepEqual(names(pipeline.launch), ['multifilesrc', 'jpegdec', 'videoconvert', 'videorate', ...TAIL]);
    const src = stage(pipeline.launch, 'multifilesrc').props;
    assert.equal(unquote(src.location!), '/frames/%06d.jpg');
    assert.equal(src.index, '0');
    assert.equal(src.loop, 'true');
    assert.equal(unquote(src.caps!), 'image/jpeg,framerate=10/1');
    assert.equal(pipeline.live, false);
  });

  test(`image sequence without fps plays at ${DEFAULT_SYNTHETIC_FPS} fps and adds no videorate`, () => {
    const pipeline = build('/frames/%06d.jpg');
    assert.equal(unquote(stage(pipeline.launch, 'multifilesrc').props.caps!), `image/jpeg,framerate=${DEFAULT_SYNTHETIC_FPS}/1`);
    assert.ok(!names(pipeline.launch).includes('videorate'));
  });

  test('image sequence with a fractional fps gets a fraction of the same value', () => {
    const caps = unquote(stage(build('/frames/%06d.jpg', { fps: 12.5 }).launch, 'multifilesrc').props.caps!);
    const [, num, den] = /framerate=(\d+)\/(\d+)$/.exec(caps)!;
    assert.equal(Number(num) / Number(den), 12.5);
  });

  test('test pattern: size and rate go into caps right after videotestsrc, no videorate or videoscale', () => {
    const pipeline = build('test://smpte', { width: 320, height: 240, fps: 10 });
    assert.deepEqual(names(pipeline.launch), ['videotestsrc', 'video/x-raw,width=320,height=240,framerate=10/1', ...TAIL]);
    assert.equal(stage(pipeline.launch, 'videotestsrc').props.pattern, 'smpte');
    assert.equal(pipeline.decoder, 'none (synthetic)');
  });

  test('test pattern defaults to 1280x720 at 25 fps, live', () => {
    const pipeline = build('test://ball', {}, undefined, 10_000);
    assert.equal(stage(pipeline.launch, 'videotestsrc').props['is-live'], 'true');
    assert.ok(names(pipeline.launch).includes('video/x-raw,width=1280,height=720,framerate=25/1'));
    assert.equal(pipeline.live, true);
  });

  test('test pattern with only a width gets an even 16:9 height', () => {
    assert.ok(names(build('test://ball', { width: 320 }).launch).includes('video/x-raw,width=320,height=180,framerate=25/1'));
    assert.ok(names(build('test://ball', { width: 100 }).launch).includes('video/x-raw,width=100,height=56,framerate=25/1'));
  });

  test('bug: a test pattern with only a height was stretched to 1280 wide; it gets an even 16:9 width', () => {
    assert.ok(names(build('test://ball', { height: 360 }).launch).includes('video/x-raw,width=640,height=360,framerate=25/1'));
  });

  test('test pattern with realtime false is generated as fast as possible and is not live', () => {
    const pipeline = build('test://ball', { realtime: false }, undefined, 10_000);
    assert.equal(stage(pipeline.launch, 'videotestsrc').props['is-live'], 'false');
    assert.equal(pipeline.live, false);
    assert.ok(!names(pipeline.launch).includes('watchdog'));
  });
});

describe('buildPipeline: processing stages', () => {
  test('an fps cap adds videorate (drop-only, max-rate) after decoding and before jpegenc', () => {
    const launch = build('rtsp://cam.local/s', { fps: 5 }, H264, 10_000).launch;
    assert.deepEqual(names(launch).slice(4), ['videoconvert', 'watchdog', 'videorate', ...TAIL]);
    assert.deepEqual(stage(launch, 'videorate').props, { 'drop-only': 'true', 'max-rate': '5' });
  });

  test('bug: fractional caps (0.5, 12.5 fps) were rounded by max-rate; they go into framerate caps instead', () => {
    for (const [fps, fraction] of [[0.5, '500/1000'], [12.5, '12500/1000']] as const) {
      const launch = build('rtsp://cam.local/s', { fps }, H264).launch;
      const all = names(launch);
      assert.deepEqual(stage(launch, 'videorate').props, { 'drop-only': 'true' });
      assert.equal(all[all.indexOf('videorate') + 1], `video/x-raw,framerate=${fraction}`);
    }
  });

  test('no fps cap, no videorate', () => {
    assert.ok(!names(build('rtsp://cam.local/s', {}, H264).launch).includes('videorate'));
    assert.ok(!names(build('/videos/a.mp4', {}, H264).launch).includes('videorate'));
  });

  test('width and height add videoscale and caps with square pixels, after videorate', () => {
    const launch = build('/videos/a.mp4', { fps: 5, width: 640, height: 360 }, H264).launch;
    assert.deepEqual(names(launch).slice(4), ['videoconvert', 'videorate', 'videoscale', 'video/x-raw,width=640,height=360,pixel-aspect-ratio=1/1', ...TAIL]);
  });

  test('width alone or height alone leaves the other side to videoscale (aspect ratio kept)', () => {
    assert.ok(names(build('/videos/a.mp4', { width: 640 }, H264).launch).includes('video/x-raw,width=640,pixel-aspect-ratio=1/1'));
    assert.ok(names(build('/videos/a.mp4', { height: 360 }, H264).launch).includes('video/x-raw,height=360,pixel-aspect-ratio=1/1'));
  });

  test('no size, no videoscale', () => {
    assert.ok(!names(build('http://cam.local/m', {}).launch).includes('videoscale'));
  });

  test('jpegQuality reaches jpegenc (default 80)', () => {
    assert.equal(stage(build('rtsp://cam.local/s', { jpegQuality: 55 }, H264).launch, 'jpegenc').props.quality, '55');
    assert.equal(stage(build('test://ball').launch, 'jpegenc').props.quality, '80');
  });

  test('JPEG encoding gets its own thread: a queue before jpegenc, leaky (drop oldest) only for live sources', () => {
    assert.equal(stage(build('rtsp://cam.local/s', {}, H264).launch, 'queue').props.leaky, 'downstream');
    assert.equal(stage(build('/videos/a.mp4', { realtime: false }, H264).launch, 'queue').props.leaky, undefined, 'a file read flat out loses no frame');
    assert.equal(stage(build('/videos/a.mp4', {}, H264).launch, 'queue').props['max-size-buffers'], '3');
  });

  test('the pipeline ends in an unnamed appsink with 2 buffers and no signals (OpenCV finds it by its default name)', () => {
    for (const pipeline of [build('rtsp://cam.local/s', {}, H264), build('/videos/a.mp4', {}, H264), build('test://ball')]) {
      const last = stages(pipeline.launch).at(-1)!;
      assert.equal(last.name, 'appsink');
      assert.equal(last.props.name, undefined);
      assert.equal(last.props['max-buffers'], '2');
      assert.equal(last.props['emit-signals'], 'false');
    }
  });
});

describe('buildPipeline: appsink pacing and the watchdog', () => {
  const sink = (pipeline: Pipeline) => stages(pipeline.launch).at(-1)!.props;

  test('a live source drops at the sink and does not sync (the camera paces itself)', () => {
    for (const pipeline of [build('rtsp://cam.local/s', {}, H264), build('http://cam.local/m'), build('/dev/video0'), build('test://ball')]) {
      assert.equal(sink(pipeline).sync, 'false', pipeline.launch);
      assert.equal(sink(pipeline).drop, 'true', pipeline.launch);
    }
  });

  test('a realtime file or sequence syncs to its timestamps and never drops', () => {
    for (const pipeline of [build('/videos/a.mp4', {}, H264), build('/frames/%06d.jpg')]) {
      assert.equal(sink(pipeline).sync, 'true', pipeline.launch);
      assert.equal(sink(pipeline).drop, 'false', pipeline.launch);
    }
  });

  test('a file with realtime false runs flat out and never drops', () => {
    for (const pipeline of [build('/videos/a.mp4', { realtime: false }, H264), build('test://ball', { realtime: false })]) {
      assert.equal(sink(pipeline).sync, 'false', pipeline.launch);
      assert.equal(sink(pipeline).drop, 'false', pipeline.launch);
    }
  });

  test('live sources get a watchdog with the given timeout, right after the source stages', () => {
    const rtsp = build('rtsp://cam.local/s', {}, H264, 7_500.4);
    assert.equal(names(rtsp.launch).indexOf('watchdog'), names(rtsp.launch).indexOf('videoconvert') + 1);
    assert.deepEqual(stage(rtsp.launch, 'watchdog').props, { timeout: '7500' });
    for (const pipeline of [build('http://cam.local/m', {}, undefined, 3000), build('/dev/video0', {}, undefined, 3000), build('test://ball', {}, undefined, 3000)]) {
      assert.equal(stage(pipeline.launch, 'watchdog').props.timeout, '3000');
    }
  });

  test('files, sequences and non-realtime test patterns get no watchdog (they end, they do not stall)', () => {
    for (const pipeline of [build('/videos/a.mp4', {}, H264, 3000), build('/frames/%06d.jpg', {}, undefined, 3000), build('test://ball', { realtime: false }, undefined, 3000)]) {
      assert.ok(!names(pipeline.launch).includes('watchdog'), pipeline.launch);
    }
  });

  test('no watchdogMs, no watchdog', () => {
    assert.ok(!names(build('rtsp://cam.local/s', {}, H264).launch).includes('watchdog'));
    assert.ok(!names(build('rtsp://cam.local/s', {}, H264, 0).launch).includes('watchdog'));
  });
});

describe('buildPipeline: quoting', () => {
  test('a path with spaces and double quotes stays one quoted value that reads back as the path', () => {
    const path = '/videos/my clip "final" ! v2.mp4';
    const pipeline = build(path, {}, H264);
    assert.deepEqual(names(pipeline.launch).slice(0, 2), ['filesrc', 'parsebin']);
    assert.equal(unquote(stage(pipeline.launch, 'filesrc').props.location!), path);
    assert.ok(!/(^|[^\\])" ! v2/.test(pipeline.launch), 'no unescaped quote before the path\'s "!"');
  });

  test('backslashes are escaped so they are not read as escapes', () => {
    const path = 'C:\\videos\\"x".mp4';
    assert.equal(unquote(stage(build(path, {}, H264).launch, 'filesrc').props.location!), path);
  });

  test('an image sequence directory with spaces is quoted', () => {
    const pattern = '/data/my frames/%04d.jpg';
    assert.equal(unquote(stage(build(pattern).launch, 'multifilesrc').props.location!), pattern);
  });
});

describe('buildPipeline: cameras sharing a capture process', () => {
  const labelled = (url: string, camera: Omit<CameraInput, 'id' | 'url'>, decoder?: DecoderChoice): Pipeline =>
    buildPipeline({ camera: cameraConfigSchema.parse({ id: 'dock-2', url, ...camera }), source: classifySource(url), decoder, watchdogMs: 5000, label: 'dock-2' });

  test('every element that reports errors is named <camera>-<factory>; the appsink keeps the name OpenCV looks for', () => {
    const pipeline = labelled('rtsp://cam.local/s', {}, H264);
    for (const factory of ['rtspsrc', 'rtph264depay', 'h264parse', 'avdec_h264', 'watchdog', 'jpegenc']) {
      assert.equal(unquote(stage(pipeline.launch, factory).props.name!), `dock-2-${factory}`, factory);
    }
    assert.equal(stage(pipeline.launch, 'appsink').props.name, undefined);
  });

  test('the shared form never waits to preroll at open; the form for a process of its own does', () => {
    const pipeline = labelled('/media/a.mp4', {}, H264);
    assert.equal(stage(pipeline.launch, 'appsink').props.async, 'false');
    assert.equal(stage(pipeline.launchAlone, 'appsink').props.async, undefined);
    assert.equal(pipeline.launchAlone.replace(' async=false', ''), pipeline.launch.replace(' async=false', ''), 'otherwise the same');
  });

  test('a paced H.264 stream decodes on one thread; a file read flat out and H.265 keep libav threads', () => {
    assert.equal(stage(labelled('rtsp://cam.local/s', {}, H264).launch, 'avdec_h264').props['max-threads'], '1');
    assert.equal(stage(labelled('/media/a.mp4', {}, H264).launch, 'avdec_h264').props['max-threads'], '1');
    assert.equal(stage(labelled('/media/a.mp4', { realtime: false }, H264).launch, 'avdec_h264').props['max-threads'], undefined);
    assert.equal(stage(labelled('rtsp://cam.local/s', {}, H265).launch, 'avdec_h265').props['max-threads'], undefined);
    assert.equal(stage(labelled('rtsp://cam.local/s', {}, NVH264).launch, 'nvh264dec').props['max-threads'], undefined);
  });
});
