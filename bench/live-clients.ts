/**
 * Socket.IO viewers for the latency and fan-out benches: each socket subscribes to cameras and records every frame's
 * capture-to-client latency and its seq, so a gap (a frame it never saw) counts as missed.
 */
import { io, type Socket } from 'socket.io-client';

export interface ViewerTally {
  frames: number;
  /** frames missing from the seq runs each camera showed this viewer */
  missed: number;
  latencies: number[];
}

interface FrameEvent {
  camera: string;
  seq: number;
  ts: number;
}

/** One viewer: a socket subscribed to `cameras`, counting only while `counting` is set. */
export class Viewer {
  readonly tally: ViewerTally = { frames: 0, missed: 0, latencies: [] };
  counting = false;
  private readonly lastSeq = new Map<string, number>();
  private readonly socket: Socket;

  constructor(url: string, token: string) {
    this.socket = io(url, { transports: ['websocket'], reconnection: false, auth: { token }, forceNew: true });
    this.socket.on('frame', (event: FrameEvent) => {
      const now = Date.now();
      const last = this.lastSeq.get(event.camera);
      this.lastSeq.set(event.camera, event.seq);
      if (!this.counting) return;
      this.tally.frames += 1;
      if (last !== undefined && event.seq > last + 1) this.tally.missed += event.seq - last - 1;
      this.tally.latencies.push(now - event.ts);
    });
  }

  async subscribe(cameras: readonly string[], timeoutMs = 20_000): Promise<void> {
    if (!this.socket.connected) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no connection within ${timeoutMs} ms`)), timeoutMs);
        this.socket.once('connect', () => (clearTimeout(timer), resolve()));
        this.socket.once('connect_error', (error) => (clearTimeout(timer), reject(error)));
      });
    }
    for (const camera of cameras) {
      const ack = (await this.socket.timeout(timeoutMs).emitWithAck('subscribe', { camera, stream: 'raw', format: 'jpeg' })) as { ok: boolean; error?: string };
      if (!ack?.ok) throw new Error(`subscribe ${camera} refused: ${ack?.error ?? 'no ack'}`);
    }
  }

  close(): void {
    this.socket.disconnect();
  }
}
