import { stat } from 'node:fs/promises';
import { run } from '@vigil/media/exec';
import { SEND_LIMITS } from './send-defaults';
import { type SendSource, sourceProbeArgs } from './send-source';
import { UsageError } from './usage-error';

export interface SourceFormat {
  width: number;
  height: number;
  /** frames per second, where the source says */
  fps?: number;
}

/** Why a source cannot be read before anything starts: a file that is not there, a device that is not one. */
export async function checkSource(source: SendSource): Promise<void> {
  if (source.kind === 'test') return;
  let info;
  try {
    info = await stat(source.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read the source ${source.path}: ${code === 'ENOENT' ? 'no such file or device' : code ?? (error as Error).message}`);
  }
  if (source.kind === 'device' && !info.isCharacterDevice()) throw new UsageError(`the source ${source.path} is not a device`);
  if (source.kind !== 'device' && !info.isFile()) throw new UsageError(`the source ${source.path} is not a regular file`);
}

/**
 * The size and rate of a source's first video stream, from ffprobe (through the same file: URL and protocol
 * whitelist ffmpeg will use). A source ffprobe cannot read as video is a UsageError: nothing would ever be sent.
 */
export async function probeSource(source: Exclude<SendSource, { kind: 'test' }>, timeoutMs: number): Promise<SourceFormat> {
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height,avg_frame_rate,r_frame_rate', '-of', 'json', ...sourceProbeArgs(source)];
  const result = await run('ffprobe', args, timeoutMs);
  const stream = parse(result.stdout);
  if (result.code !== 0 || !stream) {
    const why = result.stderr.trim().split('\n').pop()?.slice(0, 300) || (result.code === null ? `no answer within ${timeoutMs / 1000} s` : 'it has no video stream');
    throw new UsageError(`cannot read the source ${source.path} as video: ${why}`);
  }
  return stream;
}

function parse(stdout: string): SourceFormat | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  const stream = (parsed as { streams?: Record<string, unknown>[] })?.streams?.[0];
  const width = Number(stream?.width);
  const height = Number(stream?.height);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) return undefined;
  const fps = rate(stream?.avg_frame_rate) ?? rate(stream?.r_frame_rate);
  return { width, height, ...(fps === undefined ? {} : { fps }) };
}

/** "25/1", "30000/1001"; "0/0" (unknown) and nonsense are undefined, and a rate past the bound is cut to it. */
function rate(text: unknown): number | undefined {
  const match = typeof text === 'string' ? /^(\d{1,9})\/(\d{1,9})$/.exec(text) : null;
  if (!match || Number(match[2]) === 0) return undefined;
  const value = Number(match[1]) / Number(match[2]);
  return value > 0 ? Math.min(SEND_LIMITS.fps.max, value) : undefined;
}
