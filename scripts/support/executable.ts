import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** Resolves a command the way a shell would (absolute path or PATH lookup); undefined if absent. */
export function findExecutable(command: string): string | undefined {
  const candidates = isAbsolute(command) || command.includes('/')
    ? [command]
    : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here; keep looking.
    }
  }
  return undefined;
}

/**
 * Like findExecutable but throws an error that says what to install, because a bare ENOENT
 * from spawn() does not tell a reader which package is missing.
 */
export function requireExecutable(command: string, installHint: string): string {
  const found = findExecutable(command);
  if (found === undefined) {
    throw new Error(`'${command}' was not found (PATH=${process.env.PATH ?? ''}). ${installHint}`);
  }
  return found;
}
