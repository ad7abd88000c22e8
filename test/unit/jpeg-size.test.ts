import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { jpegSize } from '@vigil/contracts';

/** One JPEG segment: marker, big-endian length (which counts itself), body. */
function segment(marker: number, body: number[]): number[] {
  const length = body.length + 2;
  return [0xff, marker, length >> 8, length & 0xff, ...body];
}

/** Start-of-frame body: precision, height, width, one component. */
function sofBody(width: number, height: number): number[] {
  return [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
}

const SOI = [0xff, 0xd8];
const APP0 = segment(0xe0, [...Buffer.from('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0]);
const DQT = segment(0xdb, [0, ...new Array<number>(64).fill(1)]);
const SOS = segment(0xda, [1, 1, 0, 0, 63, 0]);

function jpeg(...parts: number[][]): Buffer {
  return Buffer.from(parts.flat());
}

describe('jpegSize', () => {
  let encoded: Buffer;

  before(() => {
    // odd sizes so that a swapped width/height or an off-by-one cannot pass
    encoded = execFileSync('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'testsrc=size=321x241:rate=1', '-frames:v', '1', '-c:v', 'mjpeg', '-f', 'image2pipe', '-'], {
      timeout: 10_000,
    });
  });

  test('reads the size of a real JPEG made by ffmpeg (after its APP0, COM and DQT segments)', () => {
    assert.deepEqual(jpegSize(encoded), { width: 321, height: 241 });
  });

  test('accepts a plain Uint8Array as well as a Buffer', () => {
    assert.deepEqual(jpegSize(new Uint8Array(encoded)), { width: 321, height: 241 });
  });

  test('reads a minimal baseline (SOF0) header', () => {
    assert.deepEqual(jpegSize(jpeg(SOI, segment(0xc0, sofBody(640, 480)))), { width: 640, height: 480 });
  });

  test('reads a progressive (SOF2) header', () => {
    assert.deepEqual(jpegSize(jpeg(SOI, APP0, DQT, segment(0xc2, sofBody(1920, 1080)), SOS)), { width: 1920, height: 1080 });
  });

  test('reads the largest size a JPEG can state', () => {
    assert.deepEqual(jpegSize(jpeg(SOI, segment(0xc1, sofBody(65535, 65535)))), { width: 65535, height: 65535 });
  });

  test('skips a Huffman table (C4) that sits where a SOF could be, and fill bytes before a marker', () => {
    const dht = segment(0xc4, [0, ...sofBody(11, 22), ...new Array<number>(16).fill(0)]);
    assert.deepEqual(jpegSize(jpeg(SOI, dht, [0xff, 0xff, 0xff], segment(0xc0, sofBody(800, 600)))), { width: 800, height: 600 });
  });

  test('skips a large Exif segment before the SOF', () => {
    const exif = segment(0xe1, [...Buffer.from('Exif\0\0'), ...new Array<number>(5000).fill(0xff)]);
    assert.deepEqual(jpegSize(jpeg(SOI, exif, segment(0xc0, sofBody(1280, 720)))), { width: 1280, height: 720 });
  });

  test('garbage is not a JPEG', () => {
    assert.equal(jpegSize(Buffer.alloc(0)), undefined);
    assert.equal(jpegSize(Buffer.from('definitely not a jpeg')), undefined);
    assert.equal(jpegSize(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), undefined); // PNG
    assert.equal(jpegSize(jpeg(SOI, [0x00, 0x01, 0x02, 0x03, 0x04])), undefined);
  });

  test('a truncated JPEG gives undefined instead of reading past the end', () => {
    for (const length of [2, 3, 10, 20, 100]) assert.equal(jpegSize(encoded.subarray(0, length)), undefined, `first ${length} bytes`);
    const header = jpeg(SOI, segment(0xc0, sofBody(640, 480)));
    assert.deepEqual(jpegSize(header.subarray(0, 11)), { width: 640, height: 480 }); // ends right after the width
    assert.equal(jpegSize(header.subarray(0, 10)), undefined); // cut inside the SOF's width
  });

  test('a scan before any SOF gives undefined', () => {
    assert.equal(jpegSize(jpeg(SOI, APP0, SOS, segment(0xc0, sofBody(640, 480)))), undefined);
  });

  test('a SOF stating a zero width or height gives undefined', () => {
    assert.equal(jpegSize(jpeg(SOI, segment(0xc0, sofBody(0, 480)))), undefined);
    assert.equal(jpegSize(jpeg(SOI, segment(0xc0, sofBody(640, 0)))), undefined);
  });

  test('a segment length below 2 gives undefined', () => {
    assert.equal(jpegSize(jpeg(SOI, [0xff, 0xe0, 0x00, 0x01], segment(0xc0, sofBody(640, 480)))), undefined);
  });
});
