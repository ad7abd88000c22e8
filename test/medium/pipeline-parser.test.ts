/**
 * Property test of pipeline building against GStreamer's own parser. Thousands of generated camera
 * records (hostile user names, passwords, paths, hosts and query strings in every source kind) are
 * built into launch lines and parsed by Gst.parse_launch; each must give exactly the intended
 * elements in the intended order, and every property must read back byte for byte.
 * Guards against: a user name of one backslash (`rtsp://%5C:<payload>@host/x`) that let the
 * password run as pipeline text and write files through filesink.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { classifySource, maskUrl, TEST_PATTERNS, type CameraConfig, type Source } from '@vigil/contracts';
import { buildPipeline, chooseDecoder, type DecoderChoice } from '@vigil/media';
import { parseWithGstreamer, type ParseRequest } from '../support/gst-parser';
import { mulberry32 } from '../support/seeded-random';

const CASES = 2000;
/** the masked line is parsed for every MASKED_EVERY-th case (parsing is the slow part) */
const MASKED_EVERY = 4;
const SEED = 0x5eed_0010;


const random = mulberry32(SEED);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const chance = (p: number): boolean => random() < p;

/** Pieces an attacker would try, plus plain text and unicode. */
const PIECES = [
  '\\', '\\\\', '"', '\\"', '"\\', "'", '!', ' ! ', '=', ' ', '\n', '\t', '\r', '@', ':', '/', '?', '#', '%', '%25', '&', ';', ',',
  '{', '}', '(', ')', '[', ']', '$', '`', '*', '~', '^', '|', '<', '>', '+', '.', '..', '-', '_',
  '\u0001', '\u007f', '\u00a0', 'é', '✓', '漢字', '😀', '\u202e',
  '! fakesink filesrc location=/etc/hostname ! filesink location=/tmp/vigil-pwned rtspsrc location=x',
  '" ! filesink location="/tmp/vigil-pwned', 'user-pw=x', 'admin', 'p4ss', 'cam', '0', '80',
];

function hostile(maxPieces = 6): string {
  const count = 1 + Math.floor(random() * maxPieces);
  return Array.from({ length: count }, () => pick(PIECES)).join('');
}

const HOSTS = ['cam.local', '10.0.0.5', '[::1]', '[fd00::5]', 'kamera.例え.jp', 'a-b.example.com:8554', '192.168.1.20:554'];

interface Case {
  camera: Pick<CameraConfig, 'transport' | 'realtime' | 'fps' | 'width' | 'height' | 'jpegQuality'>;
  source: Source;
  decoder?: DecoderChoice;
  watchdogMs?: number;
  /** what GStreamer must read back from the source element */
  sourceProps: Record<string, string>;
}

const DECODERS = [chooseDecoder('h264', 'cpu', new Set(['avdec_h264'])), chooseDecoder('h265', 'cpu', new Set(['avdec_h265']))];

function networkUrl(scheme: string): { url: string; user?: string; password?: string } {
  const user = chance(0.8) ? hostile() : undefined;
  const password = user !== undefined && chance(0.8) ? hostile() : undefined;
  const userinfo = user === undefined ? '' : `${encodeURIComponent(user)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@`;
  // path and query carry raw characters a URL allows unencoded; the URL parser encodes the rest
  const raw = () => hostile(4).replace(/[\s#]/g, '');
  const path = `/${encodeURI(raw()).replace(/%25/g, '%')}`;
  const query = chance(0.5) ? `?${raw()}=${raw()}&token=${raw()}` : '';
  return { url: `${scheme}://${userinfo}${pick(HOSTS)}${path}${query}`, user: user || undefined, password: password || undefined };
}

function generate(): Case | undefined {
  const camera = {
    transport: pick(['tcp', 'udp'] as const),
    realtime: chance(0.7),
    fps: chance(0.5) ? undefined : chance(0.7) ? 1 + Math.floor(random() * 60) : pick([0.5, 7.5, 12.5, 29.97]),
    width: chance(0.6) ? undefined : 16 + 2 * Math.floor(random() * 952),
    height: chance(0.6) ? undefined : 16 + 2 * Math.floor(random() * 532),
    jpegQuality: 1 + Math.floor(random() * 100),
  };
  const watchdogMs = chance(0.5) ? 1000 + Math.floor(random() * 20_000) : undefined;
  const kind = pick(['rtsp', 'rtsp', 'http', 'file', 'sequence', 'v4l2', 'test'] as const);
  let url: string;
  const credentials: { user?: string; password?: string } = {};
  if (kind === 'rtsp' || kind === 'http') {
    const made = networkUrl(kind === 'rtsp' ? pick(['rtsp', 'rtsps']) : pick(['http', 'https']));
    url = made.url;
    Object.assign(credentials, made);
  } else if (kind === 'file') url = `/media/${hostile().replace(/\0/g, '')}.mp4`;
  else if (kind === 'sequence') url = `/media/${hostile()}/%06d.jpg`;
  else if (kind === 'v4l2') url = `/dev/video${Math.floor(random() * 64)}`;
  else url = `test://${pick(TEST_PATTERNS)}`;
  return caseFor(url, credentials, camera, watchdogMs);
}

function caseFor(url: string, credentials: { user?: string; password?: string }, camera: Case['camera'], watchdogMs?: number): Case | undefined {
  let source: Source;
  try {
    source = classifySource(url);
  } catch {
    return undefined; // refused at the boundary: nothing to build
  }
  const sourceProps: Record<string, string> = {};
  if (source.kind === 'rtsp' || source.kind === 'http') {
    const bare = new URL(source.location);
    bare.username = '';
    bare.password = '';
    sourceProps.location = bare.toString();
    if (credentials.user !== undefined) sourceProps['user-id'] = credentials.user;
    if (credentials.password !== undefined) sourceProps['user-pw'] = credentials.password;
    if (source.kind === 'rtsp') sourceProps.protocols = camera.transport;
    else sourceProps['automatic-redirect'] = 'false';
  } else if (source.kind === 'file' || source.kind === 'sequence') sourceProps.location = url;
  else if (source.kind === 'v4l2') sourceProps.device = url;
  else sourceProps.pattern = source.location;
  const decoder = source.kind === 'rtsp' || source.kind === 'file' ? pick(DECODERS) : undefined;
  return { camera, source, decoder, watchdogMs, sourceProps };
}

/** The attack seen live: a user name of one backslash let the password run as pipeline text. */
function attacks(): Case[] {
  const payload = '! fakesink filesrc location=/etc/hostname ! filesink location=/tmp/vigil-pwned rtspsrc location=rtsp://x/y';
  const camera = { transport: 'tcp' as const, realtime: true, jpegQuality: 80 };
  return ['rtsp', 'http'].flatMap((scheme) =>
    ['\\', '\\\\', 'a\\', '"', '\\"'].map((user) => {
      const url = `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(payload)}@cam.local/x`;
      return caseFor(url, { user, password: payload }, camera, 10_000)!;
    }),
  );
}

/** The elements a case must become, in order, with the properties to read on each. */
function intended(c: Case): { factories: string[]; read: [number, string, string][] } {
  const codec = c.decoder?.element.includes('265') ? 'h265' : 'h264';
  const heads: Record<Source['kind'], string[]> = {
    rtsp: ['rtspsrc', `rtp${codec}depay`, `${codec}parse`, c.decoder?.element ?? '', 'videoconvert'],
    http: ['souphttpsrc', 'multipartdemux', 'jpegdec', 'videoconvert'],
    file: ['filesrc', 'parsebin', `${codec}parse`, c.decoder?.element ?? '', 'videoconvert'],
    sequence: ['multifilesrc', 'jpegdec', 'videoconvert'],
    v4l2: ['v4l2src', 'decodebin', 'videoconvert'],
    test: ['videotestsrc', 'capsfilter'],
    // no case is a panorama: it has no pipeline
    stitch: [],
  };
  const factories = [...heads[c.source.kind]];
  const read: [number, string, string][] = Object.entries(c.sourceProps).map(([prop, value]) => [0, prop, value]);
  const { fps, width, height } = c.camera;
  const synthetic = c.source.kind === 'test';
  const fraction = (value: number) => (Number.isInteger(value) ? `${value}/1` : `${Math.round(value * 1000)}/1000`);
  if (c.source.kind === 'sequence') read.push([0, 'caps', `image/jpeg,framerate=${fraction(fps ?? 25)}`]);
  if (synthetic) {
    const size = { width: width ?? (height ? Math.max(2, Math.round((height * 16) / 9 / 2) * 2) : 1280), height: height ?? (width ? Math.max(2, Math.round((width * 9) / 16 / 2) * 2) : 720) };
    read.push([1, 'caps', `video/x-raw,width=${size.width},height=${size.height},framerate=${fraction(fps ?? 25)}`]);
  }
  const live = c.source.kind === 'rtsp' || c.source.kind === 'http' || c.source.kind === 'v4l2' || (synthetic && c.camera.realtime);
  if (live && c.watchdogMs) {
    read.push([factories.length, 'timeout', String(Math.round(c.watchdogMs))]);
    factories.push('watchdog');
  }
  if (fps !== undefined && !synthetic) {
    factories.push('videorate');
    if (!Number.isInteger(fps)) {
      read.push([factories.length, 'caps', `video/x-raw,framerate=${fraction(fps)}`]);
      factories.push('capsfilter');
    } else read.push([factories.length - 1, 'max-rate', String(fps)]);
  }
  if ((width !== undefined || height !== undefined) && !synthetic) {
    factories.push('videoscale');
    const fields = [width === undefined ? '' : `,width=${width}`, height === undefined ? '' : `,height=${height}`].join('');
    read.push([factories.length, 'caps', `video/x-raw${fields},pixel-aspect-ratio=1/1`]);
    factories.push('capsfilter');
  }
  factories.push('queue');
  read.push([factories.length, 'quality', String(c.camera.jpegQuality)]);
  factories.push('jpegenc');
  read.push([factories.length, 'drop', String(live)]);
  factories.push('appsink');
  return { factories, read };
}

describe('pipeline building, checked by GStreamer’s own parser', () => {
  test(`${CASES} generated camera records parse into exactly the intended elements and values`, async () => {
    const cases: Case[] = attacks();
    let refused = 0;
    while (cases.length < CASES + attacks().length) {
      const c = generate();
      if (c) cases.push(c);
      else refused++;
    }
    const requests: ParseRequest[] = [];
    const expected: ReturnType<typeof intended>[] = [];
    for (const [n, c] of cases.entries()) {
      const pipeline = buildPipeline({ camera: c.camera, source: c.source, decoder: c.decoder, watchdogMs: c.watchdogMs });
      const plan = intended(c);
      expected.push(plan);
      requests.push({ launch: pipeline.launch, read: plan.read });
      if (n % MASKED_EVERY !== 0) continue;
      // the masked line the API shows must describe the same pipeline, with *** for credentials
      const masked = plan.read.map(([i, prop, value]): [number, string, string] => [i, prop, prop === 'user-id' || prop === 'user-pw' ? '***' : i === 0 && prop === 'location' && /^(rtsp|http)/.test(c.source.kind) ? maskUrl(value) : value]);
      expected.push({ factories: plan.factories, read: masked });
      requests.push({ launch: pipeline.masked, read: masked });
    }
    const answers = await parseWithGstreamer(requests);
    const kinds = new Map<string, number>();
    answers.forEach((answer, i) => {
      const where = `request ${i} (seed ${SEED}): ${requests[i]!.launch}`;
      assert.ok(answer.ok, `${where}\nGStreamer refused it: ${answer.ok ? '' : answer.error}`);
      assert.deepEqual(answer.factories, expected[i]!.factories, where);
      for (const [index, prop, actual, equal] of answer.props) {
        const want = expected[i]!.read.find(([j, p]) => j === index && p === prop)![2];
        assert.ok(equal, `${where}\n${answer.factories[index]}.${prop} read back ${JSON.stringify(actual)}, wanted ${JSON.stringify(want)}`);
      }
    });
    for (const c of cases) kinds.set(c.source.kind, (kinds.get(c.source.kind) ?? 0) + 1);
    // every kind was exercised, and the generator did not mostly produce refused URLs
    assert.deepEqual([...kinds.keys()].sort(), ['file', 'http', 'rtsp', 'sequence', 'test', 'v4l2']);
    assert.ok(refused < CASES, `${refused} generated URLs were refused by classifySource`);
  });
});
