import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP pass-through to a redis-server that delivers what the server sends `delayMs` late, in order, on the
 * connections whose first bytes hold `name` (ioredis sends `CLIENT SETNAME <name>` first): subscriptions named so
 * get every message that much after it was published, while the other connections (publishers waiting for their
 * replies, leases) run at full speed. It gives a pipeline a delay of a known size where a real one (a busy
 * inference, a slow network) would vary.
 */
export class DelayProxy {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number, delayMs: number, name: string): Promise<DelayProxy> {
    let proxy: DelayProxy | undefined;
    const server = createServer((client) => proxy!.pipe(client, targetPort, delayMs, name));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    proxy = new DelayProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: Socket, targetPort: number, delayMs: number, name: string): void {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.once('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    let delayed: boolean | undefined;
    client.on('data', (chunk: Buffer) => {
      delayed ??= chunk.includes(name);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (!delayed) client.write(chunk);
      // timers of one delay fire in the order they were set: the bytes keep their order
      else setTimeout(() => client.destroyed || client.write(chunk), delayMs);
    });
  }
}
