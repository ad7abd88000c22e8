/**
 * An RTSP push URL split for the relay (rtsp-relay.ts). ffmpeg's RTSP muxer takes a user and password only in the
 * URL on its command line, which every user of the machine can read; so ffmpeg is given a loopback URL that names
 * nothing of the target, and the relay sends the server what ffmpeg would have sent had it been given the real URL:
 * requests to the control URI that libavformat builds (rtsp.c, ff_rtsp_connect: av_url_split, the user info dropped,
 * the port defaulted to 554, the path and query kept as written), with the credentials added only where the server
 * asks for them.
 */
export interface RtspTarget {
  /** what to connect to: a name or an address (an IPv6 one without its brackets) */
  host: string;
  port: number;
  /** `rtsp://host:port/path?query`, as ffmpeg writes it in its requests; bytes as latin1 text, like the rest of a message */
  controlUri: string;
  /** percent-decoded; only the relay holds them */
  credentials?: RtspCredentials;
}

export interface RtspCredentials {
  username: string;
  password: string;
}

export const RTSP_DEFAULT_PORT = 554;

/**
 * The path ffmpeg is given instead of the real one. The real path is not always harmless to show: masking hides
 * random-looking segments and secret-named query parameters (libs/contracts mask-rules.ts), so argv gets neither.
 */
export const LOOPBACK_PATH = '/vigil';

/** What ffmpeg is told to push to: the relay on `port`. */
export function loopbackUrl(port: number): string {
  return `rtsp://127.0.0.1:${port}${LOOPBACK_PATH}`;
}

export function rtspTarget(url: string): RtspTarget {
  const scheme = /^rtsp:\/\//i.exec(url)?.[0];
  if (!scheme) throw new RangeError('not an rtsp:// url');
  const rest = url.slice(scheme.length);
  // av_url_split: the authority runs to the first / ? or #, the user info to the last @ in it
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const path = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  // the path goes into request lines as it is: a space or a control character would end or split one
  // eslint-disable-next-line no-control-regex
  if (/[\s\0-\x1f\x7f]/.test(path)) throw new RangeError('the url path holds a space or a control character');
  const at = authority.lastIndexOf('@');
  const { host, hostInUri, port } = hostAndPort(at < 0 ? authority : authority.slice(at + 1));
  const controlUri = `rtsp://${hostInUri}:${port}${Buffer.from(path, 'utf8').toString('latin1')}`;
  return { host, port, controlUri, ...(at < 0 ? {} : { credentials: credentialsOf(authority.slice(0, at)) }) };
}

function hostAndPort(text: string): { host: string; hostInUri: string; port: number } {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::(.*))?$/.exec(text);
  const [host, port] = bracketed ? [bracketed[1]!, bracketed[2]] : splitAtColon(text);
  if (!/^[A-Za-z0-9._:-]+$/.test(host)) throw new RangeError('the url host is not a name or an address');
  if (port !== undefined && !/^\d{1,5}$/.test(port)) throw new RangeError('the url port is not a number');
  const number = port === undefined ? RTSP_DEFAULT_PORT : Number(port);
  if (number < 1 || number > 65_535) throw new RangeError('the url port is not between 1 and 65535');
  return { host, hostInUri: bracketed ? `[${host}]` : host, port: number };
}

function splitAtColon(text: string): [string, string | undefined] {
  const colon = text.indexOf(':');
  return colon < 0 ? [text, undefined] : [text.slice(0, colon), text.slice(colon + 1)];
}

function credentialsOf(userinfo: string): RtspCredentials {
  const colon = userinfo.indexOf(':');
  const username = decode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? '' : decode(userinfo.slice(colon + 1));
  return { username, password };
}

function decode(text: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(text);
  } catch {
    throw new RangeError('the url user or password holds a malformed %-escape');
  }
  // they end up inside an Authorization header: a line break there would start a header of the url's choosing
  // eslint-disable-next-line no-control-regex
  if (/[\0-\x1f\x7f]/.test(decoded)) throw new RangeError('the url user or password holds a control character');
  return decoded;
}
