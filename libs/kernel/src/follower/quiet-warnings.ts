/** The logger calls a follower makes; Nest's Logger has them, and tests pass a recorder. */
export interface FollowerLogger {
  log(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/**
 * Warns once per trouble: the same failure again (Redis down, a camera that cannot start) goes to debug, so a
 * pass every 2 s does not flood the log; a different one warns again, and the end of one is said once.
 */
export class QuietWarnings {
  private readonly last = new Map<string, string>();

  constructor(private readonly logger: FollowerLogger) {}

  warn(subject: string, message: string): void {
    if (this.last.get(subject) === message) this.logger.debug(message);
    else this.logger.warn(message);
    this.last.set(subject, message);
  }

  /** The trouble of `subject` is over: logs `message` if there was one. */
  clear(subject: string, message?: string): void {
    if (!this.last.delete(subject)) return;
    if (message) this.logger.log(message);
  }

  /** Forget a subject without a word (a camera gone from the registry). */
  forget(subject: string): void {
    this.last.delete(subject);
  }
}
