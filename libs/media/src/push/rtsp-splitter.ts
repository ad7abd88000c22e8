import { parseHead, RtspProtocolError, type RtspLimits, type RtspMessage } from './rtsp-message';

/**
 * What one direction of an RTSP-over-TCP connection carries, in order: `data` is bytes to pass on as they are
 * (interleaved frames, RFC 2326 §10.12: `$`, a channel byte, a 16-bit length, that many bytes of RTP or RTCP);
 * `message` is a request or a response, parsed.
 */
export type RtspPiece = { kind: 'data'; bytes: Buffer } | { kind: 'message'; message: RtspMessage };

const DOLLAR = 0x24;
const FRAME_HEADER = 4;
const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Splits a byte stream into RtspPieces, whatever the chunk boundaries. Interleaved frames, which are nearly all of
 * the bytes once RECORD runs, come out as slices of the chunks they came in (frames back to back in one chunk as
 * one slice), never copied; only a frame header or a message cut by a chunk boundary is held, and a message is
 * held only up to the limits.
 */
export class RtspSplitter {
  /** bytes of the current interleaved frame still to come */
  private frameLeft = 0;
  /** the start of a frame header or of a message, cut off at the end of the last chunk */
  private held: Buffer = Buffer.alloc(0);

  constructor(private readonly limits: RtspLimits) {}

  push(chunk: Buffer): RtspPiece[] {
    const pieces: RtspPiece[] = [];
    let data = chunk;
    if (this.held.length > 0) {
      if (this.held[0] === DOLLAR) {
        // a frame header cut short: only its missing bytes are copied; the rest of the chunk stays a slice
        const missing = FRAME_HEADER - this.held.length;
        if (data.length < missing) {
          this.held = Buffer.concat([this.held, data]);
          return pieces;
        }
        const header = Buffer.concat([this.held, data.subarray(0, missing)]);
        this.held = Buffer.alloc(0);
        pieces.push({ kind: 'data', bytes: header });
        this.frameLeft = header.readUInt16BE(2);
        data = data.subarray(missing);
      } else {
        // a message cut short: messages are small and rare, copying them costs nothing
        data = Buffer.concat([this.held, data]);
        this.held = Buffer.alloc(0);
      }
    }
    this.split(data, pieces);
    return pieces;
  }

  private split(data: Buffer, pieces: RtspPiece[]): void {
    let pos = 0;
    // where the run of frame bytes not yet handed out starts
    let run = 0;
    const flushRun = (end: number) => {
      if (end > run) pieces.push({ kind: 'data', bytes: data.subarray(run, end) });
    };
    while (pos < data.length) {
      if (this.frameLeft > 0) {
        const taken = Math.min(this.frameLeft, data.length - pos);
        this.frameLeft -= taken;
        pos += taken;
        continue;
      }
      if (data[pos] === DOLLAR) {
        if (data.length - pos < FRAME_HEADER) break;
        this.frameLeft = FRAME_HEADER + data.readUInt16BE(pos + 2);
        continue;
      }
      flushRun(pos);
      // stray line ends between messages are allowed (some peers send them as keep-alives)
      while (pos < data.length && (data[pos] === 0x0d || data[pos] === 0x0a)) pos += 1;
      run = pos;
      if (pos === data.length) return;
      if (data[pos] === DOLLAR) continue;
      const end = this.message(data, pos, pieces);
      if (end < 0) break;
      pos = end;
      run = pos;
    }
    flushRun(pos);
    if (pos < data.length) {
      // a copy, so a small remainder does not keep the whole chunk alive; message() bounded it
      this.held = Buffer.from(data.subarray(pos));
    }
  }

  /** Parses the message at `start` into `pieces`; its end, or -1 when it is not all here yet. */
  private message(data: Buffer, start: number, pieces: RtspPiece[]): number {
    const headEnd = data.indexOf(HEAD_END, start);
    if (headEnd < 0 || headEnd + HEAD_END.length - start > this.limits.headBytes) {
      if (data.length - start > this.limits.headBytes || headEnd >= 0) throw new RtspProtocolError(`an RTSP head over the ${this.limits.headBytes} byte limit`);
      return -1;
    }
    const head = parseHead(data.toString('latin1', start, headEnd), this.limits);
    const bodyStart = headEnd + HEAD_END.length;
    if (data.length - bodyStart < head.contentLength) return -1;
    const body = Buffer.from(data.subarray(bodyStart, bodyStart + head.contentLength));
    pieces.push({ kind: 'message', message: { startLine: head.startLine, headers: head.headers, body } });
    return bodyStart + head.contentLength;
  }
}
