import { connect, createServer, type Server, type Socket } from 'node:net';
import { authorizerFor, parseChallenges, pickChallenge, type Authorizer } from './rtsp-auth';
import { peerHeldBy } from './loopback-peer';
import { headerValues, isResponse, replaceHeaders, requestOf, RTSP_LIMITS, RtspProtocolError, serialize, statusOf, type RtspLimits, type RtspMessage } from './rtsp-message';
import { towardServer } from './rtsp-rewrite';
import { RtspSplitter, type RtspPiece } from './rtsp-splitter';
import { loopbackUrl, type RtspTarget } from './rtsp-target';

export interface RtspRelayOptions {
  /** ffmpeg must connect within this from open(). Default 10000 ms. */
  acceptMs?: number;
  /** the server must take the TCP connection within this. Default 10000 ms. */
  connectMs?: number;
  /** per message, both ways. Default RTSP_LIMITS. */
  limits?: RtspLimits;
}

/** connections waiting for their check at once; more are refused outright (a flood costs no /proc reads) */
const MAX_UNCHECKED = 16;
/** requests sent and not answered; ffmpeg waits for each answer, so a handful is plenty */
const MAX_PENDING = 8;
/** sends of one request: without authorization, with it, and once more for a fresh nonce */
const MAX_SENDS = 3;
/** after ffmpeg leaves, how long the server gets to take the rest (a TEARDOWN) before the connection is cut */
const UPSTREAM_LINGER_MS = 1000;

interface Pending {
  /** the request as the server gets it, without CSeq and Authorization */
  request: RtspMessage;
  /** ffmpeg's CSeq, put back in the answer */
  cseq: string | undefined;
  sends: number;
  /** the authorizer of the last send, if it had one */
  authorizedBy?: Authorizer;
}

/**
 * A loopback RTSP relay for one ffmpeg push, so that the server's credentials never sit on ffmpeg's command line
 * (rtsp-target.ts). It listens on 127.0.0.1 (a port of the kernel's choosing), admits one connection, and only one
 * that the ffmpeg child holds (loopback-peer.ts: any local user could connect first); then it connects to the server
 * and forwards both ways. Requests are rewritten to the real URL and, once the server has challenged, authorized
 * (Digest before Basic); the 401 that asked is answered here and never reaches ffmpeg. Interleaved RTP/RTCP passes as
 * slices of what was read, with backpressure both ways.
 *
 * Never throws after open(): what goes wrong is `failure` (no credentials in it), for the push's status.
 */
export class RtspRelay {
  private readonly options: Required<RtspRelayOptions>;
  private readonly unchecked = new Set<Socket>();
  private readonly pending = new Map<number, Pending>();
  private readonly acceptTimer: NodeJS.Timeout;
  /** what ffmpeg is given, and the base its request URIs start with */
  readonly url: string;
  private pid?: number;
  private client?: Socket;
  private upstream?: Socket;
  private authorizer?: Authorizer;
  private nextSeq = 1;
  private closed = false;
  private reason?: string;
  private refusedCount = 0;
  private forwarded = 0;

  private constructor(private readonly server: Server, private readonly target: RtspTarget, options: RtspRelayOptions) {
    this.options = { acceptMs: 10_000, connectMs: 10_000, limits: RTSP_LIMITS, ...options };
    this.url = loopbackUrl((server.address() as { port: number }).port);
    server.on('connection', (socket) => this.onConnection(socket));
    this.acceptTimer = setTimeout(() => this.fail(`ffmpeg did not connect to the RTSP relay within ${this.options.acceptMs / 1000} s`), this.options.acceptMs);
  }

  static async open(target: RtspTarget, options: RtspRelayOptions = {}): Promise<RtspRelay> {
    // paused: nothing is read from a connection before it is known to be ffmpeg's
    const server = createServer({ pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: 0, host: '127.0.0.1', backlog: MAX_UNCHECKED }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new RtspRelay(server, target, options);
  }

  /** Why the relay failed or the server refused, first reason only; undefined while all is well. */
  get failure(): string | undefined {
    return this.reason;
  }

  /** Connections turned away because they were not ffmpeg's. */
  get refused(): number {
    return this.refusedCount;
  }

  /** Bytes of interleaved RTP/RTCP passed on to the server: the stream as sent, for a bitrate. */
  get bytesSent(): number {
    return this.forwarded;
  }

  /** The one process whose connection is admitted; connections that came before are checked now. */
  admit(pid: number): void {
    this.pid = pid;
    for (const socket of this.unchecked) void this.check(socket);
  }

  /** Closes everything; the server gets a moment to read what was already sent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.acceptTimer);
    this.server.close();
    for (const socket of this.unchecked) socket.destroy();
    this.unchecked.clear();
    this.client?.destroy();
    const upstream = this.upstream;
    if (upstream?.connecting) upstream.destroy();
    else if (upstream && !upstream.destroyed) {
      upstream.end();
      setTimeout(() => upstream.destroy(), UPSTREAM_LINGER_MS).unref();
    }
  }

  private onConnection(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.closed || this.client || this.unchecked.size >= MAX_UNCHECKED) {
      this.refuse(socket);
      return;
    }
    this.unchecked.add(socket);
    socket.once('close', () => this.unchecked.delete(socket));
    if (this.pid !== undefined) void this.check(socket);
  }

  private async check(socket: Socket): Promise<void> {
    const pid = this.pid!;
    let ours = false;
    try {
      ours = await peerHeldBy(socket, pid);
    } catch {
      // ffmpeg gone, /proc unreadable: not admitted
    }
    if (!this.unchecked.delete(socket)) return;
    if (!ours || this.closed || this.client) {
      this.refuse(socket);
      return;
    }
    this.accept(socket);
  }

  private refuse(socket: Socket): void {
    this.refusedCount += 1;
    socket.destroy();
  }

  private accept(client: Socket): void {
    this.client = client;
    clearTimeout(this.acceptTimer);
    // one client per relay: nobody else gets the chance to try
    this.server.close();
    for (const socket of this.unchecked) this.refuse(socket);
    this.unchecked.clear();
    client.setNoDelay(true);
    client.on('close', () => this.close());
    const { host, port } = this.target;
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    const upstream = connect({ host, port });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    const timer = setTimeout(() => this.fail(`could not reach the RTSP server ${where} within ${this.options.connectMs / 1000} s`), this.options.connectMs);
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      this.fail(upstream.connecting || !upstream.remoteAddress ? `could not reach the RTSP server ${where}: ${error.code ?? error.message}` : `the connection to the RTSP server ${where} failed: ${error.code ?? error.message}`);
    });
    upstream.on('close', () => {
      clearTimeout(timer);
      if (!this.closed) this.fail(`the RTSP server ${where} closed the connection`);
    });
    upstream.once('connect', () => {
      clearTimeout(timer);
      this.pipe(client, upstream, (piece) => this.fromFfmpeg(piece), 'ffmpeg');
      this.pipe(upstream, client, (piece) => this.fromServer(piece), 'the RTSP server');
    });
  }

  /** Reads `from` through a splitter into `handle`, pausing it while `to` is backed up. */
  private pipe(from: Socket, to: Socket, handle: (piece: RtspPiece) => void, who: string): void {
    const splitter = new RtspSplitter(this.options.limits);
    from.on('data', (chunk: Buffer) => {
      let pieces: RtspPiece[];
      try {
        pieces = splitter.push(chunk);
      } catch (error) {
        if (!(error instanceof RtspProtocolError)) throw error;
        this.fail(`${who} sent what the RTSP relay cannot pass on: ${error.message}`);
        return;
      }
      for (const piece of pieces) handle(piece);
      if (to.writableNeedDrain && !from.isPaused()) {
        from.pause();
        to.once('drain', () => from.resume());
      }
    });
    from.resume();
  }

  private fromFfmpeg(piece: RtspPiece): void {
    if (piece.kind === 'data' || isResponse(piece.message)) {
      if (piece.kind === 'data') this.forwarded += piece.bytes.length;
      // RTP and RTCP, or ffmpeg answering a request of the server's: as it is
      this.toServer(piece.kind === 'data' ? piece.bytes : serialize(piece.message));
      return;
    }
    if (this.pending.size >= MAX_PENDING) {
      this.fail(`ffmpeg sent more than ${MAX_PENDING} RTSP requests without an answer`);
      return;
    }
    const request = towardServer(piece.message, this.url, this.target.controlUri, this.upstream?.remoteAddress);
    this.send({ request, cseq: headerValues(piece.message, 'cseq')[0], sends: 0 });
  }

  private send(pending: Pending): void {
    const seq = this.nextSeq++;
    const { method, uri } = requestOf(pending.request)!;
    const authorization = this.authorizer?.header(method, uri);
    pending.sends += 1;
    pending.authorizedBy = authorization === undefined ? undefined : this.authorizer;
    this.pending.set(seq, pending);
    // our own CSeq: a re-sent request must not reuse a number the server has seen
    const headers: [string, string][] = [['CSeq', String(seq)], ...(authorization === undefined ? [] : [['Authorization', authorization] as [string, string]])];
    this.toServer(serialize(replaceHeaders(pending.request, [], headers)));
  }

  private fromServer(piece: RtspPiece): void {
    if (piece.kind === 'data' || !isResponse(piece.message)) {
      this.toClient(piece.kind === 'data' ? piece.bytes : serialize(piece.message));
      return;
    }
    const response = piece.message;
    const seq = Number(headerValues(response, 'cseq')[0]);
    const pending = this.pending.get(seq);
    if (!pending) {
      this.toClient(serialize(response));
      return;
    }
    this.pending.delete(seq);
    if (statusOf(response) === 401 && this.authorize(pending, response)) return;
    const headers: [string, string][] = pending.cseq === undefined ? [] : [['CSeq', pending.cseq]];
    this.toClient(serialize(replaceHeaders(response, ['cseq'], headers)));
  }

  /** Sends the request again, authorized, when the 401 asks for credentials we have not tried yet; false when it refused them. */
  private authorize(pending: Pending, response: RtspMessage): boolean {
    const { method } = requestOf(pending.request)!;
    const credentials = this.target.credentials;
    const challenges = parseChallenges(headerValues(response, 'www-authenticate'));
    const challenge = pickChallenge(challenges);
    if (!credentials) {
      this.note(`the RTSP server asks for a user and password (401 Unauthorized to ${method}), and the url has none`);
      return false;
    }
    if (!challenge) {
      const offered = challenges.map((offer) => offer.scheme).join(', ') || 'nothing';
      this.note(`the RTSP server asks for an authentication the relay cannot answer (401 Unauthorized to ${method}; it offers ${offered.slice(0, 100)})`);
      return false;
    }
    const used = pending.authorizedBy;
    // a new nonce (or one marked stale) means "ask again", not "wrong password"
    const fresh = used === undefined || challenge.params.stale?.toLowerCase() === 'true' || (challenge.scheme === 'digest' && challenge.params.nonce !== used.nonce);
    if (!fresh || pending.sends >= MAX_SENDS) {
      this.note(`the RTSP server refused the credentials (401 Unauthorized to ${method} with ${used?.scheme ?? 'no'} authorization)`);
      return false;
    }
    this.authorizer = authorizerFor(challenge, credentials);
    this.send(pending);
    return true;
  }

  private toServer(bytes: Buffer): void {
    if (this.upstream && !this.upstream.destroyed) this.upstream.write(bytes);
  }

  private toClient(bytes: Buffer): void {
    if (this.client && !this.client.destroyed) this.client.write(bytes);
  }

  /** Keeps the first reason; ffmpeg, which gets the server's answer, ends the push. */
  private note(reason: string): void {
    this.reason ??= reason;
  }

  /** Keeps the first reason and closes: ffmpeg's connection ends, so it exits and the push restarts. */
  private fail(reason: string): void {
    if (this.closed) return;
    this.note(reason);
    this.close();
  }
}
