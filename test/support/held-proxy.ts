import { createServer, connect, type Server, type Socket } from 'node:net';

/** how much of a connection's first bytes is kept to match its name */
const HELLO_BYTES = 512;

/**
 * A TCP pass-through (to a redis-server, say) whose client-to-server direction can be held: while held, what the
 * clients send waits here, in order, and goes on at `release()`. It puts a process's requests on pause at a chosen
 * moment, so a test can make something happen in between, where a real race would need luck.
 */
export class HeldProxy {
  private held = false;
  /** when set, only connections whose first bytes hold it are held (ioredis sends `CLIENT SETNAME <name>` first) */
  private heldName?: string;
  private readonly waiting: { upstream: Socket; chunk: Buffer }[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** `listenPort`: a fixed port (to bring a stopped proxy back where its clients reconnect); default any free one */
  static async start(targetPort: number, targetHost = '127.0.0.1', listenPort = 0): Promise<HeldProxy> {
    let proxy: HeldProxy | undefined;
    const server = createServer((client) => proxy!.pipe(client, targetPort, targetHost));
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(listenPort, '127.0.0.1', resolve));
    proxy = new HeldProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Holds every connection, or only those named `connectionName` (ioredis's connectionName option). */
  hold(connectionName?: string): void {
    this.held = true;
    this.heldName = connectionName;
  }

  /** Sends on what waited, in order, and passes everything through again. */
  release(): void {
    this.held = false;
    for (const { upstream, chunk } of this.waiting.splice(0)) upstream.write(chunk);
  }

  /** What waits to go on, as text (Redis's protocol is text but for binary values). */
  waitingText(): string {
    return Buffer.concat(this.waiting.map(({ chunk }) => chunk)).toString('latin1');
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private pipe(client: Socket, port: number, host: string): void {
    const upstream = connect(port, host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    let hello = '';
    client.on('data', (chunk: Buffer) => {
      if (hello.length < HELLO_BYTES) hello += chunk.toString('latin1', 0, HELLO_BYTES);
      const heldHere = this.held && (this.heldName === undefined || hello.includes(this.heldName));
      // a connection with chunks waiting keeps queueing, so nothing overtakes them
      if (heldHere || this.waiting.some((waiting) => waiting.upstream === upstream)) this.waiting.push({ upstream, chunk });
      else upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  }
}
