/** What kind of source a camera URL names. Pure string logic, shared by validation and the pipeline builder. */
import { CAMERA_ID_PATTERN } from './camera-id';

/**
 * `stitch`: a panorama of two other cameras (`stitch://left,right`), made by the stitch service from their frames;
 * nothing is captured for it, so ingest never runs it.
 */
export type SourceKind = 'rtsp' | 'http' | 'file' | 'v4l2' | 'sequence' | 'test' | 'stitch';

export interface Source {
  kind: SourceKind;
  /** the location as GStreamer wants it: a URL, a file path, a device path, a pattern name; for a stitch `left,right` */
  location: string;
}

export const STITCH_SCHEME = 'stitch://';

/** videotestsrc patterns offered as `test://<name>` */
export const TEST_PATTERNS = ['ball', 'smpte', 'snow', 'gradient', 'pinwheel', 'spokes', 'circular', 'colors'] as const;

export class SourceError extends Error {
  override name = 'SourceError';
}

export function classifySource(url: string): Source {
  const trimmed = url.trim();
  if (trimmed.length === 0) throw new SourceError('url is empty');
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'rtsp':
    case 'rtsps':
      return { kind: 'rtsp', location: parseNetworkUrl(trimmed).toString() };
    case 'http':
    case 'https':
      return { kind: 'http', location: parseNetworkUrl(trimmed).toString() };
    case 'test': {
      const pattern = trimmed.slice('test://'.length).replace(/\/+$/, '') || 'ball';
      if (!(TEST_PATTERNS as readonly string[]).includes(pattern)) {
        throw new SourceError(`unknown test pattern "${pattern}" (one of ${TEST_PATTERNS.join(', ')})`);
      }
      return { kind: 'test', location: pattern };
    }
    case 'stitch':
      return { kind: 'stitch', location: stitchInputs(trimmed).join(',') };
    case 'file':
      return fileSource(decodePath(parseUrl(trimmed).pathname));
    case undefined:
      if (/^\/dev\/video\d+$/.test(trimmed)) return { kind: 'v4l2', location: trimmed };
      return fileSource(trimmed);
    default:
      throw new SourceError(`unsupported url scheme "${scheme}://" (use rtsp, rtsps, http, https, file, test, stitch, a path or /dev/videoN)`);
  }
}

/**
 * The two cameras a `stitch://left,right` URL names, left (input 0) first: camera ids, distinct. Throws SourceError.
 * Only what the URL itself says is checked here; that both are cameras, and not panoramas themselves, needs the
 * registry (publish checks it on every write, the stitch service again on every start).
 */
export function stitchInputs(url: string): [string, string] {
  const trimmed = url.trim();
  if (trimmed.slice(0, STITCH_SCHEME.length).toLowerCase() !== STITCH_SCHEME) throw new SourceError('not a stitch:// url');
  const ids = trimmed.slice(STITCH_SCHEME.length).split(',');
  if (ids.length !== 2) throw new SourceError(`a stitch names exactly two cameras (stitch://left,right), not ${ids.length}`);
  const [left, right] = ids as [string, string];
  for (const id of ids) {
    if (!CAMERA_ID_PATTERN.test(id)) throw new SourceError(`a stitch's inputs are camera ids (1-64 letters, digits, "-" or "_"); ${JSON.stringify(id.slice(0, 80))} is not one`);
  }
  if (left === right) throw new SourceError(`a stitch needs two different cameras, not "${left}" twice`);
  return [left, right];
}

/** Whether a camera is a panorama (made by the stitch service) rather than captured (by ingest). */
export function isPanorama(camera: { url: string }): boolean {
  return camera.url.trim().slice(0, STITCH_SCHEME.length).toLowerCase() === STITCH_SCHEME;
}

/** The two inputs of a panorama camera, or undefined for a camera that is captured. Assumes a URL the schema took. */
export function stitchInputsOf(camera: { url: string }): [string, string] | undefined {
  return isPanorama(camera) ? stitchInputs(camera.url) : undefined;
}

function fileSource(path: string): Source {
  if (path.includes('\0')) throw new SourceError('file path contains a NUL byte');
  // printf-style numbered frames (frames/%06d.jpg) make an image sequence
  if (/%0?\d*d/.test(path)) return { kind: 'sequence', location: path };
  return { kind: 'file', location: path };
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    // the URL itself stays out of the message: where it is malformed, masking cannot be trusted
    throw new SourceError('url is not a valid URL');
  }
}

function parseNetworkUrl(url: string): URL {
  // a space could hide where the credentials end (and masking must find that end)
  if (/\s/.test(url)) throw new SourceError('url contains whitespace (percent-encode it, e.g. %20)');
  const parsed = parseUrl(url);
  if (!parsed.hostname) throw new SourceError('url has no host');
  // the pipeline hands the decoded user name and password to the source element
  for (const part of [parsed.username, parsed.password]) {
    try {
      decodeURIComponent(part);
    } catch {
      throw new SourceError('url user name or password has a malformed percent-escape');
    }
  }
  return parsed;
}

function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new SourceError('file url has a malformed percent-escape');
  }
}
