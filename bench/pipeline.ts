/**
 * The capture pipeline exactly as ingest builds it for a file camera, plus small edits of its
 * gst-launch text so variants can be measured without touching the app.
 */
import { buildPipeline } from '../libs/media/src/pipeline/build-pipeline';

export interface LimitPipelineOptions {
  decoder?: string;
  jpegQuality?: number;
}

/** filesrc ! parsebin ! h264parse ! avdec_h264 ! videoconvert ! jpegenc quality=80 ! appsink ... */
export function ingestLaunch(clip: string, options: LimitPipelineOptions = {}): string {
  const element = options.decoder ?? 'avdec_h264';
  return buildPipeline({
    camera: { transport: 'tcp', realtime: false, jpegQuality: options.jpegQuality ?? 80 },
    source: { kind: 'file', location: clip },
    decoder: { element, hardware: element.startsWith('nv'), reason: 'bench' },
  }).launch;
}

/** A launch line as its ` ! `-separated parts (a quoted value escapes its "!", so it never holds " ! "). */
function parts(launch: string): string[] {
  return launch.split(' ! ');
}

function nameOf(part: string): string {
  return part.trim().split(/\s+/)[0]!;
}

function indexOf(list: string[], name: string): number {
  const index = list.findIndex((part) => nameOf(part) === name);
  if (index < 0) throw new Error(`no ${name} in ${list.join(' ! ')}`);
  return index;
}

export type Edit = (list: string[]) => string[];

/** Sets (or replaces) properties of the first element called `name`. */
export function setProps(name: string, props: Record<string, string | number | boolean>): Edit {
  return (list) => {
    const i = indexOf(list, name);
    const tokens = list[i]!.trim().split(/\s+/);
    const kept = tokens.filter((token, n) => n === 0 || !Object.keys(props).includes(token.split('=')[0]!));
    const added = Object.entries(props).map(([k, v]) => `${k}=${String(v)}`);
    return [...list.slice(0, i), [...kept, ...added].join(' '), ...list.slice(i + 1)];
  };
}

export function insertAfter(name: string, text: string): Edit {
  return (list) => {
    const i = indexOf(list, name);
    return [...list.slice(0, i + 1), text, ...list.slice(i + 1)];
  };
}

export function insertBefore(name: string, text: string): Edit {
  return (list) => {
    const i = indexOf(list, name);
    return [...list.slice(0, i), text, ...list.slice(i)];
  };
}

export function remove(name: string): Edit {
  return (list) => {
    const i = indexOf(list, name);
    return [...list.slice(0, i), ...list.slice(i + 1)];
  };
}

export function replace(name: string, text: string): Edit {
  return (list) => {
    const i = indexOf(list, name);
    return [...list.slice(0, i), text, ...list.slice(i + 1)];
  };
}

export function edit(launch: string, ...edits: Edit[]): string {
  return edits.reduce((list, fn) => fn(list), parts(launch)).join(' ! ');
}

/** The same pipeline ending in `fakesink sync=false` instead of OpenCV's appsink, for gst-launch. */
export function toFakesink(launch: string): string {
  return edit(launch, replace('appsink', 'fakesink sync=false'));
}
