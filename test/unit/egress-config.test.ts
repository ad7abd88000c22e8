import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCamerasFile } from '@vigil/config';
import { cameraEgressSchema, codecTargetProblem, egressProtocol } from '@vigil/contracts';

/** The cameras file's message for one camera with this egress section. */
function refusal(egress: unknown): string {
  try {
    parseCamerasFile(JSON.stringify({ cameras: [{ id: 'ok', url: 'test://ball' }, { id: 'yard', url: 'test://ball', egress }] }), 'site.yaml');
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail(`egress ${JSON.stringify(egress)} was accepted`);
}

describe('the egress section of a camera', () => {
  test('defaults: the annotated stream, 2000 kbit/s, a keyframe every 2 s, the service-wide encoder, the arrival rate', () => {
    assert.deepEqual(cameraEgressSchema.parse({ url: 'rtmp://media/live/yard' }), {
      enabled: true,
      url: 'rtmp://media/live/yard',
      stream: 'annotated',
      bitrate: 2000,
      keyframeSeconds: 2,
      codec: 'h264',
      encoder: 'auto',
    });
  });

  test('keeps every field given, for RTMP, RTMPS and RTSP targets', () => {
    const full = { enabled: false, url: 'rtsp://user:pw@media:8554/yard', stream: 'raw', fps: 12.5, bitrate: 800, keyframeSeconds: 1, codec: 'h264', encoder: 'x264', audio: false } as const;
    assert.deepEqual(cameraEgressSchema.parse(full), full);
    assert.equal(cameraEgressSchema.parse({ url: 'rtmps://media/live/yard' }).url, 'rtmps://media/live/yard');
    assert.equal(egressProtocol('RTSP://media/yard'), 'rtsp');
    assert.equal(egressProtocol('rtmps://media/live/yard'), 'rtmp');
  });

  test('a bad value is refused with the field named, through the cameras file', () => {
    assert.match(refusal({ url: 'http://x' }), /^site\.yaml: cameras\[1\]\.egress\.url: unsupported egress url scheme "http:\/\/"/);
    assert.match(refusal({ url: 'rtmp://media' }), /cameras\[1\]\.egress\.url: the url has no stream path/);
    assert.match(refusal({ url: 'not a url' }), /cameras\[1\]\.egress\.url: not a URL/);
    assert.match(refusal({ url: 'rtmp://m/live/x', stream: 'boxes' }), /cameras\[1\]\.egress\.stream: /);
    assert.match(refusal({ url: 'rtmp://m/live/x', fps: 0 }), /cameras\[1\]\.egress\.fps: /);
    assert.match(refusal({ url: 'rtmp://m/live/x', bitrate: 10 }), /cameras\[1\]\.egress\.bitrate: /);
    assert.match(refusal({ url: 'rtmp://m/live/x', encoder: 'qsv' }), /cameras\[1\]\.egress\.encoder: /);
    assert.match(refusal({ url: 'rtmp://m/live/x', bitrat: 900 }), /cameras\[1\]\.egress: Unrecognized key.*bitrat/);
    assert.match(refusal({}), /cameras\[1\]\.egress\.url: Required/);
  });

  test('an rtmp url with user:password is refused (ffmpeg would show them in ps); a control character is refused', () => {
    assert.match(refusal({ url: 'rtmp://pusher:s3cret@media/live/x' }), /cameras\[1\]\.egress\.url: an rtmp url cannot carry user:password/);
    assert.doesNotMatch(refusal({ url: 'rtmps://pusher:s3cret@media/live/x' }), /s3cret/);
    assert.match(refusal({ url: 'rtmp://media/live/x\nrtmp_app=y' }), /cameras\[1\]\.egress\.url: the url holds a control character/);
  });

  test('audio: absent means "when the source has it" (no default written), true and false are kept', () => {
    assert.equal('audio' in cameraEgressSchema.parse({ url: 'rtmp://media/live/yard' }), false);
    assert.equal(cameraEgressSchema.parse({ url: 'rtmp://media/live/yard', audio: true }).audio, true);
  });

  // an attacker's record: a value that would be an ffmpeg option, or that a loose check would read as true
  test('audio takes a boolean only', () => {
    for (const audio of ['true', '-i /etc/passwd', 1, null, { codec: 'aac' }, ['aac']]) {
      assert.match(refusal({ url: 'rtmp://m/live/x', audio }), /cameras\[1\]\.egress\.audio: Expected boolean/);
    }
  });

  test('a refused URL never repeats its credentials', () => {
    const message = refusal({ url: 'ftp://admin:hunter2@media/live' });
    assert.doesNotMatch(message, /hunter2/);
  });

  test('codec h265 over RTSP is kept, with x265 or nvenc', () => {
    for (const encoder of ['auto', 'x265', 'nvenc'] as const) assert.equal(cameraEgressSchema.parse({ url: 'rtsp://media:8554/yard', codec: 'h265', encoder }).codec, 'h265');
  });

  // ffmpeg 5.1 refuses H.265 in FLV; a push accepted here would fail at every start instead, with a cryptic reason
  test('codec h265 over RTMP or RTMPS is refused at the codec field, saying why and what to use instead', () => {
    for (const url of ['rtmp://m/live/x', 'rtmps://m/live/x']) {
      const message = refusal({ url, codec: 'h265' });
      assert.match(message, /cameras\[1\]\.egress\.codec: H\.265 cannot be pushed over RTMP: ffmpeg 5\.1 \(Debian 12\)/);
      assert.match(message, /enhanced RTMP \(FFmpeg 6\.1 or newer\)/);
      assert.match(message, /over RTSP/);
    }
    assert.equal(codecTargetProblem('h265', 'rtsp://m/x'), undefined);
    assert.equal(codecTargetProblem('h264', 'rtmp://m/live/x'), undefined);
    assert.match(codecTargetProblem('h265', 'RTMP://m/live/x') ?? '', /^H\.265 cannot be pushed over RTMP/);
  });

  test("a CPU encoder of the other codec is refused at the encoder field (x264 makes no H.265)", () => {
    assert.match(refusal({ url: 'rtsp://m/x', codec: 'h265', encoder: 'x264' }), /cameras\[1\]\.egress\.encoder: x264 does not encode H\.265: with codec h265 use auto, nvenc or x265/);
    assert.match(refusal({ url: 'rtsp://m/x', encoder: 'x265' }), /cameras\[1\]\.egress\.encoder: x265 does not encode H\.264/);
    assert.match(refusal({ url: 'rtsp://m/x', codec: 'av1' }), /cameras\[1\]\.egress\.codec: /);
  });
});
