import { spawnManaged, waitForLine, type ManagedChild } from './child';
import { requireExecutable } from './executable';
import { findRepoFile } from './repo-root';

export interface RtspServerOptions {
  /** Fixed port (restarts reuse it); omit to let the server pick a free one. */
  port?: number;
  /** Mount path ('/cam1') -> gst-launch line whose payloader is named pay0 (see testPatternLaunch). */
  mounts: Record<string, string>;
  /** Default 15 s; GStreamer's plugin registry scan can be slow on a cold machine. */
  startTimeoutMs?: number;
  echo?: boolean;
}

export interface RtspServerHandle {
  port: number;
  url(mount: string): string;
  child: ManagedChild;
  stop(): Promise<void>;
}

// python3-gi and the GstRtspServer typelib are Debian packages, invisible to a pyenv/venv python.
const SYSTEM_PYTHON = process.env.VIGIL_SYSTEM_PYTHON ?? '/usr/bin/python3';

/** Starts apps/send/rtsp-server.py (gst-rtsp-server) and resolves once it listens. */
export async function startRtspServer(opts: RtspServerOptions): Promise<RtspServerHandle> {
  const python = requireExecutable(SYSTEM_PYTHON, 'The RTSP test server needs the system python with python3-gi and gir1.2-gst-rtsp-server-1.0 (apt-get install python3-gi gir1.2-gst-rtsp-server-1.0), or set VIGIL_SYSTEM_PYTHON.');
  const script = process.env.VIGIL_RTSP_SERVER_SCRIPT ?? findRepoFile('apps/send/rtsp-server.py');
  const entries = Object.entries(opts.mounts);
  if (entries.length === 0) throw new Error('startRtspServer: at least one mount is required');

  const args = [script, '--port', String(opts.port ?? 0), '--exit-on-stdin-eof'];
  for (const [mount, launch] of entries) {
    if (!mount.startsWith('/')) throw new Error(`startRtspServer: mount '${mount}' must start with '/'`);
    args.push('--mount', `${mount}=${launch}`);
  }

  // stdin is a pipe only so the server sees EOF and quits if we are killed without cleanup.
  const child = spawnManaged(`rtsp-server:${opts.port ?? 'auto'}`, python, args, { stdin: 'pipe', echo: opts.echo });
  let port: number;
  try {
    const ready = await waitForLine(child, /^READY \d+$/, opts.startTimeoutMs ?? 15_000);
    port = Number(ready.split(' ')[1]);
  } catch (err) {
    await child.stop('SIGKILL');
    throw err;
  }

  return {
    port,
    url: (mount: string) => `rtsp://127.0.0.1:${port}${mount.startsWith('/') ? mount : `/${mount}`}`,
    child,
    stop: () => child.stop(),
  };
}

export type TestPatternCodec = 'h264' | 'h265';

export interface TestPatternOptions {
  /** scrolls still patterns (smpte, bars) sideways by this many pixels per frame, so they move */
  horizontalSpeed?: number;
  /** videotestsrc pattern; the default 'ball' moves, which motion/diff code needs. */
  pattern?: string;
  width: number;
  height: number;
  fps: number;
  codec: TestPatternCodec;
  /** Burned-in label next to a wall clock (clockoverlay), handy for eyeballing latency. */
  text?: string;
  /** Frames between keyframes; default one second (= fps), so a joining client waits <= 1 s. */
  keyframeInterval?: number;
  /** Encoder bitrate in kbit/s; default is the encoder's own (2048). */
  bitrateKbps?: number;
}

/** Builds a gst-rtsp-server launch line for a live, moving test pattern. */
export function testPatternLaunch(opts: TestPatternOptions): string {
  const { pattern = 'ball', width, height, fps, codec, text } = opts;
  for (const [key, value] of Object.entries({ width, height, fps })) {
    if (!Number.isInteger(value) || value <= 0) throw new Error(`testPatternLaunch: ${key} must be a positive integer, got ${value}`);
  }
  const gop = opts.keyframeInterval ?? fps;
  const bitrate = opts.bitrateKbps === undefined ? '' : ` bitrate=${opts.bitrateKbps}`;
  // format=I420 keeps x264 on a 4:2:0 profile that every decoder (and browsers) accepts.
  const parts = [
    `videotestsrc is-live=true pattern=${pattern}${opts.horizontalSpeed ? ` horizontal-speed=${opts.horizontalSpeed}` : ''}`,
    `video/x-raw,format=I420,width=${width},height=${height},framerate=${fps}/1`,
  ];
  if (text !== undefined) parts.push(`clockoverlay text=${gstQuote(text)}`);
  // config-interval=-1 repeats SPS/PPS(/VPS) at every keyframe, so a client that joins a shared
  // stream mid-way (or a decoder that ignores the SDP) can start at the next keyframe.
  if (codec === 'h264') {
    parts.push(`x264enc tune=zerolatency speed-preset=ultrafast key-int-max=${gop}${bitrate}`, 'rtph264pay name=pay0 pt=96 config-interval=-1');
  } else if (codec === 'h265') {
    parts.push(`x265enc tune=zerolatency speed-preset=ultrafast key-int-max=${gop}${bitrate}`, 'rtph265pay name=pay0 pt=96 config-interval=-1');
  } else {
    throw new Error(`testPatternLaunch: unsupported codec ${String(codec)}`);
  }
  return `( ${parts.join(' ! ')} )`;
}

/** Quotes a string for gst-launch syntax. */
function gstQuote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
