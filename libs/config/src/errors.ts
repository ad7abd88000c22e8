import type { ZodError } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Formats zod issues as `field.path: message` lines so the user sees which field is wrong. */
export function describeIssues(error: ZodError, prefix = ''): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.reduce<string>(
        (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : String(part)),
        prefix,
      );
      return `${path || '(root)'}: ${issue.message}`;
    })
    .join('; ');
}
