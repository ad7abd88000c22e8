import type { Socket } from 'socket.io';
import type { Ack } from '@vigil/contracts';
import type { PublishMetrics } from './publish-metrics';

/** requests one connection may have under way at once (each reads Redis); more are refused at once */
export const MAX_PENDING_REQUESTS = 8;
/** an error a client gets back is cut to this length: a validation message may quote what the client sent */
const MAX_ERROR_CHARS = 300;

/**
 * One Socket.IO request from receipt to its ack: refused unless it came with an ack callback (nobody would hear
 * the answer), at most MAX_PENDING_REQUESTS at once per connection, every error an `ok: false`, never an exception
 * out of the handler, and the outcome counted. A socket that disconnected meanwhile gets no answer (`gone`).
 */
export class SocketRequests {
  private readonly underWay = new Map<string, number>();

  constructor(private readonly metrics: PublishMetrics) {}

  async answer(socket: Socket, event: 'subscribe' | 'unsubscribe', ack: unknown, work: () => Promise<Ack>): Promise<void> {
    if (typeof ack !== 'function') {
      this.metrics.requests.inc({ event, outcome: 'no_ack' });
      return;
    }
    const pending = this.underWay.get(socket.id) ?? 0;
    if (pending >= MAX_PENDING_REQUESTS) {
      this.metrics.requests.inc({ event, outcome: 'busy' });
      reply(ack, { ok: false, error: `${pending} requests are under way on this connection, the most allowed: wait for their answers` });
      return;
    }
    this.underWay.set(socket.id, pending + 1);
    let result: Ack;
    try {
      result = await work();
    } catch (error) {
      result = { ok: false, error: `cannot ${event}: ${(error as Error).message}` };
    } finally {
      const left = (this.underWay.get(socket.id) ?? 1) - 1;
      if (left > 0) this.underWay.set(socket.id, left);
      else this.underWay.delete(socket.id);
    }
    if (!socket.connected) {
      this.metrics.requests.inc({ event, outcome: 'gone' });
      return;
    }
    this.metrics.requests.inc({ event, outcome: result.ok ? 'ok' : 'refused' });
    reply(ack, result.ok ? result : { ok: false, error: result.error.slice(0, MAX_ERROR_CHARS) });
  }

  /** Requests under way, all connections together. */
  pending(): number {
    let count = 0;
    for (const n of this.underWay.values()) count += n;
    return count;
  }

  /** An event nobody handles: `ok: false` if it came with an ack callback. */
  unknown(args: unknown[]): void {
    this.metrics.requests.inc({ event: 'unknown', outcome: 'refused' });
    const ack = args[args.length - 1];
    if (typeof ack === 'function') reply(ack, { ok: false, error: 'unknown event: this server answers subscribe and unsubscribe' });
  }
}

function reply(ack: unknown, result: Ack): void {
  (ack as (result: Ack) => void)(result);
}
