import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';

/**
 * Where a file is written before it is renamed into place, so a reader never sees half a clip or snapshot. Hidden
 * and in the same directory (a rename within one file system is atomic); the store's retention removes leftovers
 * of a crash once they are old enough not to be a write in progress.
 */
export function partialPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.partial`);
}

export function isPartialName(name: string): boolean {
  return /^\..+\.[0-9a-f]{8}\.partial$/.test(name);
}
