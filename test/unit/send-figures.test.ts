import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { maskerFor } from '@vigil/contracts';
import { sendArgs, serveOutput } from '../../apps/send/src/send-args';
import { formatStatus, type ProgressBlock, ProgressParser, SendFigures } from '../../apps/send/src/send-figures';
import { planFor, rawFrameBytes } from '../../apps/send/src/send-plan';
import { StatusBoard } from '../../apps/send/src/status-board';

describe('ProgressParser', () => {
  test("one block per progress= line, with ffmpeg's frame and total_size; N/A is unknown", () => {
    const blocks: ProgressBlock[] = [];
    const parser = new ProgressParser((block) => blocks.push(block));
    for (const line of ['frame=26', 'fps=25.00', 'bitrate=N/A', 'total_size=N/A', 'progress=continue', 'frame=52', 'total_size=292696', 'progress=end']) parser.line(line);
    assert.deepEqual(blocks, [{ frame: 26 }, { frame: 52, totalSize: 292696 }]);
  });

  test('junk and huge numbers are no figures; a flood of keys is bounded', () => {
    const blocks: ProgressBlock[] = [];
    const parser = new ProgressParser((block) => blocks.push(block));
    for (let i = 0; i < 10_000; i += 1) parser.line(`k${i}=v`);
    for (const line of ['frame=-3', 'total_size=1e99', 'garbage', '=x', 'progress=continue']) parser.line(line);
    assert.deepEqual(blocks, [{}]);
  });
});

describe('SendFigures', () => {
  const raw = rawFrameBytes({ width: 640, height: 360 });

  test('raw 4:2:0 bytes over encoded bytes, and the rates between reports', () => {
    assert.equal(raw, 345_600);
    const figures = new SendFigures(raw);
    assert.equal(figures.rates(0), undefined);
    figures.update(0, 0, 0);
    figures.update(25, 100_000, 1000);
    figures.update(50, 200_000, 2000);
    assert.deepEqual(figures.rates(2500), { fps: 25, kbps: 800 });
    assert.equal(figures.ratio, (50 * raw) / 200_000);
  });

  test('a restarted ffmpeg counts from zero again: the totals keep growing across runs', () => {
    const figures = new SendFigures(raw);
    figures.update(100, 400_000, 1000);
    figures.newRun();
    figures.update(10, 40_000, 3000);
    assert.equal(figures.frames, 110);
    assert.equal(figures.bytes, 440_000);
  });

  test('rates fall to zero when reports stop (the server is gone); the window forgets old reports', () => {
    const figures = new SendFigures(raw, 5000);
    for (let t = 0; t <= 20_000; t += 1000) figures.update(t / 40, t * 100, t);
    assert.deepEqual(figures.rates(20_500), { fps: 25, kbps: 800 });
    assert.deepEqual(figures.rates(30_000), { fps: 0, kbps: 0 });
  });

  test('the status line: figures, or "-" where none are known yet', () => {
    assert.equal(formatStatus({ state: 'live', rates: { fps: 24.96, kbps: 1987.4 }, ratio: 212.3, frames: 1500, reconnects: 1 }), 'live | 25.0 fps | 1987 kbit/s | ratio 212:1 | 1500 frames sent | 1 reconnect');
    assert.equal(formatStatus({ state: 'connecting', frames: 0, reconnects: 0 }), 'connecting | - fps | - kbit/s | ratio - | 0 frames sent | 0 reconnects');
    assert.match(formatStatus({ state: 'live', ratio: 4.25, frames: 1, reconnects: 2 }), /ratio 4\.3:1 .* 2 reconnects$/);
  });
});

describe('StatusBoard', () => {
  const output = (isTTY: boolean, columns = 80) => {
    const writes: string[] = [];
    return { writes, out: { isTTY, columns, write: (text: string) => writes.push(text) } };
  };

  test('on a TTY the status line is redrawn in place and log lines go above it', () => {
    const { writes, out } = output(true);
    const board = new StatusBoard(out, { status: () => 'live | 25.0 fps', statusEveryMs: 5000, redrawEveryMs: 60_000 });
    board.start();
    board.line('encoder: x264');
    board.stop();
    assert.deepEqual(writes, ['\r\x1b[2Klive | 25.0 fps', '\r\x1b[2Ksend: encoder: x264\n', '\r\x1b[2Klive | 25.0 fps', '\r\x1b[2Klive | 25.0 fps\n']);
  });

  test('a status line longer than the terminal is cut (a wrapped line would not be redrawn in place)', () => {
    const { writes, out } = output(true, 30);
    const board = new StatusBoard(out, { status: () => 'x'.repeat(100), statusEveryMs: 5000, redrawEveryMs: 60_000 });
    board.start();
    board.stop();
    assert.equal(writes[0], `\r\x1b[2K${'x'.repeat(29)}`);
  });

  test('without a TTY: plain lines, no escape sequences', () => {
    const { writes, out } = output(false);
    const board = new StatusBoard(out, { status: () => 'live', statusEveryMs: 5000, redrawEveryMs: 1000 });
    board.start();
    board.warn('reconnecting');
    board.debug();
    board.stop();
    assert.deepEqual(writes, ['send: reconnecting\n']);
  });

  // a file name, a server's answer or ffmpeg's stderr with a line break or an escape must not forge a status line
  // or drive the terminal; a URL's password must not be shown
  test('every line is one line, escaped, and masked', () => {
    const { writes, out } = output(false);
    const url = 'rtsp://pusher:pw-99@media/cam';
    const board = new StatusBoard(out, { status: () => 'live', statusEveryMs: 5000, redrawEveryMs: 1000, mask: maskerFor(url) });
    board.line(`ffmpeg said: pw-99 at ${url}\nsend: status: live | 999 fps\x1b[2J`);
    assert.deepEqual(writes, ['send: ffmpeg said: *** at rtsp://pusher:***@media/cam\\nsend: status: live | 999 fps\\x1b[2J\n']);
  });
});

describe('planFor and sendArgs', () => {
  const base = { bitrateKbps: 800, keyframeSeconds: 2, codec: 'h265' as const, target: { kind: 'push' as const, url: 'rtsp://m/x' } };

  test("a file's own size, rounded down to even, and its own rate; or the ones asked for", () => {
    const source = { kind: 'file' as const, path: '/srv/a.mp4' };
    const own = planFor({ ...base, source }, { width: 321, height: 181, fps: 29.97 }, { codec: 'h265', name: 'x265' });
    assert.deepEqual([own.size, own.fps, own.inputSize], [{ width: 320, height: 180 }, 30, undefined]);
    const asked = planFor({ ...base, source, size: { width: 640, height: 360 }, fps: 10 }, { width: 321, height: 181 }, { codec: 'h265', name: 'x265' });
    assert.deepEqual([asked.size, asked.fps], [{ width: 640, height: 360 }, 10]);
    assert.equal(planFor({ ...base, source }, { width: 64, height: 64 }, { codec: 'h265', name: 'x265' }).fps, 25, 'no rate known: the default');
  });

  test('a test pattern is made at the output size; a device is asked for a size only when one was given', () => {
    const test = planFor({ ...base, source: { kind: 'test', pattern: 'testsrc2' } }, undefined, { codec: 'h264', name: 'x264' });
    assert.deepEqual([test.size, test.inputSize, test.fps], [{ width: 1280, height: 720 }, { width: 1280, height: 720 }, 25]);
    const device = planFor({ ...base, source: { kind: 'device', path: '/dev/video0' }, size: { width: 640, height: 480 } }, { width: 1920, height: 1080, fps: 30 }, { codec: 'h264', name: 'x264' });
    assert.deepEqual(device.inputSize, { width: 640, height: 480 });
  });

  test('the command line: source, first video stream only, scaled 4:2:0 at a constant rate, live encoder, progress, output last', () => {
    const plan = planFor({ ...base, source: { kind: 'test', pattern: 'smptebars' }, size: { width: 320, height: 180 }, fps: 10 }, undefined, { codec: 'h265', name: 'x265' });
    const args = sendArgs(plan, serveOutput('h265'));
    const after = (flag: string) => args[args.indexOf(flag) + 1];
    assert.equal(after('-i'), 'smptebars=size=320x180:rate=10');
    assert.equal(after('-map'), '0:v:0');
    assert.equal(after('-vf'), 'scale=320:180,setsar=1,format=yuv420p');
    assert.equal(after('-r'), '10');
    assert.equal(after('-c:v'), 'libx265');
    assert.equal(after('-progress'), 'pipe:1');
    assert.deepEqual(args.slice(-5), ['-f', 'hevc', '-flush_packets', '1', 'pipe:3']);
    assert.ok(args.indexOf('-nostdin') < args.indexOf('-i'));
    assert.deepEqual(serveOutput('h264').slice(0, 2), ['-f', 'h264']);
  });
});
