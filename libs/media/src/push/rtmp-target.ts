/**
 * An RTMP push URL split the way ffmpeg's RTMP protocol (libavformat/rtmpproto.c, rtmp_open, ffmpeg 5.1) splits it,
 * so that its secret parts can be handed to ffmpeg as options (rtmp_app, rtmp_playpath) instead of in the URL on its
 * command line, and the server sees exactly what it saw when ffmpeg had the whole URL.
 */
export interface RtmpTarget {
  /** scheme://host[:port]: all that stays on ffmpeg's command line (the host and port are no secret: any user of the machine sees them among the open connections) */
  origin: string;
  /** the application (connect's app, and the end of tcUrl), e.g. "live" */
  app: string;
  /** the stream name published to (the stream key), e.g. "yard" */
  playpath: string;
}

export function rtmpTarget(url: string): RtmpTarget {
  const scheme = /^rtmps?:\/\//i.exec(url)?.[0];
  if (!scheme) throw new RangeError('not an rtmp:// or rtmps:// url');
  const rest = url.slice(scheme.length);
  // av_url_split: the authority runs to the first / ? or #; the path is everything after it
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  if (authority.includes('@')) throw new RangeError('user:password in an rtmp url is not supported: ffmpeg takes them only from its command line, which every user of the machine can read (put the secret in the stream key)');
  const path = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  return { origin: scheme + authority, ...splitPath(path) };
}

function splitPath(path: string): { app: string; playpath: string } {
  let app: string;
  let fname: string | undefined;
  const query = path.indexOf('?');
  if (query >= 0 && path.indexOf('slist=', query) >= 0) {
    // after slist= comes the stream name; the whole path, query included, is the application
    app = path.slice(1);
    fname = path.slice(path.indexOf('slist=') + 'slist='.length);
    const amp = fname.indexOf('&');
    if (amp >= 0) fname = fname.slice(0, amp);
  } else if (path.startsWith('/ondemand/')) {
    app = 'ondemand';
    fname = path.slice('/ondemand/'.length);
  } else {
    const next = path.slice(1);
    const slash = next.indexOf('/');
    if (slash < 0) {
      app = next;
    } else {
      // app/stream, or app/instance/stream: an application instance, unless a ':' (mp4:name) comes first
      const after = next.slice(slash + 1);
      const colon = after.indexOf(':');
      const second = after.indexOf('/');
      if (second < 0 || (colon >= 0 && colon < second)) {
        app = next.slice(0, slash);
        fname = after;
      } else {
        app = next.slice(0, slash + 1 + second);
        fname = after.slice(second + 1);
      }
    }
  }
  return { app, playpath: playpathOf(fname ?? '') };
}

function playpathOf(fname: string): string {
  if (fname.length >= 4 && !fname.includes(':') && (fname.endsWith('.f4v') || fname.endsWith('.mp4'))) return `mp4:${fname}`;
  return fname.length >= 4 && fname.endsWith('.flv') ? fname.slice(0, -4) : fname;
}
