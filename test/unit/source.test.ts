import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySource, SourceError, TEST_PATTERNS } from '@vigil/contracts';

function rejects(url: string, message: RegExp): void {
  assert.throws(() => classifySource(url), (error: unknown) => {
    assert.ok(error instanceof SourceError, `expected SourceError for ${JSON.stringify(url)}, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

describe('classifySource', () => {
  test('rtsp and rtsps URLs are rtsp sources and keep their credentials for the pipeline builder', () => {
    assert.deepEqual(classifySource('rtsp://cam.local:554/stream1'), { kind: 'rtsp', location: 'rtsp://cam.local:554/stream1' });
    assert.deepEqual(classifySource('rtsps://admin:secret@cam.local/live'), { kind: 'rtsp', location: 'rtsps://admin:secret@cam.local/live' });
  });

  test('the scheme is case-insensitive and surrounding whitespace is ignored', () => {
    assert.equal(classifySource('  RTSP://cam.local/s  ').kind, 'rtsp');
    assert.equal(classifySource('HTTPS://cam.local/video.mjpg').kind, 'http');
  });

  test('http and https URLs are http (MJPEG) sources', () => {
    assert.deepEqual(classifySource('http://cam.local/video.mjpg'), { kind: 'http', location: 'http://cam.local/video.mjpg' });
    assert.deepEqual(classifySource('https://cam.local:8443/mjpg?res=hd'), { kind: 'http', location: 'https://cam.local:8443/mjpg?res=hd' });
  });

  test('file:// URLs become decoded absolute paths', () => {
    assert.deepEqual(classifySource('file:///videos/clip.mp4'), { kind: 'file', location: '/videos/clip.mp4' });
    assert.deepEqual(classifySource('file:///videos/my%20clip.mp4'), { kind: 'file', location: '/videos/my clip.mp4' });
  });

  test('absolute and relative paths are file sources, kept as written', () => {
    assert.deepEqual(classifySource('/videos/clip.mp4'), { kind: 'file', location: '/videos/clip.mp4' });
    assert.deepEqual(classifySource('videos/clip.mp4'), { kind: 'file', location: 'videos/clip.mp4' });
    assert.deepEqual(classifySource('./clip with spaces.mkv'), { kind: 'file', location: './clip with spaces.mkv' });
  });

  test('printf-style numbered paths are image sequences', () => {
    assert.deepEqual(classifySource('/frames/%06d.jpg'), { kind: 'sequence', location: '/frames/%06d.jpg' });
    assert.deepEqual(classifySource('frames/img-%d.jpg'), { kind: 'sequence', location: 'frames/img-%d.jpg' });
    assert.deepEqual(classifySource('file:///frames/%2506d.jpg'), { kind: 'sequence', location: '/frames/%06d.jpg' });
  });

  test('/dev/videoN is a v4l2 device; other /dev paths are not', () => {
    assert.deepEqual(classifySource('/dev/video0'), { kind: 'v4l2', location: '/dev/video0' });
    assert.deepEqual(classifySource('/dev/video12'), { kind: 'v4l2', location: '/dev/video12' });
    assert.equal(classifySource('/dev/video').kind, 'file');
    assert.equal(classifySource('/dev/video0/extra').kind, 'file');
  });

  test('test://<pattern> names a videotestsrc pattern; an empty pattern means ball', () => {
    assert.deepEqual(classifySource('test://ball'), { kind: 'test', location: 'ball' });
    assert.deepEqual(classifySource('test://smpte/'), { kind: 'test', location: 'smpte' });
    assert.deepEqual(classifySource('test://'), { kind: 'test', location: 'ball' });
    for (const pattern of TEST_PATTERNS) assert.equal(classifySource(`test://${pattern}`).location, pattern);
  });

  test('an unknown scheme is refused and named', () => {
    rejects('ftp://cam.local/video', /unsupported url scheme "ftp:\/\/"/);
    rejects('udp://239.0.0.1:5000', /unsupported url scheme "udp:\/\/"/);
  });

  test('an unknown test pattern is refused with the list of valid ones', () => {
    rejects('test://nope', /unknown test pattern "nope" \(one of ball, smpte/);
  });

  test('an empty or blank url is refused', () => {
    rejects('', /url is empty/);
    rejects('   ', /url is empty/);
  });

  test('a URL that does not parse is refused', () => {
    rejects('rtsp://cam.local:99999/s', /^url is not a valid URL$/);
    rejects('http://', /url is not a valid URL/);
    rejects('https://exa mple.com/x', /whitespace/);
  });

  test('the invalid-URL error does not repeat the password', () => {
    assert.throws(() => classifySource('rtsp://admin:hunter2@cam.local:99999/s'), (error: unknown) => {
      assert.ok(error instanceof SourceError);
      assert.doesNotMatch(error.message, /hunter2/);
      assert.doesNotMatch(error.message, /admin/, 'a malformed URL is not echoed at all: masking cannot be trusted on it');
      return true;
    });
  });

  test('bug: a password with a space escaped the mask, so network URLs with whitespace are refused', () => {
    rejects('rtsp://admin:p w@cam/s', /whitespace/);
    rejects('http://cam/some path', /whitespace/);
  });

  test('bug: a malformed percent-escape in a file URL was a URIError, not a SourceError', () => {
    rejects('file:///tmp/100%.mp4', /malformed percent-escape/);
  });

  test('bug: RTSP and HTTP URLs without a host were accepted', () => {
    rejects('rtsp:///stream', /no host|not a valid URL/);
    rejects('rtsp://', /no host|not a valid URL/);
  });

  test('a path with a NUL byte is refused', () => {
    rejects('/videos/clip\0.mp4', /NUL byte/);
  });
});
