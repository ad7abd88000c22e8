import { execFile } from 'node:child_process';
import { spawnManaged, type ManagedChild } from '../../scripts/support';

export interface StreamSample {
  codec: string;
  width: number;
  height: number;
  pixFmt: string;
  /** frames decoded in the sample */
  frames: number;
  /** frames per second, from the decoded frames' timestamps */
  fps: number;
}

/**
 * Reads a few seconds of a live stream (an rtmp:// URL) or a file with ffprobe, decoding every frame: what a
 * player would get. The frame rate comes from the frames' own timestamps, not from the stream's header.
 */
export function sampleStream(url: string, seconds = 2, timeoutMs = 20_000): Promise<StreamSample> {
  const args = [
    '-v', 'error', '-analyzeduration', '1000000', '-probesize', '500000', '-select_streams', 'v:0',
    '-read_intervals', `%+${seconds}`, '-show_entries', 'stream=codec_name,width,height,pix_fmt:frame=pts_time', '-of', 'json', url,
  ];
  return new Promise((resolve, reject) => {
    execFile('ffprobe', args, { timeout: timeoutMs, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`ffprobe ${url}: ${error.message} ${stderr}`));
        return;
      }
      const parsed = JSON.parse(stdout) as { streams?: Record<string, unknown>[]; frames?: { pts_time?: string }[] };
      const stream = parsed.streams?.[0];
      if (!stream) {
        reject(new Error(`ffprobe ${url}: no video stream`));
        return;
      }
      const times = (parsed.frames ?? []).map((frame) => Number(frame.pts_time)).filter(Number.isFinite);
      const span = times.length > 1 ? times[times.length - 1] - times[0] : 0;
      resolve({
        codec: String(stream.codec_name),
        width: Number(stream.width),
        height: Number(stream.height),
        pixFmt: String(stream.pix_fmt),
        frames: times.length,
        fps: span > 0 ? (times.length - 1) / span : 0,
      });
    });
  });
}

export interface RtspListener {
  url: string;
  /** where the received stream is copied (MPEG-TS, readable while it grows) */
  file: string;
  child: ManagedChild;
  stop(): Promise<void>;
}

/**
 * A real RTSP server for one push: ffmpeg listening for ANNOUNCE/RECORD (`-rtsp_flags listen`), copying what it
 * receives to a file. It takes one publisher and exits when that one leaves.
 */
export function listenRtsp(port: number, file: string): RtspListener {
  const url = `rtsp://127.0.0.1:${port}/live/cam`;
  const child = spawnManaged(`rtsp-listen:${port}`, 'ffmpeg', [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-rtsp_flags', 'listen', '-rtsp_transport', 'tcp', '-i', url, '-c', 'copy', '-f', 'mpegts', '-y', file,
  ]);
  return { url, file, child, stop: () => child.stop() };
}
