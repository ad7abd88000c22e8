/**
 * `npm run send` against real servers: the built command pushing H.264 and H.265 to ffmpeg listening for RTSP RECORD,
 * H.264 through a password to gst-rtsp-server (the credentials in no argv and no output line), RTMP to
 * node-media-server, each read back with ffprobe; --serve read by a real ingest capture (a vigil camera); the
 * receiver going away and coming back on the same port; Ctrl-C; the status lines without a TTY.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rtspServerScript } from '../../apps/send/src/rtsp-serve';
import { freePort, generateClip, spawnManaged, startRedisServer, startRtmpServer, startVigil } from '../../scripts/support';
import { FrameTap } from '../support/frame-tap';
import { descendantArgv, stillRunning } from '../support/process-tree';
import { startRtspRecordServer } from '../support/rtsp-record-server';
import { runSender, type SenderRun } from '../support/sender';
import { listenRtsp, sampleStream } from '../support/stream-sample';
import { waitFor } from '../support/wait';

let dir: string;
const running: SenderRun[] = [];

/** A sender that the test's end stops, whatever happened. */
function send(args: string[], cwd?: string): SenderRun {
  const run = runSender(args, cwd);
  running.push(run);
  return run;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vigil-send-'));
});

after(async () => {
  for (const run of running) await run.child.stop('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

describe('send to an RTSP server (ffmpeg listening for RECORD)', { timeout: 90_000 }, () => {
  for (const [codec, probed] of [['h264', 'h264'], ['h265', 'hevc']] as const) {
    test(`${codec}: the received stream is ${probed} at the size asked for; the status line has fps, bitrate and ratio; Ctrl-C exits 0`, async () => {
      const file = join(dir, `received-${codec}.ts`);
      const listener = listenRtsp(await freePort(), file);
      const sender = send(['test://testsrc2', listener.url, '--codec', codec, '--size', '320x180', '--fps', '10', '--bitrate', '300']);
      try {
        const status = await sender.nextStatus(/^send: status: live .* [1-9]\d* frames sent/);
        assert.ok(status.fps! > 0 && status.kbps! > 0 && status.ratio! > 1, status.text);
        assert.equal(status.reconnects, 0);
        await waitFor('a second of stream received', async () => (await stat(file)).size > 20_000, 20_000);
        // Ctrl-C: ffmpeg ends the stream (TEARDOWN), the listener finishes its file, the sender exits 0
        assert.equal(await sender.interrupt(), 0);
        await waitFor('the RTSP listener to finish', () => !listener.child.running, 10_000);
        const sample = await sampleStream(file, 30);
        assert.equal(sample.codec, probed);
        assert.equal(sample.pixFmt, 'yuv420p');
        assert.deepEqual([sample.width, sample.height], [320, 180]);
        assert.ok(sample.frames >= 10, `only ${sample.frames} frames`);
        assert.ok(sender.lines().some((line) => line === 'send: SIGINT: stopping'), sender.lines().join('\n'));
        assert.match(sender.lines().join('\n'), new RegExp(`encoder: ${codec === 'h264' ? 'x264' : 'x265'} \\(auto: nvenc unavailable|encoder: nvenc`));
      } finally {
        await sender.child.stop('SIGKILL');
        await listener.stop();
      }
    });
  }

  test('through a password (Digest, gst-rtsp-server): the stream arrives; no argv and no output line holds the password', async () => {
    const password = 'pw-S3cret-9931';
    const file = join(dir, 'recorded.ts');
    const server = await startRtspRecordServer({ auth: 'digest', credentials: `pusher:${password}`, path: '/live/door', file });
    const url = server.url(`pusher:${password}`);
    const sender = send(['test://smptebars', url, '--size', '320x180', '--fps', '10', '--bitrate', '300']);
    try {
      await sender.nextStatus(/^send: status: live .* [1-9]\d* frames sent/);
      const processes = descendantArgv(sender.child.process.pid!);
      assert.ok(processes.some(({ argv }) => argv[0] === 'ffmpeg'), JSON.stringify(processes));
      for (const { pid, argv } of [...processes, { pid: sender.child.process.pid!, argv: [] }]) {
        assert.ok(!argv.some((arg) => arg.includes(password) || arg.includes('/live/door')), `pid ${pid} shows the target: ${argv.join(' ')}`);
      }
      await waitFor('H.264 recorded', async () => (await stat(file)).size > 10_000, 20_000);
      assert.equal(await sender.interrupt(), 0);
      const sample = await sampleStream(file, 30);
      assert.equal(sample.codec, 'h264');
      assert.ok(sample.frames > 0);
      const output = sender.lines().join('\n');
      assert.ok(!output.includes(password), output);
      assert.match(output, /sending to rtsp:\/\/pusher:\*\*\*@127\.0\.0\.1:\d+\/live\/door: live/);
    } finally {
      await sender.child.stop('SIGKILL');
      await server.stop();
    }
  });

  test('a wrong password: the status says the server refused the credentials, and retries with backoff', async () => {
    const server = await startRtspRecordServer({ auth: 'digest', credentials: 'pusher:right-one', path: '/live/door', file: join(dir, 'refused.ts') });
    const sender = send(['test://smptebars', server.url('pusher:wrong-one'), '--size', '160x90', '--fps', '5', '--bitrate', '100']);
    try {
      const line = await sender.waitFor(/reconnecting \(the RTSP server refused the credentials/);
      assert.ok(!line.includes('wrong-one'), line);
      await sender.nextStatus(/ [1-9]\d* reconnects?$/);
      // SIGTERM (a service manager's stop) ends it as Ctrl-C does, in the middle of its backoff
      sender.child.process.kill('SIGTERM');
      assert.equal(await sender.child.exited, 0);
      assert.ok(sender.lines().includes('send: SIGTERM: stopping'), sender.lines().join('\n'));
    } finally {
      await sender.child.stop('SIGKILL');
      await server.stop();
    }
  });
});

describe('send to an RTMP server (node-media-server)', { timeout: 90_000 }, () => {
  test('a looped file, H.264, read back by ffprobe; the stream key is in no argv', async () => {
    const clip = await generateClip({ path: join(dir, 'clip.mp4'), width: 320, height: 240, fps: 10, seconds: 1, codec: 'h264' });
    const server = await startRtmpServer();
    const url = server.url('live/k3y-7781');
    const sender = send([clip, url, '--bitrate', '300']);
    try {
      // a one-second clip: frames past 20 mean it loops
      await sender.nextStatus(/^send: status: live .* ([2-9]\d|\d{3,}) frames sent/);
      for (const { pid, argv } of descendantArgv(sender.child.process.pid!)) {
        assert.ok(!argv.some((arg) => arg.includes('k3y-7781')), `pid ${pid} shows the stream key: ${argv.join(' ')}`);
      }
      const sample = await sampleStream(url, 2);
      assert.equal(sample.codec, 'h264');
      assert.deepEqual([sample.width, sample.height], [320, 240]);
      assert.ok(sample.frames > 0);
    } finally {
      await sender.child.stop('SIGKILL');
      await server.stop();
    }
  });

  test('the server stopped and started again on the same port: the sender reconnects, and frames flow again', async () => {
    let server = await startRtmpServer();
    const port = server.port;
    const url = server.url('live/back');
    const sender = send(['test://testsrc2', url, '--size', '320x180', '--fps', '10', '--bitrate', '300']);
    try {
      await sender.nextStatus(/^send: status: live .* 0 reconnects$/);
      await server.stop();
      await sender.waitFor(/sending to rtmp:\/\/127\.0\.0\.1:\d+\/live\/\*\*\*: reconnecting \(ffmpeg /);
      server = await startRtmpServer({ port });
      const back = await sender.nextStatus(/^send: status: live .* [1-9]\d* reconnects?$/);
      assert.ok(back.reconnects >= 1, back.text);
      const sample = await sampleStream(url, 1);
      assert.equal(sample.codec, 'h264');
      assert.ok(sample.frames > 0);
      assert.ok((await sender.nextStatus(/^send: status: live \| [1-9]/)).fps! > 0);
    } finally {
      await sender.child.stop('SIGKILL');
      await server.stop();
    }
  });

  // ffmpeg 5.1 cannot put H.265 in FLV: refused before anything starts, with the reason and what to use instead
  test('H.265 to rtmp:// is refused with the shared message, exit code 2, and no ffmpeg started', async () => {
    const sender = send(['test://testsrc2', 'rtmp://127.0.0.1:9/live/x', '--codec', 'h265']);
    assert.equal(await sender.child.exited, 2);
    const output = sender.lines().join('\n');
    assert.match(output, /^send: H\.265 cannot be pushed over RTMP: ffmpeg 5\.1 \(Debian 12\).*enhanced RTMP \(FFmpeg 6\.1 or newer\).*over RTSP/m);
    assert.doesNotMatch(output, /encoder:/);
  });
});

describe('send --serve: vigil serves the source over RTSP itself', { timeout: 120_000 }, () => {
  test('a looped file served as H.264 is read by a vigil camera (the ingest app): frames of its size reach the bus', async () => {
    const clip = await generateClip({ path: join(dir, 'serve.mp4'), width: 320, height: 240, fps: 10, seconds: 1, codec: 'h264' });
    const port = await freePort();
    const sender = send([clip, '--serve', `rtsp://127.0.0.1:${port}/cam/door`, '--bitrate', '300']);
    const redis = await startRedisServer();
    let ingest: Awaited<ReturnType<typeof startVigil>> | undefined;
    let tap: FrameTap | undefined;
    try {
      await sender.waitFor(/serving at rtsp:\/\/127\.0\.0\.1:\d+\/cam\/door: live/);
      tap = await FrameTap.open(redis.url, 'door');
      ingest = await startVigil({ app: 'ingest', redisUrl: redis.url, cameras: [{ id: 'door', url: `rtsp://127.0.0.1:${port}/cam/door`, codec: 'h264' }] });
      const frames = await tap.next(10, 40_000);
      for (const frame of frames) assert.deepEqual([frame.camera, frame.width, frame.height], ['door', 320, 240]);
      assert.equal(await sender.interrupt(), 0);
    } finally {
      await tap?.close();
      await ingest?.stop();
      await redis.stop();
      await sender.child.stop('SIGKILL');
    }
  });

  test('a test pattern served as H.265 reads back as HEVC; the served server is gone after Ctrl-C', async () => {
    const port = await freePort();
    const sender = send(['test://smptebars', '--serve', `rtsp://127.0.0.1:${port}/bars`, '--codec', 'h265', '--size', '320x180', '--fps', '10', '--bitrate', '300']);
    try {
      await sender.waitFor(/serving at rtsp:\/\/127\.0\.0\.1:\d+\/bars: live/);
      const sample = await sampleStream(`rtsp://127.0.0.1:${port}/bars`, 2);
      assert.deepEqual([sample.codec, sample.width, sample.height], ['hevc', 320, 180]);
      assert.ok(sample.frames > 0);
      const children = descendantArgv(sender.child.process.pid!);
      assert.ok(children.some(({ argv }) => argv.some((arg) => arg.endsWith('rtsp-server.py'))), JSON.stringify(children));
      assert.equal(await sender.interrupt(), 0);
      assert.deepEqual(stillRunning(children.map(({ pid }) => pid)), [], 'no child of the sender outlives it');
    } finally {
      await sender.child.stop('SIGKILL');
    }
  });
});

describe('vigil\'s RTSP server (apps/send/rtsp-server.py)', { timeout: 60_000 }, () => {
  test('a sender killed outright (SIGKILL) leaves neither its server nor its ffmpeg running', async () => {
    const sender = send(['test://smptebars', '--serve', `rtsp://127.0.0.1:${await freePort()}/bars`, '--size', '160x90', '--fps', '5', '--bitrate', '100']);
    await sender.waitFor(/serving at .*: live/);
    const children = descendantArgv(sender.child.process.pid!);
    assert.equal(children.length, 2, JSON.stringify(children));
    await sender.child.stop('SIGKILL');
    // the server sees its stdin end, ffmpeg its stream's reader gone
    await waitFor('the children to go', () => stillRunning(children.map(({ pid }) => pid)).length === 0, 20_000);
  });

  test('a --feed mount path or codec that is not a checked word is refused (exit 2), so none reaches a launch line', async () => {
    for (const feed of ['/a b=h264', '/x=( videotestsrc ! fakesink )', '/x"=h264', 'x=h264', '/x=h266']) {
      const server = spawnManaged('rtsp-server', '/usr/bin/python3', [rtspServerScript(), '--port', '0', '--feed', feed], { stdin: 'pipe' });
      assert.equal(await server.exited, 2, `${feed}: ${server.describe()}`);
      assert.match(server.lastLines().map((line) => line.text).join('\n'), /--feed: (expected \/path=h264 or \/path=h265|the feed codec must be h264 or h265)/);
    }
  });
});

describe('send: hostile input at the command line and in the source', { timeout: 60_000 }, () => {
  test('bad arguments exit with code 2 and a message, before anything starts', async () => {
    const ROWS: [string[], RegExp][] = [
      [['test://', 'rtsp://127.0.0.1:9/x', '--exec', 'sh'], /^send: unknown option "--exec"/m],
      [['test://', 'rtsp://127.0.0.1:9/x', '--size', '641x360'], /^send: --size must be even/m],
      [['test://', 'rtsp://127.0.0.1:9/x', '--fps', '500'], /^send: --fps must be from 1 to 120/m],
      [['--', '-report', 'rtsp://127.0.0.1:9/x'], /^send: the source must not start with "-"/m],
      [['test://', 'rtsp://127.0.0.1:9/x\nsend: status: live'], /^send: argument 2 holds a control character/m],
      [[join(dir, 'missing.mp4'), 'rtsp://127.0.0.1:9/x'], /^send: cannot read the source .*missing\.mp4: no such file or device/m],
      [['/dev/video0', 'rtsp://127.0.0.1:9/x'], /^send: (cannot read the source \/dev\/video0: no such file or device|the source \/dev\/video0 is not a device|cannot read the source \/dev\/video0 as video)/m],
      [[dir, 'rtsp://127.0.0.1:9/x'], /^send: the source .* is not a regular file/m],
    ];
    for (const [args, message] of ROWS) {
      const sender = send(args);
      assert.equal(await sender.child.exited, 2, sender.child.describe());
      const output = sender.lines().join('\n');
      assert.match(output, message);
      assert.match(output, /run "npm run send -- --help" for the usage/);
      assert.doesNotMatch(output, /^send: status/m);
    }
  });

  // given to ffmpeg as it is, "http:door.mp4" would be an HTTP URL and "subfile,,start,0,end,0,,:x" a protocol
  test('files whose names read like ffmpeg protocols are read as the files they are', async () => {
    for (const name of ['http:door.mp4', 'subfile,,start,0,end,0,,:door.mp4']) {
      await generateClip({ path: join(dir, name), width: 160, height: 120, fps: 5, seconds: 1, codec: 'h264' });
      const sender = send([name, '--serve', `rtsp://127.0.0.1:${await freePort()}/x`, '--bitrate', '100'], dir);
      await sender.waitFor(/serving at rtsp:\/\/127\.0\.0\.1:\d+\/x: live/);
      assert.match(sender.lines().join('\n'), new RegExp(`serving ${join(dir, name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at .*: H\\.264 160x120 at 5 fps`));
      assert.equal(await sender.interrupt(), 0);
    }
  });

  test('--help prints the usage on stdout and exits 0', async () => {
    const sender = send(['--help']);
    assert.equal(await sender.child.exited, 0);
    const stdout = sender.child.lastLines().filter((line) => line.stream === 'stdout').map((line) => line.text).join('\n');
    assert.match(stdout, /^Usage: npm run send -- <source> <target> \[options\]/);
    assert.match(stdout, /H\.265 cannot go over RTMP/);
  });
});
