import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pushArgs } from '../../apps/egress/src/push/push-args';
import { pushLauncher } from '../../apps/egress/src/push/push-launch';
import { serialize, type RtspMessage } from '../../libs/media/src/push/rtsp-message';
import { rebase, sdpWithAddress, towardServer } from '../../libs/media/src/push/rtsp-rewrite';
import { loopbackUrl, rtspTarget } from '../../libs/media/src/push/rtsp-target';

describe('rtspTarget: the control URI ffmpeg would have used, and the credentials apart', () => {
  test('user info dropped, the port defaulted to 554 as ffmpeg does, path and query kept as written', () => {
    assert.deepEqual(rtspTarget('rtsp://cam:s3cret@media.example:8554/live/yard?x=1&tcp'), {
      host: 'media.example', port: 8554, controlUri: 'rtsp://media.example:8554/live/yard?x=1&tcp', credentials: { username: 'cam', password: 's3cret' },
    });
    assert.deepEqual(rtspTarget('rtsp://media/yard'), { host: 'media', port: 554, controlUri: 'rtsp://media:554/yard' });
  });

  test('the user info runs to the last "@" of the authority; the user to the first ":"; escapes decoded', () => {
    const { credentials, host } = rtspTarget('rtsp://us%40er:p@ss:w%2Frd@10.0.0.5/x');
    assert.deepEqual(credentials, { username: 'us@er', password: 'p@ss:w/rd' });
    assert.equal(host, '10.0.0.5');
    assert.deepEqual(rtspTarget('rtsp://only@h/x').credentials, { username: 'only', password: '' });
  });

  test('an IPv6 host: bracketed in the URI, bare to connect to', () => {
    const target = rtspTarget('rtsp://u:p@[fe80::1]:8554/x');
    assert.equal(target.host, 'fe80::1');
    assert.equal(target.controlUri, 'rtsp://[fe80::1]:8554/x');
  });

  test('a path in UTF-8 goes out as its bytes', () => {
    assert.equal(Buffer.from(rtspTarget('rtsp://h/caméra').controlUri, 'latin1').toString('utf8'), 'rtsp://h:554/caméra');
  });

  // the attacker's URL: the credentials are written into an Authorization header by the relay
  test('credentials that decode to a line break are refused (header injection), and so are malformed escapes', () => {
    assert.throws(() => rtspTarget('rtsp://u:p%0D%0AX-Evil:%201@h/x'), /control character/);
    assert.throws(() => rtspTarget('rtsp://u%0A:p@h/x'), /control character/);
    assert.throws(() => rtspTarget('rtsp://u:%E0%A4@h/x'), /malformed %-escape/);
  });

  test('a path that would break the request line, a bad port or host, is refused', () => {
    for (const [url, message] of [
      ['rtsp://h/a b', /space or a control/], ['rtsp://h/a\tb', /space or a control/], ['rtsp://h:0/x', /between 1 and 65535/], ['rtsp://h:99999/x', /between 1 and 65535/],
      ['rtsp://h:/x', /not a number/], ['rtsp://h:8a/x', /not a number/], ['rtsp://h%20x/x', /not a name/], ['rtmp://h/x', /not an rtsp/],
    ] as const) {
      assert.throws(() => rtspTarget(url), message, url);
    }
  });

  test('the loopback URL names nothing of the target', () => {
    assert.equal(loopbackUrl(41_000), 'rtsp://127.0.0.1:41000/vigil');
  });
});

describe('pushLauncher and pushArgs: no RTSP credentials on ffmpeg\'s command line', () => {
  const base = { encoder: { codec: 'h264', name: 'x264' } as const, fps: 25, bitrateKbps: 1500, keyframeSeconds: 2, epochMs: 1_700_000_000_000 };

  test('pushArgs refuses an rtsp URL with user info (bug guarded: a caller bypassing the relay)', () => {
    assert.throws(() => pushArgs({ ...base, url: 'rtsp://u:p@media/x' }), /must push through the RTSP relay/);
    assert.throws(() => pushArgs({ ...base, url: 'RTSP://u@media/x' }), /must push through the RTSP relay/);
  });

  test('pushLauncher refuses a target it cannot push to safely before anything runs', () => {
    assert.throws(() => pushLauncher({ ...base, url: 'rtsp://u:p%0A@media/x' }), /control character/);
    assert.throws(() => pushLauncher({ ...base, url: '-rtsp://x' }), /must not start with "-"/);
    assert.equal(typeof pushLauncher({ ...base, url: 'rtsp://u:p@media/x' }), 'function');
  });
});

describe('towardServer: an ffmpeg request as the server would have had it', () => {
  const base = 'rtsp://127.0.0.1:41000/vigil';
  const control = 'rtsp://media:8554/live/yard?t=1';

  function request(startLine: string, body = ''): RtspMessage {
    return { startLine, headers: [['CSeq', '3'], ['User-Agent', 'Lavf59.27.100'], ['Authorization', 'Basic Zm9v']], body: Buffer.from(body, 'latin1') };
  }

  test('the base and the per-stream URIs move to the control URI; CSeq and Authorization go, other headers stay', () => {
    const setup = towardServer(request(`SETUP ${base}/streamid=0 RTSP/1.0`), base, control, '10.1.2.3');
    assert.equal(setup.startLine, `SETUP ${control}/streamid=0 RTSP/1.0`);
    assert.deepEqual(setup.headers, [['User-Agent', 'Lavf59.27.100']]);
    assert.equal(towardServer(request(`RECORD ${base} RTSP/1.0`), base, control, undefined).startLine, `RECORD ${control} RTSP/1.0`);
  });

  test('a URI under no base of ours is left as it is (a prefix alone is no match)', () => {
    for (const uri of ['*', `${base}x`, 'rtsp://127.0.0.1:41001/vigil']) assert.equal(rebase(uri, base, control), uri);
  });

  test("ANNOUNCE: the SDP's connection address becomes the server's, and Content-Length follows the new body", () => {
    const sdp = 'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\nc=IN IP4 127.0.0.1\r\nm=video 0 RTP/AVP 96\r\n';
    const announce = towardServer(request(`ANNOUNCE ${base} RTSP/1.0`, sdp), base, control, '192.168.10.20');
    assert.equal(announce.body.toString('latin1'), sdp.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 192.168.10.20'));
    assert.match(serialize(announce).toString('latin1'), new RegExp(`Content-Length: ${announce.body.length}\r\n\r\nv=0`));
    assert.equal(sdpWithAddress(Buffer.from(sdp), '2001:db8::7').toString().includes('c=IN IP6 2001:db8::7\r\n'), true);
  });
});
