export interface ThrottledLogOptions {
  /** at most one line per key this often, ms */
  intervalMs: number;
  /** keys remembered at once; past it, new keys share one (a flood of keys cannot grow memory or the log) */
  maxKeys?: number;
  now?: () => number;
}

const DEFAULT_MAX_KEYS = 1024;
const OVERFLOW_KEY = '\u0000overflow';

/**
 * Logs at most one line per key (a camera, say) per interval: the first occurrence at once, later ones within the
 * interval only counted, and the next line says how many were left out. A bad message repeated at frame rate gives
 * one line a minute, not thirty a second.
 */
export class ThrottledLog {
  private readonly keys = new Map<string, { until: number; skipped: number }>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(
    private readonly write: (line: string) => void,
    private readonly options: ThrottledLogOptions,
  ) {
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
    this.now = options.now ?? Date.now;
  }

  /** Writes `line` unless `key` had one within the interval; true when it was written. */
  log(key: string, line: string): boolean {
    const now = this.now();
    const slot = this.slotFor(key, now);
    const entry = this.keys.get(slot);
    if (entry && now < entry.until) {
      entry.skipped += 1;
      return false;
    }
    const skipped = entry?.skipped ?? 0;
    this.keys.set(slot, { until: now + this.options.intervalMs, skipped: 0 });
    this.write(skipped > 0 ? `${line} (and ${skipped} more like it since the last line)` : line);
    return true;
  }

  private slotFor(key: string, now: number): string {
    if (this.keys.has(key) || this.keys.size < this.maxKeys) return key;
    for (const [known, entry] of this.keys) if (entry.until <= now) this.keys.delete(known);
    return this.keys.size < this.maxKeys ? key : OVERFLOW_KEY;
  }
}
