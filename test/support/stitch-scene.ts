/**
 * One wide moving scene cut into overlapping camera views, made by ffmpeg, for the stitching tests and the bench;
 * and SSIM between a panorama and the scene, measured by ffmpeg's `ssim` filter.
 *
 * The scene is a mandelbrot zoom (texture everywhere, and it moves: every frame zooms in a little), blurred by a
 * Gaussian of sigma 1 as a lens would: without it the fractal has detail at the pixel pitch that no camera records.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireExecutable } from '../../scripts/support';

const run = promisify(execFile);

export const SCENE = { width: 2240, height: 720 } as const;
/** the views: left 0..1280, right 960..2240, so 320 pixels overlap (a quarter of a view) */
export const VIEW = { width: 1280, height: 720, rightX: 960 } as const;
/** the right camera panned by this much (the drift check) */
export const MOVED_BY = 40;
/** the perspective view: the right view seen from a camera turned about its vertical axis (rows 40..680 of its left edge fill the frame) */
export const PERSPECTIVE_INSET = 40;

export type ViewName = 'left' | 'right' | 'perspective' | 'moved' | 'far';

export interface StitchScene {
  dir: string;
  frames: number;
  /** the wide scene of frame i, lossless */
  widePath(frame: number): string;
  /** JPEG of one view of frame i */
  view(name: ViewName, frame: number): Promise<Buffer>;
}

const MANDELBROT =
  'mandelbrot=size=2240x720:rate=25:start_x=-0.7436438870371587:start_y=0.1318259042053120:start_scale=0.004:end_scale=0.003:end_pts=100' +
  ':maxiter=1000:outer=normalized_iteration_count:inner=period';

/**
 * Writes `frames` frames of the scene and its views into `dir`: `wide-NN.png`, and `<view>-NN.jpg` for left, right,
 * perspective (the right view under a perspective), moved (the right view panned MOVED_BY pixels left) and far
 * (960x720 from x 1280: no pixel in common with the left view).
 */
export async function makeStitchScene(dir: string, frames = 4): Promise<StitchScene> {
  const ffmpeg = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
  const { width: w, height: h, rightX } = VIEW;
  const inset = PERSPECTIVE_INSET;
  const graph = [
    `[0]trim=end_frame=${frames},gblur=sigma=1,split=6[wide][l][r][p][m][f]`,
    `[l]crop=${w}:${h}:0:0[left]`,
    `[r]crop=${w}:${h}:${rightX}:0[right]`,
    `[p]crop=${w}:${h}:${rightX}:0,perspective=x0=0:y0=${inset}:x1=${w}:y1=0:x2=0:y2=${h - inset}:x3=${w}:y3=${h}:sense=source:interpolation=cubic[perspective]`,
    `[m]crop=${w}:${h}:${rightX - MOVED_BY}:0[moved]`,
    `[f]crop=${SCENE.width - 1280}:${h}:1280:0[far]`,
  ].join(';');
  // -frames:v belongs to the output it precedes: each output gets its own, and trim ends the source (mandelbrot is endless)
  const jpeg = (name: ViewName): string[] => ['-map', `[${name}]`, '-frames:v', String(frames), '-q:v', '3', join(dir, `${name}-%02d.jpg`)];
  await run(ffmpeg, [
    '-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', MANDELBROT, '-filter_complex', graph,
    '-map', '[wide]', '-frames:v', String(frames), join(dir, 'wide-%02d.png'),
    ...jpeg('left'), ...jpeg('right'), ...jpeg('perspective'), ...jpeg('moved'), ...jpeg('far'),
  ], { timeout: 120_000 });
  // image2 numbers from 1
  const name = (frame: number): string => String(frame + 1).padStart(2, '0');
  return {
    dir,
    frames,
    widePath: (frame) => join(dir, `wide-${name(frame)}.png`),
    view: (view, frame) => readFile(join(dir, `${view}-${name(frame)}.jpg`)),
  };
}

/** A 1280x720 frame of a different scene (testsrc2), for a pair that shares nothing. */
export function unrelatedFrame(dir: string): Promise<Buffer> {
  return lavfiFrame(dir, 'unrelated', 'testsrc2=size=1280x720');
}

/** A grey JPEG of `width` x `height`: nothing to match, nothing to correlate. */
export function flatFrame(dir: string, width: number, height: number): Promise<Buffer> {
  return lavfiFrame(dir, `flat-${width}x${height}`, `color=gray:size=${width}x${height}`);
}

async function lavfiFrame(dir: string, name: string, source: string): Promise<Buffer> {
  const ffmpeg = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
  const path = join(dir, `${name}.jpg`);
  await run(ffmpeg, ['-nostdin', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', source, '-frames:v', '1', '-q:v', '3', path], { timeout: 60_000 });
  return readFile(path);
}

/** ffmpeg's SSIM ("All", the luma and chroma planes weighted) of two images over the same rectangle of each. */
export async function ssim(a: string, b: string, crop: { x: number; y: number; width: number; height: number }): Promise<number> {
  const ffmpeg = requireExecutable('ffmpeg', 'Install ffmpeg (apt-get install ffmpeg).');
  const c = `crop=${crop.width}:${crop.height}:${crop.x}:${crop.y}`;
  const { stderr } = await run(ffmpeg, ['-nostdin', '-hide_banner', '-nostats', '-i', a, '-i', b, '-lavfi', `[0]${c}[a];[1]${c}[b];[a][b]ssim`, '-f', 'null', '-'], { timeout: 60_000 });
  const found = /SSIM .*All:([0-9.]+)/.exec(stderr);
  if (!found) throw new Error(`ffmpeg ssim printed no figure: ${stderr.slice(-500)}`);
  return Number(found[1]);
}
