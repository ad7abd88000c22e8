import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFrame, encodeFrame, EnvelopeError, ENVELOPE_VERSION, type Frame } from '@vigil/contracts';

const HEADER = 24;

function frame(overrides: Partial<Frame> = {}): Frame {
  return {
    camera: 'front-door',
    stream: 'raw',
    seq: 42,
    ts: 1_700_000_000_123,
    width: 1920,
    height: 1080,
    format: 'jpeg',
    data: Buffer.from([0xff, 0xd8, 0x01, 0x02, 0x03, 0xff, 0xd9]),
    ...overrides,
  };
}

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof EnvelopeError, `expected EnvelopeError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

/** An encoded envelope with one header field overwritten, to build the bad inputs a decoder must refuse. */
function tampered(edit: (bytes: Buffer) => void, base: Frame = frame()): Buffer {
  const bytes = encodeFrame(base);
  edit(bytes);
  return bytes;
}

describe('frame envelope round trip', () => {
  test('every header field and the payload survive encode then decode', () => {
    const original = frame();
    const decoded = decodeFrame(encodeFrame(original));
    assert.deepEqual({ ...decoded, data: Buffer.from(decoded.data) }, original);
  });

  test('the fixed header starts with the version and format code, then the names follow at byte 24', () => {
    const bytes = encodeFrame(frame({ camera: 'cam', stream: 'raw' }));
    assert.equal(bytes[0], ENVELOPE_VERSION);
    assert.equal(bytes[1], 1); // jpeg
    assert.equal(bytes.toString('utf8', HEADER, HEADER + 6), 'camraw');
    assert.equal(bytes.length, HEADER + 6 + frame().data.length);
  });

  test('unicode camera and stream names keep their exact text (lengths are bytes, not characters)', () => {
    const camera = 'kamera-ü-東京-📷';
    const stream = 'sub-ströme';
    assert.notEqual(Buffer.byteLength(camera), camera.length);
    const decoded = decodeFrame(encodeFrame(frame({ camera, stream })));
    assert.equal(decoded.camera, camera);
    assert.equal(decoded.stream, stream);
    assert.deepEqual(Buffer.from(decoded.data), frame().data);
  });

  test('seq stays exact up to 2^53-1 (a u32 counter would wrap after months at 30 fps)', () => {
    for (const seq of [0, 1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER]) {
      assert.equal(decodeFrame(encodeFrame(frame({ seq }))).seq, seq);
    }
  });

  test('timestamps keep sub-millisecond precision and zero is allowed', () => {
    for (const ts of [0, 1_700_000_000_123.456, Date.UTC(2100, 0, 1)]) {
      assert.equal(decodeFrame(encodeFrame(frame({ ts }))).ts, ts);
    }
  });

  test('the largest and smallest frame sizes round-trip', () => {
    const decoded = decodeFrame(encodeFrame(frame({ width: 65535, height: 1 })));
    assert.equal(decoded.width, 65535);
    assert.equal(decoded.height, 1);
  });

  test('an empty payload decodes to an empty data view', () => {
    const decoded = decodeFrame(encodeFrame(frame({ data: Buffer.alloc(0) })));
    assert.equal(decoded.data.length, 0);
  });

  test('255-byte names are accepted', () => {
    const camera = 'c'.repeat(255);
    const stream = 's'.repeat(255);
    const decoded = decodeFrame(encodeFrame(frame({ camera, stream })));
    assert.equal(decoded.camera, camera);
    assert.equal(decoded.stream, stream);
  });

  test('decoded data is a view into the message, not a copy', () => {
    const bytes = encodeFrame(frame({ camera: 'cam', stream: 'raw' }));
    const decoded = decodeFrame(bytes);
    assert.equal(decoded.data.buffer, bytes.buffer);
    assert.equal(decoded.data.byteOffset, bytes.byteOffset + HEADER + 6);
    bytes[bytes.length - 1] = 0x00;
    assert.equal(decoded.data[decoded.data.length - 1], 0x00);
  });

  test('decoding works on an envelope that sits at an offset inside a larger buffer', () => {
    const encoded = encodeFrame(frame());
    const pool = Buffer.alloc(encoded.length + 13);
    encoded.copy(pool, 7);
    const decoded = decodeFrame(pool.subarray(7, 7 + encoded.length));
    assert.equal(decoded.camera, 'front-door');
    assert.deepEqual(Buffer.from(decoded.data), frame().data);
  });
});

describe('decodeFrame rejects bad bytes with EnvelopeError', () => {
  test('a message shorter than the fixed header', () => {
    rejects(() => decodeFrame(Buffer.alloc(HEADER - 1)), /too short: 23 bytes/);
    rejects(() => decodeFrame(Buffer.alloc(0)), /too short: 0 bytes/);
  });

  test('something that is not a Buffer', () => {
    rejects(() => decodeFrame('hello' as unknown as Buffer), /must be a Buffer/);
  });

  test('a version other than 1', () => {
    rejects(() => decodeFrame(tampered((b) => b.writeUInt8(2, 0))), /unsupported envelope version 2/);
    rejects(() => decodeFrame(tampered((b) => b.writeUInt8(0, 0))), /unsupported envelope version 0/);
  });

  test('an unknown format code', () => {
    rejects(() => decodeFrame(tampered((b) => b.writeUInt8(9, 1))), /unknown frame format code 9/);
    rejects(() => decodeFrame(tampered((b) => b.writeUInt8(0, 1))), /unknown frame format code 0/);
  });

  test('a header whose names run past the end of the message', () => {
    const whole = encodeFrame(frame({ camera: 'camera', stream: 'raw', data: Buffer.alloc(0) }));
    rejects(() => decodeFrame(whole.subarray(0, HEADER + 4)), /truncated inside its header/);
    rejects(() => decodeFrame(whole.subarray(0, whole.length - 1)), /truncated inside its header/);
    rejects(() => decodeFrame(tampered((b) => b.writeUInt8(255, 6), frame({ data: Buffer.alloc(10) }))), /truncated/);
  });

  test('an empty camera id or stream name', () => {
    rejects(() => decodeFrame(tampered((b) => b.writeUInt8(0, 6))), /empty camera or stream name/);
    rejects(() => decodeFrame(tampered((b) => b.writeUInt8(0, 7))), /empty camera or stream name/);
  });

  test('a NaN, infinite or negative timestamp', () => {
    for (const ts of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      rejects(() => decodeFrame(tampered((b) => b.writeDoubleBE(ts, 16))), /bad timestamp/);
    }
  });

  test('a seq that is fractional, negative, NaN or beyond 2^53-1', () => {
    for (const seq of [1.5, -1, Number.NaN, 2 ** 53]) {
      rejects(() => decodeFrame(tampered((b) => b.writeDoubleBE(seq, 8))), /bad seq/);
    }
  });
});

describe('encodeFrame rejects what it cannot represent', () => {
  test('width or height of zero, negative, fractional or above 65535', () => {
    for (const size of [{ width: 0 }, { height: -1 }, { width: 1.5 }, { height: 65536 }, { width: Number.NaN }]) {
      rejects(() => encodeFrame(frame(size)), /frame size .* is out of range/);
    }
  });

  test('an empty camera id or stream name', () => {
    rejects(() => encodeFrame(frame({ camera: '' })), /camera id must be 1-255 bytes, got 0/);
    rejects(() => encodeFrame(frame({ stream: '' })), /stream name must be 1-255 bytes, got 0/);
  });

  test('names over 255 bytes, counted in utf8 bytes rather than characters', () => {
    rejects(() => encodeFrame(frame({ camera: 'c'.repeat(256) })), /camera id must be 1-255 bytes, got 256/);
    // 128 characters but 256 bytes: a character count would let this through and corrupt the length byte
    rejects(() => encodeFrame(frame({ stream: 'é'.repeat(128) })), /stream name must be 1-255 bytes, got 256/);
  });

  test('an unknown frame format', () => {
    rejects(() => encodeFrame(frame({ format: 'png' as Frame['format'] })), /unknown frame format png/);
  });
});

describe('encodeFrame refuses what decodeFrame would reject', () => {
  test('bug: a fractional or negative seq, or a NaN/negative ts, was encoded and then rejected by every subscriber', () => {
    for (const bad of [{ seq: 1.5 }, { seq: -1 }, { ts: Number.NaN }, { ts: -5 }, { ts: Number.POSITIVE_INFINITY }]) {
      rejects(() => encodeFrame(frame(bad)), /bad (seq|timestamp)/);
    }
  });
});
