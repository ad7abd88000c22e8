import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Live camera views for the RTSP test server, cut from one wide scene: what the stitch e2e test captures. (The
 * library's tests use still frames of a larger zooming scene: stitch-scene.ts.)
 */
export interface WideScene {
  /** the scene as a PNG file */
  file: string;
  width: number;
  height: number;
  /**
   * A gst-rtsp-server launch line serving the columns [left, right) of the scene, live at `fps`, with a wall clock
   * drawn on the scene before the cut: every view of the same moment shows the same time where the views overlap,
   * so views served by separate pipelines agree, and what changes in them changes in step.
   */
  view(left: number, right: number, fps?: number): string;
}

/**
 * A wide scene with texture everywhere (a Mandelbrot spiral: structure at every scale, and no part like another, so
 * feature matching finds the overlap and nothing else), written by ffmpeg into `dir`.
 */
export async function wideScene(dir: string, width = 640, height = 240): Promise<WideScene> {
  const file = join(dir, 'wide-scene.png');
  const source = `mandelbrot=s=${width}x${height}:start_x=-0.7435669:start_y=0.1314023:start_scale=0.003:end_scale=0.003:maxiter=200,format=rgb24`;
  // the path goes into a launch line unquoted: only characters that need no quoting there
  if (!/^[A-Za-z0-9/._-]+$/.test(file)) throw new Error(`wideScene: ${file} needs quoting in a launch line; use a plain folder`);
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', source, '-frames:v', '1', '-y', file]);
  return {
    file,
    width,
    height,
    view: (left, right, fps = 10) => {
      if (!(left >= 0 && left < right && right <= width)) throw new Error(`wideScene: bad columns ${left}..${right}`);
      // the clock sits on the scene at x ~ 280..380: inside the overlap of the views the stitch test cuts
      const clock = "clockoverlay halignment=left valignment=top xpad=280 ypad=100 font-desc=\"Sans 16\" time-format=\"%H:%M:%S\"";
      return `( filesrc location=${file} ! pngdec ! imagefreeze is-live=true ! video/x-raw,framerate=${fps}/1 ! ${clock} ! videocrop left=${left} right=${width - right} ! videoconvert ! video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=${fps} ! rtph264pay name=pay0 pt=96 config-interval=-1 )`;
    },
  };
}
