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
  const preset = options.preset === undefined ? undefined : privateFd(options.preset);
  const stdio: (number | 'pipe' | 'ignore')[] = [...options.stdio];
  if (preset !== undefined) stdio[PRESET_FD] = preset;
  let child: ChildProcess;
  try {
    child = trackChild(spawn(ffmpeg, args, { stdio, detached: options.detached ?? false }));
  } finally {
    if (preset !== undefined) closeSync(preset);
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
