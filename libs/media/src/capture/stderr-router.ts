import { LineSplitter, STDERR_TAIL_CHARS } from '@vigil/kernel/process';

/**
 * Hands each stderr line of a capture process to the camera it is about. The process's cameras share one stderr,
 * so a line is claimed two ways:
 *  - by the element that reported it: pipelines name their elements `<camera>-<factory>` (build-pipeline.ts), and
 *    OpenCV writes GStreamer errors as "module <element> reported: ...";
 *  - by the camera whose pipeline was opening or closing when it was written: the process brackets those calls
 *    with `<marker> <camera>` and `<marker> -` lines, in order on the same pipe.
 * A line neither way claims goes to `undefined` (the process's own).
 */
export class StderrRouter {
  private readonly splitter = new LineSplitter(STDERR_TAIL_CHARS, (line) => this.onLine(line));
  private claimedBy?: string;

  constructor(
    private readonly marker: string,
    private readonly isCamera: (camera: string) => boolean,
    private readonly route: (camera: string | undefined, line: string) => void,
  ) {}

  write(chunk: string): void {
    this.splitter.write(chunk);
  }

  end(): void {
    this.splitter.end();
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    if (line.startsWith(`${this.marker} `)) {
      const camera = line.slice(this.marker.length + 1);
      this.claimedBy = camera === '-' ? undefined : camera;
      return;
    }
    this.route(this.reporter(line) ?? this.claimedBy, line);
  }

  private reporter(line: string): string | undefined {
    const element = /module (\S+) reported:/.exec(line)?.[1];
    const cut = element?.lastIndexOf('-') ?? -1;
    if (!element || cut < 1) return undefined;
    const camera = element.slice(0, cut);
    return this.isCamera(camera) ? camera : undefined;
  }
}

/**
 * The most specific GStreamer error OpenCV passed on, e.g. "rtspsrc: Could not open resource", from a camera's
 * stderr lines. `camera` takes the camera's prefix off element names.
 */
export function gstreamerReason(lines: readonly string[], camera?: string): string | undefined {
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const reported = /module (\S+) reported: (.+)$/.exec(lines[i]!);
    if (!reported) continue;
    const element = camera && reported[1]!.startsWith(`${camera}-`) ? reported[1]!.slice(camera.length + 1) : reported[1]!;
    return `${element}: ${reported[2]!.trim()}`;
  }
  for (let i = lines.length - 1; i >= 0; i -= 1) {
    const line = lines[i]!;
    const warning = /GStreamer warning: (.+)$/.exec(line) ?? /\b(?:Error|ERROR)\b:? (.+)$/.exec(line);
    if (warning) return warning[1]!.trim();
  }
  return undefined;
}
