import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { spawnManaged } from './child';
import { requireExecutable } from './executable';

export type ClipCodec = 'h264' | 'h265';

export interface ClipOptions {
  path: string;
  width: number;
  height: number;
  fps: number;
  seconds: number;
  codec: ClipCodec;
}

export interface ImageSequenceOptions {
  dir: string;
  width: number;
  height: number;
  count: number;
}

export interface VideoInfo {
  /** ffprobe's codec name: 'h264', 'hevc' (for H.265), ... */
  codec: string;
  width: number;
  height: number;
  fps: number;
  /** Frame count from the container, when it records one (files, not live streams). */
  frames?: number;
}

const FFMPEG_HINT = 'Install it with `apt-get install ffmpeg`.';
// Bump when the encoding settings below change, so cached clips are regenerated.
const RECIPE_VERSION = 1;

/**
 * Encodes a moving test clip (lavfi testsrc2) to MP4. A sidecar `<path>.params.json` records the
 * parameters; when it matches, the existing file is reused because a 1080p encode costs seconds.
 */
export async function generateClip(opts: ClipOptions): Promise<string> {
  const { path, width, height, fps, seconds, codec } = opts;
  const params = { recipe: RECIPE_VERSION, width, height, fps, seconds, codec };
  const sidecar = `${path}.params.json`;
  if (await isCached(path, sidecar, params)) return path;

  // Like cameras, no B-frames and a keyframe every second: decoders downstream can start
  // anywhere within a second and never reorder.
  const encoder = codec === 'h264'
    ? ['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', String(fps)]
    // hvc1 (not hev1) is the tag browsers and Apple players accept for HEVC in MP4.
    : ['-c:v', 'libx265', '-preset', 'veryfast', '-x265-params', `bframes=0:keyint=${fps}:log-level=error`, '-tag:v', 'hvc1'];
  await mkdir(dirname(path), { recursive: true });
  // Encode to a temporary name and rename, so an interrupted run never leaves a truncated clip
  // that a later run would mistake for a finished one.
  const partial = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.partial`);
  try {
    await runFfmpeg(`ffmpeg:clip:${basename(path)}`, [
      '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}:duration=${seconds}`,
      ...encoder,
      '-pix_fmt', 'yuv420p', '-movflags', '+faststart', '-an', '-f', 'mp4', partial,
    ]);
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  await writeFile(sidecar, JSON.stringify(params) + '\n');
  return path;
}

/**
 * Writes `count` moving JPEG frames as `dir/000000.jpg`, `000001.jpg`, ... and returns the
 * pattern `dir/%06d.jpg`. Numbering starts at 0, which GStreamer's multifilesrc (default
 * index 0), OpenCV's image-sequence reader and ffmpeg's image2 demuxer all find on their own.
 */
export async function generateImageSequence(opts: ImageSequenceOptions): Promise<string> {
  const { dir, width, height, count } = opts;
  const pattern = join(dir, '%06d.jpg');
  const params = { recipe: RECIPE_VERSION, width, height, count };
  const sidecar = join(dir, '.sequence.params.json');
  if (await isCached(join(dir, frameName(count - 1)), sidecar, params)) return pattern;

  await mkdir(dir, { recursive: true });
  // Old frames from a longer sequence would otherwise be read as part of this one.
  await rm(sidecar, { force: true });
  for (const name of await readdir(dir)) {
    if (/^\d{6}\.jpg$/.test(name)) await rm(join(dir, name), { force: true });
  }
  await runFfmpeg(`ffmpeg:images:${basename(dir)}`, [
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=25`,
    '-frames:v', String(count), '-q:v', '3', '-start_number', '0', pattern,
  ]);
  await writeFile(sidecar, JSON.stringify(params) + '\n');
  return pattern;
}

function frameName(index: number): string {
  return `${String(index).padStart(6, '0')}.jpg`;
}

/** Reads codec, size and frame rate of the first video stream of a file or an RTSP/RTMP URL. */
export async function probeVideo(pathOrUrl: string, timeoutMs = 20_000): Promise<VideoInfo> {
  const ffprobe = requireExecutable('ffprobe', FFMPEG_HINT);
  const isRtsp = /^rtsps?:\/\//i.test(pathOrUrl);
  const args = [
    '-v', 'error',
    // tcp: matches how the app reads cameras, and survives loopback UDP loss under load.
    // -timeout (µs) bounds each socket read, so a dead server fails instead of hanging.
    // -analyzeduration: the default 5 s budget makes a 15 fps stream take ~2 s to probe; half
    // a second of frames still yields the right rate (~0.8 s per probe).
    ...(isRtsp ? ['-rtsp_transport', 'tcp', '-timeout', String(timeoutMs * 1000), '-analyzeduration', '500000'] : []),
    '-select_streams', 'v:0',
    '-show_entries', 'stream=codec_name,width,height,avg_frame_rate,r_frame_rate,nb_frames',
    '-of', 'json',
    pathOrUrl,
  ];
  const stdout = await runTool(`ffprobe:${pathOrUrl}`, ffprobe, args, timeoutMs);
  let stream: Record<string, unknown> | undefined;
  try {
    stream = (JSON.parse(stdout) as { streams?: Record<string, unknown>[] }).streams?.[0];
  } catch (err) {
    throw new Error(`ffprobe ${pathOrUrl}: unparsable output (${String(err)}): ${stdout.slice(0, 500)}`);
  }
  if (!stream) throw new Error(`ffprobe ${pathOrUrl}: no video stream found`);
  const frames = Number(stream.nb_frames);
  return {
    codec: String(stream.codec_name),
    width: Number(stream.width),
    height: Number(stream.height),
    // avg_frame_rate is 0/0 for some live streams; r_frame_rate (the base rate) is then the best guess.
    fps: parseRate(stream.avg_frame_rate) || parseRate(stream.r_frame_rate),
    ...(Number.isFinite(frames) && frames > 0 ? { frames } : {}),
  };
}

function parseRate(value: unknown): number {
  const [num, den = '1'] = String(value ?? '').split('/');
  const rate = Number(num) / Number(den);
  return Number.isFinite(rate) ? rate : 0;
}

async function isCached(output: string, sidecar: string, params: object): Promise<boolean> {
  if (!existsSync(output) || !existsSync(sidecar)) return false;
  try {
    return (await readFile(sidecar, 'utf8')).trim() === JSON.stringify(params);
  } catch {
    return false;
  }
}

async function runFfmpeg(name: string, args: string[], timeoutMs = 300_000): Promise<void> {
  const ffmpeg = requireExecutable('ffmpeg', FFMPEG_HINT);
  await runTool(name, ffmpeg, ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args], timeoutMs);
}

/** Runs a command to completion and returns its full stdout; the error carries its last output lines. */
async function runTool(name: string, command: string, args: string[], timeoutMs: number): Promise<string> {
  const child = spawnManaged(name, command, args);
  let stdout = '';
  child.process.stdout?.on('data', (chunk: string) => {
    stdout += chunk;
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void child.stop('SIGKILL');
  }, timeoutMs);
  const code = await child.exited.finally(() => clearTimeout(timer));
  if (timedOut) throw new Error(`${name}: killed after ${timeoutMs} ms: ${child.describe()}`);
  if (code !== 0) throw new Error(`${name}: failed: ${child.describe()}`);
  return stdout;
}
