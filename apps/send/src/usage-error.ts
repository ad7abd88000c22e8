/** A bad command line: its message is printed with a pointer to --help, and the process exits with code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The exit code of a usage error, as shells and getopt-style tools use it. */
export const USAGE_EXIT_CODE = 2;
