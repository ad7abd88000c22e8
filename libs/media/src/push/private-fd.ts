import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A read-only file descriptor onto `text`, for a child process to inherit (ffmpeg then opens /dev/fd/N). The text is
 * written to a 0600 file in a fresh 0700 folder, and both are removed before this returns: what the descriptor
 * reads is on no path anybody could open, and nothing is left behind whatever happens to the child.
 *
 * Not a pipe: Node's stdio pipes are sockets, which /dev/fd/N cannot open. Sync calls on purpose: a few hundred bytes,
 * once per ffmpeg start, right before the (sync) spawn that needs the descriptor.
 */
export function privateFd(text: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-secret-'));
  try {
    const path = join(dir, 'options');
    writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
    return openSync(path, 'r');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
