import { mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type EncoderPreference, type FfmpegOutcome, type H264EncoderName, type ProbeOutcome, runFfmpeg, selectEncoder, testEncode } from '@vigil/media';
import type { ClipFrame } from './clip-frame';
import { type ClipEncoderName, encoderArgs } from './clip-encoder-args';
import { ClipEncodeError, FFMPEG_DISK_FULL, isDiskFull } from './errors';
import { buildFfconcat } from './ffconcat';
import { partialPath } from './partial-file';
import { Slots } from './slots';

export interface ClipEncoderOptions {
  /** Default 'auto': NVENC where a test encode works, else x264. */
  preference?: EncoderPreference;
  /** Default 'ffmpeg', found on PATH. */
  ffmpeg?: string;
  /** where the pictures of a clip are written while it encodes. Default the system's temp directory. */
  tmpDir?: string;
  /** an encode running longer is killed and fails. Default 120 s. */
  timeoutMs?: number;
  /** each test encode at start. Default 20 s. */
  probeTimeoutMs?: number;
  /** clips encoded at the same time; the others wait. Default 1, so encoding cannot starve detection of CPU. */
  concurrency?: number;
  /** x264 threads per encode. Default: ffmpeg's choice (one per core). */
  threads?: number;
  /**
   * runs of ffmpeg per clip when one is killed by a signal we did not send (the OOM killer, an operator): the
   * frames are still on disk, so the encode is run again. Any other failure would fail the same way again. Default 3.
   */
  tries?: number;
}

export interface ClipEncodeJob {
  /** the alarm and camera, named in errors */
  id: string;
  camera: string;
  /** the clip's frames, e.g. from ClipRecording.frames() */
  frames: readonly ClipFrame[];
  /** the MP4 to write; it appears only when complete */
  path: string;
  signal?: AbortSignal;
}

export interface EncodedClip {
  bytes: number;
  frames: number;
  /** capture time of the first and last frame, epoch ms */
  from: number;
  to: number;
  /** the video's length: first frame to the end of the last one's display */
  durationMs: number;
  encoder: ClipEncoderName;
}

type Settings = Required<Omit<ClipEncoderOptions, 'tmpDir' | 'threads'>> & Pick<ClipEncoderOptions, 'tmpDir' | 'threads'>;

function settings(options: ClipEncoderOptions): Settings {
  return {
    preference: options.preference ?? 'auto',
    ffmpeg: options.ffmpeg ?? 'ffmpeg',
    tmpDir: options.tmpDir,
    timeoutMs: options.timeoutMs ?? 120_000,
    probeTimeoutMs: options.probeTimeoutMs ?? 20_000,
    concurrency: options.concurrency ?? 1,
    threads: options.threads,
    tries: Math.max(1, options.tries ?? 3),
  };
}

const QUIET = ['-nostdin', '-hide_banner', '-loglevel', 'error'];

/**
 * Encodes a clip's JPEG frames to an H.264 MP4 that browsers play (yuv420p, moov first), in an ffmpeg child process
 * so our event loop never waits on it. Each frame shows until the next was captured, so the video keeps the camera's
 * timing. Frames of another size than the first (the camera changed resolution) are scaled to the first's size.
 */
export class ClipEncoder {
  private readonly slots: Slots;

  private constructor(
    private readonly options: Settings,
    /** which encoder clips use, and why, for the start-up log */
    readonly encoder: ClipEncoderName,
    readonly reason: string,
  ) {
    this.slots = new Slots(options.concurrency);
  }

  /**
   * Picks the encoder with real test encodes; throws EncoderUnavailableError, so the service refuses to start. Work
   * folders that a killed process left in the temp directory are removed first (`leftoversRemoved`).
   */
  static async create(options: ClipEncoderOptions = {}): Promise<ClipEncoder> {
    const merged = settings(options);
    const removed = await removeLeftoverWork(merged.tmpDir ?? tmpdir());
    const choice = await selectEncoder(merged.preference, (name) => probeEncoder(merged.ffmpeg, name, merged.probeTimeoutMs), 'clip encoder');
    const encoder = new ClipEncoder(merged, choice.encoder, choice.reason);
    encoder.leftoversRemoved = removed;
    return encoder;
  }

  /** work folders of dead processes removed from the temp directory at create() */
  leftoversRemoved = 0;

  /** Clips waiting for an encode slot. */
  get queued(): number {
    return this.slots.queued;
  }

  /** Writes the MP4 at `job.path`; throws ClipEncodeError naming the alarm and camera, leaving no file behind. */
  encode(job: ClipEncodeJob): Promise<EncodedClip> {
    const frames = [...job.frames].sort((a, b) => a.ts - b.ts);
    const context = `clip ${job.id} (camera ${job.camera})`;
    if (frames.length === 0) return Promise.reject(new ClipEncodeError(`${context}: no frames to encode`));
    // cheaper and clearer than ffmpeg's message for the same fault
    const notJpeg = frames.find((frame) => frame.data.length < 4 || frame.data[0] !== 0xff || frame.data[1] !== 0xd8);
    if (notJpeg) {
      return Promise.reject(new ClipEncodeError(`${context}: frame ${notJpeg.seq} is not a JPEG (${notJpeg.data.length} bytes)`));
    }
    return this.slots.run(() => this.encodeNow(job, frames, context));
  }

  private async encodeNow(job: ClipEncodeJob, frames: ClipFrame[], context: string): Promise<EncodedClip> {
    if (job.signal?.aborted) throw new ClipEncodeError(`${context}: aborted before encoding`);
    const work = await mkdtemp(join(this.options.tmpDir ?? tmpdir(), `${WORK_PREFIX}${process.pid}-`));
    const partial = partialPath(job.path);
    try {
      const entries = frames.map((frame, i) => ({ file: `${String(i).padStart(6, '0')}.jpg`, ts: frame.ts }));
      const plan = buildFfconcat(entries);
      try {
        for (const [i, frame] of frames.entries()) await writeFile(join(work, entries[i].file), frame.data);
        await writeFile(join(work, 'list.ffconcat'), plan.text);
      } catch (error) {
        if (!isDiskFull(error)) throw error;
        throw new ClipEncodeError(`${context}: no space left on device (ENOSPC) writing its frames to ${work}`, true);
      }

      // -safe 0 lets the list set per-file options; buildFfconcat admits only plain names of ours
      const args = [
        // -xerror: a picture that does not decode fails the clip rather than silently leaving a hole in it
        ...QUIET, '-xerror', '-y', '-f', 'concat', '-safe', '0', '-i', join(work, 'list.ffconcat'),
        '-vf', scaleTo(frames[0]), ...outputArgs(this.encoder, this.options.threads),
        '-movflags', '+faststart', '-an', '-f', 'mp4', partial,
      ];
      let outcome: FfmpegOutcome;
      let tries = 0;
      do {
        tries += 1;
        outcome = await runFfmpeg({ ffmpeg: this.options.ffmpeg, args, timeoutMs: this.options.timeoutMs, signal: job.signal });
      } while (!outcome.ok && outcome.killedBy && tries < this.options.tries && !job.signal?.aborted);
      if (!outcome.ok) {
        const output = outcome.stderr.length > 0 ? outcome.stderr.join(' | ') : '(no output)';
        if (FFMPEG_DISK_FULL.test(output)) {
          throw new ClipEncodeError(`${context}: no space left on device (ENOSPC) writing the MP4 in ${dirname(job.path)}: ffmpeg: ${output}`, true);
        }
        const runs = tries > 1 ? `, ${tries} tries` : '';
        throw new ClipEncodeError(`${context}: ffmpeg (${this.encoder}, ${frames.length} frames${runs}) failed, ${outcome.ending}: ${output}`);
      }
      await rename(partial, job.path);
      const { size } = await stat(job.path);
      const [first, last] = [frames[0], frames[frames.length - 1]];
      return { bytes: size, frames: frames.length, from: first.ts, to: last.ts, durationMs: plan.totalMs, encoder: this.encoder };
    } finally {
      await rm(partial, { force: true });
      await rm(work, { recursive: true, force: true });
    }
  }
}

/** A clip's work folder: `vigil-clip-<pid>-<random>`, so that leftovers are told apart from the work of a live process. */
const WORK_PREFIX = 'vigil-clip-';
const WORK_NAME = /^vigil-clip-(\d+)-[A-Za-z0-9]{6}$/;

/**
 * Removes the clip work folders in `dir` whose process is gone (killed mid-encode: nothing else removes them). Only
 * folders of our name with a pid in it; another process's folders, or a live vigil's on the same machine, stay.
 */
export async function removeLeftoverWork(dir: string): Promise<number> {
  let removed = 0;
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const pid = Number(WORK_NAME.exec(entry.name)?.[1]);
    if (!entry.isDirectory() || !pid || isAlive(pid)) continue;
    await rm(join(dir, entry.name), { recursive: true, force: true });
    removed += 1;
  }
  return removed;
}

/** Whether a process of that id runs (ours does, but nothing of ours has encoded yet when create() looks). */
function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

/** A real encode of a few generated frames with the same output options as clips use, discarding the result. */
export function probeEncoder(ffmpeg: string, encoder: H264EncoderName, timeoutMs: number): Promise<ProbeOutcome> {
  return testEncode(ffmpeg, outputArgs(encoder), timeoutMs);
}

/**
 * The same for clips and the test encodes at start, so an ffmpeg that lacks one (-fps_mode needs 5.1) fails there.
 * vfr passes each frame's timestamp through (the MP4 muxer would otherwise make it constant-rate by duplicating and
 * dropping frames); a 1 ms encoder time base keeps those timestamps to the millisecond, not to 1/fps.
 */
function outputArgs(encoder: ClipEncoderName, threads?: number): string[] {
  return ['-fps_mode', 'vfr', '-enc_time_base', '1/1000', ...encoderArgs(encoder, threads)];
}

/** yuv420p needs even sizes; setsar=1 because scaling a frame of another shape would otherwise change its SAR. */
function scaleTo(first: ClipFrame): string {
  const even = (value: number): number => Math.max(2, Math.floor(value / 2) * 2);
  return `scale=${even(first.width)}:${even(first.height)}:flags=bilinear,setsar=1,format=yuv420p`;
}
