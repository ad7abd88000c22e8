/**
 * The codec probe against real ffprobe: H.264 and H.265 from a real RTSP server, files with hostile names, and hostile
 * camera URLs whose bytes, as a fake RTSP server receives them, must be exactly the URL's. The URL and its
 * credentials never appear in the argv of any process (readable by every user of the machine).
 */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { classifySource } from '@vigil/contracts';
import { CodecProbe } from '@vigil/media';
import { generateClip, startRtspServer, testPatternLaunch, type RtspServerHandle } from '../../scripts/support';
import { generateSyncClip, syncClipLaunch } from '../support/av-sync';
import { descendantArgv } from '../support/process-tree';
import { RtspRecorder } from '../support/rtsp-recorder';

const probe = new CodecProbe();

describe('codec probe against a real RTSP server', { timeout: 60_000 }, () => {
  let rtsp: RtspServerHandle;

  before(async () => {
    rtsp = await startRtspServer({
      mounts: {
        '/h264': testPatternLaunch({ width: 320, height: 180, fps: 10, codec: 'h264' }),
        '/h265': testPatternLaunch({ width: 320, height: 180, fps: 10, codec: 'h265' }),
      },
    });
  });

  after(async () => {
    await rtsp?.stop();
  });

  for (const [mount, codec] of [['/h264', 'h264'], ['/h265', 'h265']] as const) {
    for (const transport of ['tcp', 'udp'] as const) {
      test(`${mount} over ${transport} is ${codec}`, async () => {
        const url = rtsp.url(mount).replace('rtsp://', "rtsp://viewer:pa'ss@");
        assert.equal(await probe.probe(classifySource(url), transport), codec);
      });
    }
  }

  test('a mount that does not exist is an error with the reason, no URL and no credentials', async () => {
    const url = rtsp.url('/nothing').replace('rtsp://', 'rtsp://viewer:s3cret@');
    await assert.rejects(probe.probe(classifySource(url), 'tcp'), (error: Error) => {
      assert.equal(error.message, 'cannot read the stream: Server returned 404 Not Found');
      return true;
    });
  });
});

describe('codec probe: hostile camera URLs reach the server byte for byte', { timeout: 60_000 }, () => {
  let recorder: RtspRecorder;

  before(async () => {
    recorder = await RtspRecorder.start();
  });

  after(async () => {
    await recorder?.close();
  });

  // each breaks out of a naively quoted concat line in its own way, or carries a line of list syntax
  const HOSTILE: { userinfo: string; path: string }[] = [
    { userinfo: "user:pa'ss", path: "/a'b" },
    { userinfo: "us\\er:p\\'a", path: "/x\\y\\'z" },
    { userinfo: "%27:%5C%27'%5C", path: "/'''\\" },
    { userinfo: 'u:p%0Aq%0D', path: '/a%0Afile%20%27rtsp://evil%27' },
    { userinfo: 'u:p', path: "/x'%0Aoption%20protocol_whitelist%20file,tcp'" },
    { userinfo: 'u:p', path: "/x?a='b'&c=\\#frag'" },
    { userinfo: 'u:%23p', path: '/ends-with-a-backslash\\' },
  ];

  for (const { userinfo, path } of HOSTILE) {
    test(`${userinfo} ${path}`, async () => {
      const source = classifySource(recorder.url(path, userinfo));
      const url = new URL(source.location);
      const seen = recorder.requests.length;
      await assert.rejects(probe.probe(source, 'tcp'), /Server returned 404 Not Found/);
      const requests = recorder.requests.slice(seen);
      const target = `rtsp://${url.host}${url.pathname}${url.search}${url.hash}`;
      // the first try without credentials, the 401, the second with them: the same request line both times
      assert.deepEqual(requests.map((r) => r.line), [`OPTIONS ${target} RTSP/1.0`, `OPTIONS ${target} RTSP/1.0`]);
      assert.equal(requests[1]!.basic, `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`);
    });
  }
});

describe('codec probe: no secret in argv', { timeout: 60_000 }, () => {
  test('while ffprobe waits on the server, no process below this one shows the URL, its host or its credentials', async () => {
    const recorder = await RtspRecorder.start({ hold: true });
    try {
      const probing = probe.probe(classifySource(recorder.url('/cam?token=t0ken-42', 'viewer:s3cret-pass')), 'tcp');
      await recorder.waitForRequests(1);
      const processes = descendantArgv(process.pid);
      assert.ok(processes.some(({ argv }) => argv[0] === 'ffprobe'), `ffprobe is running: ${JSON.stringify(processes)}`);
      for (const { pid, argv } of processes) {
        for (const secret of ['s3cret-pass', 'viewer', 't0ken-42', 'rtsp:', String(recorder.port)]) {
          assert.ok(!argv.some((arg) => arg.includes(secret)), `pid ${pid} shows ${secret}: ${argv.join(' ')}`);
        }
      }
      recorder.release();
      await assert.rejects(probing, /404/);
    } finally {
      await recorder.close();
    }
  });
});

describe('codec probe of files', { timeout: 60_000 }, () => {
  let dir: string;
  let clip: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-probe-'));
    clip = await generateClip({ path: join(dir, 'clip.mp4'), width: 160, height: 96, fps: 10, seconds: 1, codec: 'h265' });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  for (const name of ["it's a \\ quote.mp4", 'colon:in-name.mp4', "x'\\''y.mp4"]) {
    test(`a file named ${JSON.stringify(name)} is probed as itself`, async () => {
      const path = join(dir, name);
      await copyFile(clip, path);
      assert.equal(await probe.probe({ kind: 'file', location: path }, 'tcp'), 'h265');
    });
  }

  test('a path that looks like an option is refused before ffprobe runs', async () => {
    await assert.rejects(probe.probe({ kind: 'file', location: '-report' }, 'tcp'), /must not start with "-"/);
  });

  test('a path with a line break is refused: it cannot be written into the list', async () => {
    await assert.rejects(probe.probe({ kind: 'file', location: join(dir, 'a\nfile /etc/passwd') }, 'tcp'), /control character/);
  });
});

describe('audio probe (egress carries the audio it finds)', { timeout: 60_000 }, () => {
  let dir: string;
  let withSound: string;
  let rtsp: RtspServerHandle;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-probe-audio-'));
    withSound = join(dir, 'sound.mp4');
    await generateSyncClip(withSound, { width: 160, height: 96, fps: 10, seconds: 20 });
    rtsp = await startRtspServer({ mounts: { '/av': syncClipLaunch(withSound), '/mute': testPatternLaunch({ width: 160, height: 96, fps: 10, codec: 'h264' }) } });
  });

  after(async () => {
    await rtsp?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('an RTSP camera with sound: its codec; one without: none', async () => {
    const url = rtsp.url('/av').replace('rtsp://', 'rtsp://viewer:s3cret@');
    assert.equal(await probe.audioCodec(classifySource(url), 'tcp'), 'aac');
    assert.equal(await probe.audioCodec(classifySource(rtsp.url('/mute')), 'tcp'), undefined);
  });

  test('a file with sound: its codec; one without: none', async () => {
    assert.equal(await probe.audioCodec({ kind: 'file', location: withSound }, 'tcp'), 'aac');
    const silent = await generateClip({ path: join(dir, 'silent.mp4'), width: 160, height: 96, fps: 10, seconds: 1, codec: 'h264' });
    assert.equal(await probe.audioCodec({ kind: 'file', location: silent }, 'tcp'), undefined);
  });

  test('a camera that is not there is an error with the reason, no credentials', async () => {
    const url = rtsp.url('/nothing').replace('rtsp://', 'rtsp://viewer:s3cret@');
    await assert.rejects(probe.audioCodec(classifySource(url), 'tcp'), (error: Error) => {
      assert.equal(error.message, 'cannot read the stream: Server returned 404 Not Found');
      return true;
    });
  });
});
