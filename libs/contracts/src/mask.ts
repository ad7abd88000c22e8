/**
 * Masking of secrets inside any text that may reach a log line, an API response, an error or a
 * metric: camera and push URLs, ffmpeg and GStreamer messages that echo them, webhook URLs.
 * What counts as a secret in a URL:
 *  - the user name and password (`rtsp://admin:***@host`);
 *  - query, fragment and `;` parameters whose name says so (password, token, key, secret, sig, code, ...);
 *  - the stream key of an RTMP URL, its last path segment (`rtmp://host/live/***`);
 *  - a path segment that looks like a token: 20 or more URL-safe characters with both letters and
 *    digits (Slack's `/services/T0/B0/XXXX`, Discord's `/api/webhooks/<id>/<token>`).
 */

/** A URL inside text: scheme, `//`, then everything up to whitespace or a quote. */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*):\/\/([^\s"'<>`]+)/gi;
const SECRET_PARAM = /^(user(name)?|pass(word|wd)?|pwd|token|access[-_]?token|auth([-_]?token)?|key|api[-_]?key|secret|client[-_]?secret|sig(nature)?|code|hmac|credentials?|session([-_]?id)?)$/i;
const TOKEN_SEGMENT = /^(?=[A-Za-z0-9_-]*[0-9])(?=[A-Za-z0-9_-]*[A-Za-z])[A-Za-z0-9_-]{20,}$/;

export function maskCredentials(text: string): string {
  return text.replace(URL_IN_TEXT, (_match, scheme: string, rest: string) => `${scheme}://${maskRest(scheme.toLowerCase(), rest)}`);
}

function maskRest(scheme: string, rest: string): string {
  // userinfo runs to the LAST "@" before the path: an unescaped "@" in a password is common
  const userinfo = /^([^/?#\s]+)@/.exec(rest);
  const afterUser = userinfo ? rest.slice(userinfo[0].length) : rest;
  const hostEnd = afterUser.search(/[/?#;]/);
  const host = hostEnd < 0 ? afterUser : afterUser.slice(0, hostEnd);
  const tail = hostEnd < 0 ? '' : afterUser.slice(hostEnd);
  const user = userinfo ? (userinfo[1]!.includes(':') ? `${userinfo[1]!.split(':')[0]}:***@` : '***@') : '';
  return user + host + maskTail(scheme, tail);
}

function maskTail(scheme: string, tail: string): string {
  const split = /^([^?#]*)(.*)$/s.exec(tail)!;
  let path = split[1]!;
  const after = split[2]!;
  const segments = path.split('/');
  path = segments
    .map((segment, i) => {
      const [name, ...params] = segment.split(';');
      const streamKey = (scheme === 'rtmp' || scheme === 'rtmps') && i === segments.length - 1 && i >= 2 && name !== '';
      const masked = streamKey || TOKEN_SEGMENT.test(decodeSafely(name!)) ? '***' : name!;
      return [masked, ...params.map(maskParam)].join(';');
    })
    .join('/');
  return path + after.replace(/([?#&])([^&#]*)/g, (_m, sep: string, param: string) => sep + maskParam(param));
}

function maskParam(param: string): string {
  const eq = param.indexOf('=');
  if (eq < 0) return param;
  return SECRET_PARAM.test(decodeSafely(param.slice(0, eq))) ? `${param.slice(0, eq)}=***` : param;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
