import { createServer, type Server, type Socket } from 'node:net';

export interface RecordedRequest {
  /** 'OPTIONS rtsp://127.0.0.1:1234/x RTSP/1.0', byte for byte (latin1) */
  line: string;
  /** the user:password of a Basic Authorization header, decoded (latin1); undefined without one */
  basic?: string;
}

/**
 * A fake RTSP server that shows what a client really sent: it records each request line and the credentials of a
 * Basic Authorization header, answers 401 (asking for Basic credentials) until a request brings some, then 404.
 * With `hold`, nothing is answered until release(): a test can look at the client while it waits.
 */
export class RtspRecorder {
  readonly requests: RecordedRequest[] = [];
  private held: (() => void)[] = [];
  private holding: boolean;
  private readonly sockets = new Set<Socket>();
  private waiters: (() => void)[] = [];

  private constructor(private readonly server: Server, readonly port: number, hold: boolean) {
    this.holding = hold;
  }

  static async start(options: { hold?: boolean } = {}): Promise<RtspRecorder> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const recorder = new RtspRecorder(server, (server.address() as { port: number }).port, options.hold ?? false);
    server.on('connection', (socket) => recorder.serve(socket));
    return recorder;
  }

  url(path: string, userinfo = ''): string {
    return `rtsp://${userinfo ? `${userinfo}@` : ''}127.0.0.1:${this.port}${path}`;
  }

  /** Resolves once `count` requests have come in. */
  async waitForRequests(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Answers what was held, and everything from now on. */
  release(): void {
    this.holding = false;
    for (const answer of this.held.splice(0)) answer();
  }

  async close(): Promise<void> {
    this.release();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const [line = '', ...headers] = buffered.slice(0, end).split('\r\n');
        buffered = buffered.slice(end + 4);
        const header = (name: string) => headers.find((h) => h.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
        const auth = header('authorization');
        const basic = auth?.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString('latin1') : undefined;
        this.requests.push({ line, ...(basic === undefined ? {} : { basic }) });
        for (const wake of this.waiters.splice(0)) wake();
        const cseq = header('cseq') ?? '0';
        const answer = () => socket.write(auth
          ? `RTSP/1.0 404 Not Found\r\nCSeq: ${cseq}\r\n\r\n`
          : `RTSP/1.0 401 Unauthorized\r\nCSeq: ${cseq}\r\nWWW-Authenticate: Basic realm="recorder"\r\n\r\n`);
        if (this.holding) this.held.push(answer);
        else answer();
      }
    });
  }
}
