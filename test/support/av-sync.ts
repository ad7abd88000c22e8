import { execFile } from 'node:child_process';

/**
 * A test source that flashes and beeps at the same instant, and the measure of how far apart the two are in what a
 * player decodes: the audio/video offset of a stream.
 */

export interface SyncClipOptions {
  width: number;
  height: number;
  fps: number;
  seconds: number;
}

/** How long each flash and each beep lasts: several frames, so a frame dropped on the way does not lose a flash. */
const PULSE_S = 0.2;
/** a flash and a beep further apart than this are not a pair */
const PAIR_WINDOW_S = 0.45;

/**
 * Encodes the clip (H.264 + AAC in MP4, which keeps the AAC's start exact): black with a white flash at every whole
 * second, silent with a 1 kHz beep at every whole second, each PULSE_S long.
 */
export function generateSyncClip(path: string, options: SyncClipOptions): Promise<void> {
  const { width, height, fps, seconds } = options;
  const on = `lt(mod(T\\,1)\\,${PULSE_S})`;
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `color=c=black:s=${width}x${height}:r=${fps}:d=${seconds},geq=lum='if(${on}\\,235\\,16)':cb=128:cr=128`,
    '-f', 'lavfi', '-i', `aevalsrc='if(lt(mod(t\\,1)\\,${PULSE_S})\\,0.5*sin(2*PI*1000*t)\\,0)':s=48000:d=${seconds}`,
    // like a camera: no B-frames, a keyframe every second
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '0', '-g', String(fps), '-pix_fmt', 'yuv420p',
    '-c:a', 'aac', '-b:a', '96k', '-movflags', '+faststart', path,
  ];
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', args, { timeout: 120_000 }, (error, _stdout, stderr) => (error ? reject(new Error(`sync clip: ${error.message} ${stderr}`)) : resolve()));
  });
}

/**
 * The gst-rtsp-server launch line that serves the clip as a camera with sound: H.264 as pay0, AAC as pay1. The
 * test RTSP server shares one pipeline among its clients, so every client is at the same point of the clip, as with
 * a live camera.
 */
export function syncClipLaunch(path: string): string {
  // a launch line has its own quoting (TOOLCHAIN.md): a test's temporary path needs none, so none is allowed
  if (!/^[\w/.-]+$/.test(path)) throw new Error(`syncClipLaunch: ${path} needs quoting`);
  return `( filesrc location=${path} ! qtdemux name=d d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 d.audio_0 ! queue ! aacparse ! rtpmp4gpay name=pay1 pt=97 )`;
}

export interface SyncMeasure {
  /** when each flash starts, s (the stream's timeline) */
  flashes: number[];
  /** when each beep starts, s */
  beeps: number[];
  /** beep minus flash for each flash that has a beep near it, ms: positive when the sound comes late */
  offsetsMs: number[];
}

/**
 * Decodes `seconds` of a stream (a URL or a file) with ffmpeg: the mean luma of each frame (signalstats) finds the
 * flashes, silencedetect the beeps, both on the one timeline of that decode.
 */
export function measureSync(input: string, seconds: number, timeoutMs = 60_000): Promise<SyncMeasure> {
  const args = [
    '-nostdin', '-hide_banner', '-loglevel', 'info', '-i', input, '-t', String(seconds),
    '-filter_complex', '[0:v]signalstats,metadata=print:key=lavfi.signalstats.YAVG[v];[0:a]silencedetect=n=-30dB:d=0.1[a]',
    '-map', '[v]', '-map', '[a]', '-f', 'null', '-',
  ];
  return new Promise((resolve, reject) => {
    execFile('ffmpeg', args, { timeout: timeoutMs, maxBuffer: 32 << 20 }, (error, _stdout, stderr) => {
      if (error) {
        reject(new Error(`measureSync ${input}: ${error.message} ${stderr.slice(-2000)}`));
        return;
      }
      const { flashes, beeps } = parseSyncLog(stderr);
      resolve({ flashes, beeps, offsetsMs: pairOffsets(flashes, beeps) });
    });
  });
}

/** Flash and beep onsets from ffmpeg's log of the filters in measureSync. */
export function parseSyncLog(log: string): { flashes: number[]; beeps: number[] } {
  const flashes: number[] = [];
  const beeps: number[] = [];
  let frameTime: number | undefined;
  let bright = true; // a flash that is on when the decode starts is no onset
  for (const line of log.split('\n')) {
    const time = /pts_time:(-?[\d.]+)/.exec(line);
    if (time) frameTime = Number(time[1]);
    const luma = /lavfi\.signalstats\.YAVG=([\d.]+)/.exec(line);
    if (luma && frameTime !== undefined) {
      const now = Number(luma[1]) > 128;
      if (now && !bright) flashes.push(frameTime);
      bright = now;
    }
    const end = /silence_end: (-?[\d.]+)/.exec(line);
    if (end) beeps.push(Number(end[1]));
  }
  return { flashes, beeps };
}

/** For each flash, the nearest beep within PAIR_WINDOW_S: beep - flash, ms. */
export function pairOffsets(flashes: readonly number[], beeps: readonly number[]): number[] {
  const offsets: number[] = [];
  for (const flash of flashes) {
    let best: number | undefined;
    for (const beep of beeps) if (best === undefined || Math.abs(beep - flash) < Math.abs(best - flash)) best = beep;
    if (best !== undefined && Math.abs(best - flash) <= PAIR_WINDOW_S) offsets.push(Math.round((best - flash) * 1000));
  }
  return offsets;
}
