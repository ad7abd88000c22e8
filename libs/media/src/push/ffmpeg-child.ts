import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { trackChild } from '../child-processes';
import { PRESET_FD } from './ffmpeg-preset';
import { privateFd } from './private-fd';

export interface FfmpegChildOptions {
  /** `key=value` options that must stay out of argv, read by ffmpeg from fd 3 (`-fpre /dev/fd/3`) */
  preset?: string;
  /** fds 0, 1, 2 and any after them; fd 3 is the preset's when there is one */
  stdio: ('pipe' | 'ignore')[];
  /** more secret text on private descriptors, by fd number above 3 (egress: the audio input's list on fd 4) */
  secrets?: Readonly<Record<number, string>>;
  /** a process group of its own, out of reach of the terminal's Ctrl-C */
  detached?: boolean;
}

export interface FfmpegChild {
  child: ChildProcess;
  /** how it ended, once its output is read to the end: 'exit code 1', 'ended by SIGKILL', 'could not start ffmpeg: ...' */
  ending: Promise<string>;
  /** `begin` asks it to end (stdin closed, SIGINT); SIGKILL after `graceMs`; resolves once it ended */
  stop(begin: () => void, graceMs: number): Promise<void>;
  /** SIGKILL; resolves once it ended */
  kill(): Promise<void>;
}

/**
 * Starts an ffmpeg child of a push (egress, the sender), tracked so that it never outlives us. A preset goes in on a
 * private descriptor (privateFd), closed here once the child holds its own copy. Throws only when the preset cannot
 * be written; a spawn that fails is an `ending`.
 */
export function startFfmpeg(ffmpeg: string, args: readonly string[], options: FfmpegChildOptions): FfmpegChild {
  const texts: [number, string][] = [...(options.preset === undefined ? [] : [[PRESET_FD, options.preset] as [number, string]]), ...Object.entries(options.secrets ?? {}).map(([fd, text]) => [Number(fd), text] as [number, string])];
  const stdio: (number | 'pipe' | 'ignore')[] = [...options.stdio];
  const opened: number[] = [];
  let child: ChildProcess;
  try {
    for (const [fd, text] of texts) {
      const descriptor = privateFd(text);
      opened.push(descriptor);
      stdio[fd] = descriptor;
    }
    // a slot below one in use must be filled: 'ignore' gives the child nothing there
    for (let fd = 3; fd < stdio.length; fd++) stdio[fd] ??= 'ignore';
    child = trackChild(spawn(ffmpeg, args, { stdio, detached: options.detached ?? false }));
  } finally {
    // the child holds its own copies
    for (const descriptor of opened) closeSync(descriptor);
  }
  const ending = new Promise<string>((resolve) => {
    child.once('error', (error) => resolve(`could not start ${ffmpeg}: ${error.message}`));
    // 'close', not 'exit': stderr has been read to the end, so the reason is in
    child.once('close', (code, signal) => resolve(signal ? `ended by ${signal}` : `exit code ${code}`));
  });
  let over = false;
  void ending.then(() => (over = true));
  return {
    child,
    ending,
    stop: async (begin, graceMs) => {
      if (over) return;
      begin();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await ending;
      clearTimeout(timer);
    },
    kill: async () => {
      if (over) return;
      child.kill('SIGKILL');
      await ending;
    },
  };
}
