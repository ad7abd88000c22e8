import { realpath, stat } from 'node:fs/promises';
import { join, normalize, sep } from 'node:path';

/** Kernel file systems that hold no media, only the process's secrets and devices: never a media root. */
export const FORBIDDEN_ROOTS: readonly string[] = ['/proc', '/sys', '/dev'];

/** Why a folder cannot be a media root, or undefined. */
export function mediaRootProblem(root: string): string | undefined {
  if (!root.startsWith('/')) return `"${root}" is not an absolute path`;
  if (root.includes('\0')) return 'a path contains a NUL byte';
  if (root.split('/').every((part) => part === '' || part === '.')) return `"${root}" would allow every file`;
  if (FORBIDDEN_ROOTS.some((forbidden) => within(root, forbidden))) return `"${root}" is a kernel file system (${FORBIDDEN_ROOTS.join(', ')}), not media`;
  return undefined;
}

/**
 * Where a file path really leads: the real path (symlinks and `..` resolved by the kernel, as opening it would) of
 * the longest part that exists, with the rest appended. The rest may hold no `..`: there is nothing to resolve it
 * against, and a folder created later could make it lead anywhere. Undefined when it does.
 */
export async function physicalPath(path: string): Promise<string | undefined> {
  const parts = path.split('/');
  for (let length = parts.length; length > 0; length -= 1) {
    const existing = await realpath(parts.slice(0, length).join('/') || '/').catch(() => undefined);
    if (existing === undefined) continue;
    const rest = parts.slice(length).filter((part) => part !== '' && part !== '.');
    return rest.includes('..') ? undefined : join(existing, ...rest);
  }
  return undefined;
}

/**
 * The real path of `path` when it lies inside one of `roots` (each resolved the same way, so a root that is itself
 * a symlink works); otherwise undefined. A root missing here (publish without the media volume that ingest has) is
 * taken as written: nothing under it exists here, so only plain names below it can match, and ingest checks the real
 * path again before each capture.
 */
export async function containedPath(path: string, roots: readonly string[]): Promise<string | undefined> {
  const real = await physicalPath(path);
  if (real === undefined) return undefined;
  for (const root of roots) {
    const realRoot = (await realpath(root).catch(() => undefined)) ?? normalize(root);
    // a root that turns out to be "/" or a kernel file system through a symlink is no root at all
    if (mediaRootProblem(realRoot) === undefined && within(real, realRoot)) return real;
  }
  return undefined;
}

/** Undefined for a regular file or a path that does not exist (yet); else what it is instead. */
export async function notRegularFile(path: string): Promise<string | undefined> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined || info.isFile()) return undefined;
  if (info.isDirectory()) return 'a folder';
  return 'a device, pipe or socket';
}

function within(path: string, folder: string): boolean {
  return path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);
}
