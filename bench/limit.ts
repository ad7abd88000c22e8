/** Machine limit: decode + JPEG with no Redis and no Socket.IO. */
import { OpenCvCapture } from '../libs/media/src/capture/opencv-capture';
import { spawnManaged } from '../scripts/support';
import { machineBusySeconds } from './proc';

export interface LoopResult {
  frames: number;
  seconds: number;
  fps: number;
  /** CPU time of the whole process (GStreamer threads included) per frame */
  cpuMsPerFrame: number;
  /** CPU cores busy on average */
  cores: number;
  openMs: number;
  meanJpegBytes: number;
  /** cores busy with other processes meanwhile (machine busy time minus ours), when /proc exists */
  otherCores?: number;
}

/**
 * Reads JPEG frames from the ingest pipeline with OpenCV in a plain loop, as the capture process
 * does but without publishing. The clock starts after the first frame (open and preroll excluded,
 * reported as openMs) and stops at the end of the clip or after maxSeconds.
 */
export async function opencvLoop(launch: string, maxSeconds = 30): Promise<LoopResult> {
  const openStarted = performance.now();
  const capture = OpenCvCapture.open(launch);
  try {
    const first = await capture.readJpeg();
    if (!first) throw new Error(`the pipeline gave no frame: ${launch}`);
    const openMs = performance.now() - openStarted;
    const busy0 = machineBusySeconds();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let frames = 0;
    let bytes = 0;
    for (;;) {
      const jpeg = await capture.readJpeg();
      if (!jpeg) break;
      frames += 1;
      bytes += jpeg.length;
      if (performance.now() - t0 > maxSeconds * 1000) break;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const busy1 = machineBusySeconds();
    return {
      otherCores: busy0 === undefined || busy1 === undefined ? undefined : Math.max(0, busy1 - busy0 - cpuSeconds) / seconds,
      frames,
      seconds,
      fps: frames / seconds,
      cpuMsPerFrame: (cpuSeconds * 1000) / frames,
      cores: cpuSeconds / seconds,
      openMs,
      meanJpegBytes: bytes / frames,
    };
  } finally {
    capture.close();
  }
}

export interface ToolResult {
  fps: number;
  seconds: number;
  cpuMsPerFrame: number;
  cores: number;
}

/**
 * Runs a command under bash and reads its CPU time with the `times` builtin (children's user and
 * system time), so no /usr/bin/time is needed. Resolves with stdout+stderr text and CPU seconds.
 */
async function runTimed(name: string, command: string, args: string[], timeoutMs = 120_000): Promise<{ output: string; cpuSeconds: number; wallSeconds: number; code: number | null }> {
  const script = '"$@" 2>&1; rc=$?; echo "__TIMES__"; times; exit $rc';
  const child = spawnManaged(name, 'bash', ['-c', script, 'bash', command, ...args], { maxLines: 400 });
  let output = '';
  child.process.stdout?.on('data', (chunk: string) => {
    output += chunk;
  });
  const t0 = performance.now();
  const timer = setTimeout(() => void child.stop('SIGKILL'), timeoutMs);
  const code = await child.exited.finally(() => clearTimeout(timer));
  const wallSeconds = (performance.now() - t0) / 1000;
  const tail = output.split('__TIMES__')[1] ?? '';
  // second line of `times`: children's "user sys", e.g. "0m3.210s 0m0.120s"
  const lines = tail.trim().split('\n');
  const cpuSeconds = (lines[1] ?? '').split(/\s+/).map(parseBashTime).reduce((a, b) => a + b, 0);
  return { output, cpuSeconds, wallSeconds, code };
}

function parseBashTime(text: string): number {
  const m = /^(\d+)m([\d.]+)s$/.exec(text.trim());
  return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
}

/** gst-launch-1.0 of a pipeline to fakesink; fps from the frame count and "Execution ended after". */
export async function gstLaunch(launch: string, frames: number): Promise<ToolResult> {
  // gst-launch joins its arguments with spaces, escaping spaces inside one; split at every space,
  // the text reaches gst_parse_launch unchanged (no shell: it would read the values' backslashes)
  const run = await runTimed('gst-launch', 'gst-launch-1.0', launch.split(' '));
  if (run.code !== 0) throw new Error(`gst-launch-1.0 failed (${run.code}): ${run.output.slice(-1500)}`);
  // time in PLAYING up to EOS; wall time (start-up included) when the line is missing
  const m = /Execution ended after (\d+):(\d+):([\d.]+)/.exec(run.output);
  const seconds = m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : run.wallSeconds;
  return { fps: frames / seconds, seconds, cpuMsPerFrame: (run.cpuSeconds * 1000) / frames, cores: run.cpuSeconds / seconds };
}

/** ffmpeg decode-only (`ffmpeg -benchmark -i clip -f null -`). */
export async function ffmpegDecode(clip: string, extraArgs: string[] = []): Promise<ToolResult & { frames: number }> {
  const run = await runTimed('ffmpeg-decode', 'ffmpeg', ['-hide_banner', '-nostdin', '-benchmark', ...extraArgs, '-i', clip, '-f', 'null', '-']);
  if (run.code !== 0) throw new Error(`ffmpeg failed (${run.code}): ${run.output.slice(-1500)}`);
  const frameMatches = [...run.output.matchAll(/frame=\s*(\d+)/g)];
  const frames = Number(frameMatches.at(-1)?.[1] ?? NaN);
  const bench = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(run.output);
  const seconds = bench ? Number(bench[3]) : run.wallSeconds;
  const cpuSeconds = bench ? Number(bench[1]) + Number(bench[2]) : run.cpuSeconds;
  return { frames, fps: frames / seconds, seconds, cpuMsPerFrame: (cpuSeconds * 1000) / frames, cores: cpuSeconds / seconds };
}
