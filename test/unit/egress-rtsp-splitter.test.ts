import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { RTSP_LIMITS, RtspProtocolError, serialize, type RtspMessage } from '../../libs/media/src/push/rtsp-message';
import { RtspSplitter, type RtspPiece } from '../../libs/media/src/push/rtsp-splitter';
import { mulberry32 } from '../support/seeded-random';

function frame(channel: number, length: number, fill: number): Buffer {
  const bytes = Buffer.alloc(4 + length, fill);
  bytes[0] = 0x24;
  bytes[1] = channel;
  bytes.writeUInt16BE(length, 2);
  return bytes;
}

const announce: RtspMessage = {
  startLine: 'ANNOUNCE rtsp://127.0.0.1:5000/vigil RTSP/1.0',
  headers: [['Content-Type', 'application/sdp'], ['CSeq', '2']],
  // a "$" inside a body is no frame
  body: Buffer.from('v=0\r\ns=$ money\r\n\r\nc=IN IP4 127.0.0.1\r\n', 'latin1'),
};
const record: RtspMessage = { startLine: 'RTSP/1.0 200 OK', headers: [['CSeq', '4'], ['Session', '1234']], body: Buffer.alloc(0) };

/** What a connection carries after RECORD, messages among the frames. Frames are filled with a byte per frame. */
const stream: (RtspMessage | Buffer)[] = [
  announce, record, frame(0, 1400, 1), frame(1, 28, 2), frame(0, 0, 3), frame(0, 65_535, 4), record, frame(0, 3, 5), frame(0, 900, 6),
];
const wire = Buffer.concat(stream.map((item) => (Buffer.isBuffer(item) ? item : serialize(item))));
const frameBytes = Buffer.concat(stream.filter((item): item is Buffer => Buffer.isBuffer(item)));
const messages = stream.filter((item): item is RtspMessage => !Buffer.isBuffer(item));
/** for each message, how many frame bytes come before it on the wire */
const framesBefore = stream.flatMap((item, i) => (Buffer.isBuffer(item) ? [] : [stream.slice(0, i).reduce((sum, earlier) => sum + (Buffer.isBuffer(earlier) ? earlier.length : 0), 0)]));

function run(chunks: Buffer[]): RtspPiece[] {
  const splitter = new RtspSplitter(RTSP_LIMITS);
  return chunks.flatMap((chunk) => splitter.push(chunk));
}

function checkPieces(pieces: RtspPiece[], where: string): void {
  const data = Buffer.concat(pieces.flatMap((piece) => (piece.kind === 'data' ? [piece.bytes] : [])));
  assert.ok(data.equals(frameBytes), `frame bytes differ (${where})`);
  assert.deepEqual(pieces.flatMap((piece) => (piece.kind === 'message' ? [piece.message] : [])), messages, where);
  // order: each message comes after exactly the frame bytes that preceded it on the wire
  const seenBefore = pieces.map((piece, i) => (piece.kind === 'message' ? pieces.slice(0, i).reduce((sum, p) => sum + (p.kind === 'data' ? p.bytes.length : 0), 0) : -1)).filter((n) => n >= 0);
  assert.deepEqual(seenBefore, framesBefore, where);
}

describe('RtspSplitter', () => {
  test('in one chunk: the messages parsed, the frames passed as they were, in order', () => {
    checkPieces(run([wire]), 'one chunk');
  });

  test('cut in two at every byte: the same pieces (bug guarded: a frame header or a message head split by a read)', () => {
    for (let cut = 1; cut < wire.length; cut += cut < 400 || wire.length - cut < 3000 ? 1 : 97) {
      checkPieces(run([wire.subarray(0, cut), wire.subarray(cut)]), `cut at ${cut}`);
    }
  });

  test('in random small chunks, and one byte at a time: the same pieces', () => {
    const random = mulberry32(7);
    for (let round = 0; round < 20; round += 1) {
      const chunks: Buffer[] = [];
      for (let at = 0; at < wire.length; ) {
        const size = 1 + Math.floor(random() * 3000);
        chunks.push(wire.subarray(at, at + size));
        at += size;
      }
      checkPieces(run(chunks), `round ${round}`);
    }
    checkPieces(run([...wire].map((byte) => Buffer.from([byte]))), 'byte by byte');
  });

  test('frames back to back in a chunk come out as one slice of it, not a copy', () => {
    const chunk = Buffer.concat([frame(0, 100, 1), frame(1, 50, 2), frame(0, 10, 3)]);
    const pieces = new RtspSplitter(RTSP_LIMITS).push(chunk);
    assert.equal(pieces.length, 1);
    const [piece] = pieces;
    assert.ok(piece?.kind === 'data');
    assert.equal(piece.bytes.buffer, chunk.buffer);
    assert.equal(piece.bytes.length, chunk.length);
  });

  test('line ends between messages (keep-alives) are skipped', () => {
    const pieces = run([Buffer.from('\r\n\r\n'), serialize(record), Buffer.from('\r\n')]);
    assert.deepEqual(pieces, [{ kind: 'message', message: record }]);
  });

  test('a head over the limit is refused, whole or still arriving (bug guarded: a peer growing our buffer without end)', () => {
    const limits = { headBytes: 1024, bodyBytes: 4096 };
    const long = `OPTIONS rtsp://h/x RTSP/1.0\r\nX-Pad: ${'a'.repeat(2000)}\r\n\r\n`;
    assert.throws(() => new RtspSplitter(limits).push(Buffer.from(long)), RtspProtocolError);
    const splitter = new RtspSplitter(limits);
    assert.throws(() => {
      for (let at = 0; at < 1500; at += 100) splitter.push(Buffer.from(long.slice(at, at + 100)));
    }, /head over the 1024 byte limit/);
  });

  test('a Content-Length over the limit, malformed, or two that disagree, is refused', () => {
    const limits = { headBytes: 1024, bodyBytes: 4096 };
    for (const length of ['4097', '-1', '1e3', '0x10', '99999999999']) {
      assert.throws(() => new RtspSplitter(limits).push(Buffer.from(`RTSP/1.0 200 OK\r\nContent-Length: ${length}\r\n\r\n`)), RtspProtocolError, length);
    }
    assert.throws(() => new RtspSplitter(limits).push(Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab')), /Content-Length/);
    // the same length twice is no ambiguity
    const twice = new RtspSplitter(limits).push(Buffer.from('RTSP/1.0 200 OK\r\nContent-Length: 2\r\ncontent-length: 2\r\n\r\nab'));
    assert.equal(twice[0]?.kind === 'message' && twice[0].message.body.toString(), 'ab');
  });

  test('what is not RTSP is refused: a bad start line, a header without a colon, a bare line feed in a value', () => {
    for (const text of ['GET / HTTP/1.1\r\n\r\n', 'hello\r\n\r\n', 'RTSP/1.0 200 OK\r\nno colon\r\n\r\n', 'RTSP/1.0 200 OK\r\nA: b\nInjected: c\r\n\r\n']) {
      assert.throws(() => new RtspSplitter(RTSP_LIMITS).push(Buffer.from(text)), RtspProtocolError, JSON.stringify(text));
    }
  });
});
