/**
 * One RTSP message (RFC 2326 §4), as the relay reads and writes it. Text is latin1, byte for byte: RTSP is bytes,
 * and a request line copied through must come out as it went in.
 */
export interface RtspMessage {
  /** `ANNOUNCE rtsp://host:554/path RTSP/1.0` or `RTSP/1.0 401 Unauthorized` */
  startLine: string;
  /** in order, names as sent; without Content-Length, which serialize() writes from the body */
  headers: [name: string, value: string][];
  body: Buffer;
}

export interface RtspLimits {
  /** the start line and headers, up to and including the blank line */
  headBytes: number;
  /** Content-Length at most */
  bodyBytes: number;
}

/**
 * A request or a response takes a few hundred bytes; an SDP a few KiB (ffmpeg's own cap is 16 KiB). Anything near
 * these is not RTSP from a sane peer.
 */
export const RTSP_LIMITS: RtspLimits = { headBytes: 16 * 1024, bodyBytes: 64 * 1024 };

/** What a peer sent that is not RTSP, or is over a limit: the connection cannot go on. */
export class RtspProtocolError extends Error {}

const REQUEST_LINE = /^([A-Z_]{1,32}) (\S{1,8192}) (RTSP\/\d\.\d)$/;
const STATUS_LINE = /^RTSP\/\d\.\d (\d{3})(?: [^\r\n]*)?$/;
const HEADER_LINE = /^([!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}):[ \t]*(.*?)[ \t]*$/;

/** Parses the head (start line and headers, without the blank line that ends it). */
export function parseHead(head: string, limits: RtspLimits): { startLine: string; headers: [string, string][]; contentLength: number } {
  const [startLine = '', ...lines] = head.split('\r\n');
  if (!REQUEST_LINE.test(startLine) && !STATUS_LINE.test(startLine)) throw new RtspProtocolError(`not an RTSP start line: ${JSON.stringify(startLine.slice(0, 80))}`);
  const headers: [string, string][] = [];
  let contentLength: number | undefined;
  for (const line of lines) {
    const match = HEADER_LINE.exec(line);
    // eslint-disable-next-line no-control-regex
    if (!match || /[\0-\x08\x0a-\x1f\x7f]/.test(match[2]!)) throw new RtspProtocolError(`not an RTSP header line: ${JSON.stringify(line.slice(0, 80))}`);
    const [, name, value] = match as unknown as [string, string, string];
    if (name.toLowerCase() !== 'content-length') {
      headers.push([name, value]);
      continue;
    }
    // two lengths that disagree leave no telling where the next message starts
    if (!/^\d{1,9}$/.test(value) || (contentLength !== undefined && contentLength !== Number(value))) throw new RtspProtocolError(`a bad Content-Length: ${JSON.stringify(value.slice(0, 20))}`);
    contentLength = Number(value);
  }
  if ((contentLength ?? 0) > limits.bodyBytes) throw new RtspProtocolError(`a body of ${contentLength} bytes, over the ${limits.bodyBytes} byte limit`);
  return { startLine, headers, contentLength: contentLength ?? 0 };
}

export function serialize(message: RtspMessage): Buffer {
  const lines = [message.startLine, ...message.headers.map(([name, value]) => `${name}: ${value}`)];
  if (message.body.length > 0) lines.push(`Content-Length: ${message.body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return message.body.length > 0 ? Buffer.concat([head, message.body]) : head;
}

export function isResponse(message: RtspMessage): boolean {
  return message.startLine.startsWith('RTSP/');
}

/** The status code of a response. */
export function statusOf(message: RtspMessage): number | undefined {
  const match = STATUS_LINE.exec(message.startLine);
  return match ? Number(match[1]) : undefined;
}

/** The parts of a request line. */
export function requestOf(message: RtspMessage): { method: string; uri: string; version: string } | undefined {
  const match = REQUEST_LINE.exec(message.startLine);
  return match ? { method: match[1]!, uri: match[2]!, version: match[3]! } : undefined;
}

/** Every value of a header, matched without regard to case. */
export function headerValues(message: RtspMessage, name: string): string[] {
  const wanted = name.toLowerCase();
  return message.headers.filter(([key]) => key.toLowerCase() === wanted).map(([, value]) => value);
}

/** The headers without any of `names`, then `added`. */
export function replaceHeaders(message: RtspMessage, names: readonly string[], added: [string, string][] = []): RtspMessage {
  const dropped = new Set(names.map((name) => name.toLowerCase()));
  return { ...message, headers: [...message.headers.filter(([key]) => !dropped.has(key.toLowerCase())), ...added] };
}
