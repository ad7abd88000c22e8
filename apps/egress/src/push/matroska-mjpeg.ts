/**
 * The smallest Matroska stream ffmpeg reads from a pipe: one MJPEG track, each JPEG a SimpleBlock in a cluster of
 * its own, its timestamp in milliseconds. It is how the egress hands ffmpeg frames stamped with their capture time
 * (push-args.ts says why a container and not the wall clock), and needs no library: EBML is a tag, a length and a
 * payload. The segment has an unknown size, the way live Matroska is written; each cluster has its exact size.
 *
 * Element IDs and layout: the Matroska specification (RFC 9559); ffmpeg 5.1's demuxer reads this as a stream with
 * time base 1/1000.
 */

const ID = {
  ebml: [0x1a, 0x45, 0xdf, 0xa3],
  ebmlVersion: [0x42, 0x86],
  ebmlReadVersion: [0x42, 0xf7],
  ebmlMaxIdLength: [0x42, 0xf2],
  ebmlMaxSizeLength: [0x42, 0xf3],
  docType: [0x42, 0x82],
  docTypeVersion: [0x42, 0x87],
  docTypeReadVersion: [0x42, 0x85],
  segment: [0x18, 0x53, 0x80, 0x67],
  info: [0x15, 0x49, 0xa9, 0x66],
  timestampScale: [0x2a, 0xd7, 0xb1],
  muxingApp: [0x4d, 0x80],
  writingApp: [0x57, 0x41],
  tracks: [0x16, 0x54, 0xae, 0x6b],
  trackEntry: [0xae],
  trackNumber: [0xd7],
  trackUid: [0x73, 0xc5],
  trackType: [0x83],
  codecId: [0x86],
  flagLacing: [0x9c],
  video: [0xe0],
  pixelWidth: [0xb0],
  pixelHeight: [0xba],
  cluster: [0x1f, 0x43, 0xb6, 0x75],
  timestamp: [0xe7],
  simpleBlock: [0xa3],
} as const;

/** "size unknown": the element runs until its parent ends (for the segment: the end of the stream) */
const UNKNOWN_SIZE = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** one millisecond per tick */
const TIMESTAMP_SCALE_NS = 1_000_000;
const VIDEO_TRACK = 1;
/** track number 1 as a 1-byte vint, relative timestamp 0, flags: keyframe (every JPEG is one) */
const BLOCK_HEAD = Buffer.from([0x80 | VIDEO_TRACK, 0x00, 0x00, 0x80]);

/** The stream header: EBML header, segment start, info and the one track. */
export function matroskaHeader(width: number, height: number): Buffer {
  const ebml = element(ID.ebml, [
    element(ID.ebmlVersion, uint(1)),
    element(ID.ebmlReadVersion, uint(1)),
    element(ID.ebmlMaxIdLength, uint(4)),
    element(ID.ebmlMaxSizeLength, uint(8)),
    element(ID.docType, Buffer.from('matroska')),
    element(ID.docTypeVersion, uint(4)),
    element(ID.docTypeReadVersion, uint(2)),
  ]);
  const info = element(ID.info, [element(ID.timestampScale, uint(TIMESTAMP_SCALE_NS)), element(ID.muxingApp, Buffer.from('vigil')), element(ID.writingApp, Buffer.from('vigil'))]);
  const track = element(ID.trackEntry, [
    element(ID.trackNumber, uint(VIDEO_TRACK)),
    element(ID.trackUid, uint(VIDEO_TRACK)),
    element(ID.trackType, uint(1)), // video
    element(ID.codecId, Buffer.from('V_MJPEG')),
    element(ID.flagLacing, uint(0)),
    element(ID.video, [element(ID.pixelWidth, uint(width)), element(ID.pixelHeight, uint(height))]),
  ]);
  return Buffer.concat([ebml, Buffer.from(ID.segment), UNKNOWN_SIZE, info, element(ID.tracks, [track])]);
}

/** One JPEG at `ms` (a non-negative whole number of milliseconds): a cluster holding one block. */
export function matroskaFrame(ms: number, jpeg: Buffer): Buffer {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`a Matroska timestamp must be a whole number of ms >= 0, got ${ms}`);
  return element(ID.cluster, [element(ID.timestamp, uint(ms)), element(ID.simpleBlock, [BLOCK_HEAD, jpeg])]);
}

function element(id: readonly number[], payload: Buffer | Buffer[]): Buffer {
  const parts = Array.isArray(payload) ? payload : [payload];
  const size = parts.reduce((sum, part) => sum + part.length, 0);
  return Buffer.concat([Buffer.from(id), vint(size), ...parts]);
}

/** An EBML variable-size integer: the count of leading zero bits says how many bytes follow. All ones is reserved. */
export function vint(value: number): Buffer {
  for (let length = 1; length <= 8; length++) {
    if (value < 2 ** (7 * length) - 1) {
      const bytes = bigEndian(value, length);
      bytes[0]! |= 0x80 >> (length - 1);
      return bytes;
    }
  }
  throw new RangeError(`${value} does not fit an EBML size`);
}

/** An unsigned integer in as few bytes as it needs (at least one). */
function uint(value: number): Buffer {
  let length = 1;
  while (length < 7 && value >= 2 ** (8 * length)) length += 1;
  return bigEndian(value, length);
}

function bigEndian(value: number, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  let rest = value;
  for (let at = length - 1; at >= 0; at--) {
    bytes[at] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return bytes;
}
