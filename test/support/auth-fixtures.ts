import Redis from 'ioredis';
import type { Revocation } from '@vigil/auth';
import { Revocations } from '@vigil/redis';
import { waitFor } from './wait';

/** A logger that keeps its warnings, for asserting that a bad record was logged once. */
export function keptWarnings(): { warn: (line: string) => void; lines: string[] } {
  const lines: string[] = [];
  return { lines, warn: (line: string) => void lines.push(String(line)) };
}

/**
 * What another replica hears on the revocation channel: its own connection, subscribed through Revocations.
 * `next(match)` waits for the first message not taken yet that matches, and takes it and everything before it.
 */
export async function revocationTap(url: string): Promise<{ heard: Revocation[]; next(match: (r: Revocation) => boolean): Promise<Revocation>; close(): Promise<void> }> {
  const connection = new Redis(url);
  const heard: Revocation[] = [];
  let taken = 0;
  const subscription = await new Revocations(connection).subscribe(connection, (revocation) => heard.push(revocation));
  return {
    heard,
    async next(match) {
      const index = await waitFor('a revocation message', () => {
        const found = heard.findIndex((revocation, i) => i >= taken && match(revocation));
        return found >= 0 ? found + 1 : 0;
      });
      taken = index;
      return heard[index - 1]!;
    },
    async close() {
      await subscription.stop();
      await connection.quit();
    },
  };
}
