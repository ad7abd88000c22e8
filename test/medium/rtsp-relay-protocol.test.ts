/**
 * The RTSP relay's protocol work against a scripted RTSP server, with this test process as the client (the relay
 * admits it by its pid, through the real /proc check): Digest with qop=auth checked by the server's own arithmetic,
 * a stale nonce, CSeq numbering, the 401 kept from the client, interleaved bytes both ways intact through a server
 * that stopped reading for a while, a client that is not the admitted process, and a server message over the limits.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { parseChallenges } from '../../libs/media/src/push/rtsp-auth';
import { headerValues, requestOf, RTSP_LIMITS, type RtspMessage } from '../../libs/media/src/push/rtsp-message';
import { RtspRelay } from '../../libs/media/src/push/rtsp-relay';
import { RtspSplitter } from '../../libs/media/src/push/rtsp-splitter';
import { rtspTarget } from '../../libs/media/src/push/rtsp-target';
import { waitFor } from '../support/wait';

const USER = 'cam';
const PASSWORD = 'Sesame-42';
const REALM = 'scripted';
const md5 = (text: string) => createHash('md5').update(text).digest('hex');

type Answer = (request: RtspMessage, server: ScriptedServer) => string | undefined;

/** An RTSP server whose answers a test writes; it records requests and the interleaved bytes it got. */
class ScriptedServer {
  readonly requests: RtspMessage[] = [];
  frames: Buffer[] = [];
  socket?: Socket;
  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(answer: Answer): Promise<ScriptedServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const scripted = new ScriptedServer(server, (server.address() as { port: number }).port);
    server.on('connection', (socket) => {
      scripted.socket = socket;
      socket.on('error', () => undefined);
      const splitter = new RtspSplitter(RTSP_LIMITS);
      socket.on('data', (chunk: Buffer) => {
        for (const piece of splitter.push(chunk)) {
          if (piece.kind === 'data') {
            scripted.frames.push(Buffer.from(piece.bytes));
            continue;
          }
          scripted.requests.push(piece.message);
          const reply = answer(piece.message, scripted);
          if (reply !== undefined) socket.write(reply);
        }
      });
    });
    return scripted;
  }

  url(): string {
    return `rtsp://${USER}:${PASSWORD}@127.0.0.1:${this.port}/live/yard`;
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function cseq(request: RtspMessage): string {
  return headerValues(request, 'cseq')[0] ?? '';
}

function reply(request: RtspMessage, status: string, headers: string[] = []): string {
  return [`RTSP/1.0 ${status}`, `CSeq: ${cseq(request)}`, ...headers, '', ''].join('\r\n');
}

/** Checks a Digest qop=auth Authorization the way a server does; the nonce counts it saw, per nonce. */
function digestValid(request: RtspMessage, nonce: string, counts: Map<string, string[]>): boolean {
  const header = headerValues(request, 'authorization')[0];
  if (!header?.startsWith('Digest ')) return false;
  const p = parseChallenges([header])[0]!.params;
  const { method, uri } = requestOf(request)!;
  if (p.username !== USER || p.realm !== REALM || p.nonce !== nonce || p.uri !== uri || p.qop !== 'auth' || !p.nc || !p.cnonce) return false;
  counts.set(nonce, [...(counts.get(nonce) ?? []), p.nc]);
  const expected = md5(`${md5(`${USER}:${REALM}:${PASSWORD}`)}:${nonce}:${p.nc}:${p.cnonce}:auth:${md5(`${method}:${uri}`)}`);
  return p.response === expected;
}

/** The client side, as ffmpeg would speak it: one request at a time, each answer read before the next. */
class Client {
  readonly answers: RtspMessage[] = [];
  readonly frames: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(readonly socket: Socket) {
    const splitter = new RtspSplitter(RTSP_LIMITS);
    socket.on('data', (chunk: Buffer) => {
      for (const piece of splitter.push(chunk)) {
        if (piece.kind === 'data') this.frames.push(Buffer.from(piece.bytes));
        else this.answers.push(piece.message);
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static async connect(relay: RtspRelay): Promise<Client> {
    const socket = connect({ host: '127.0.0.1', port: Number(new URL(relay.url).port) });
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new Client(socket);
  }

  async ask(text: string): Promise<RtspMessage> {
    const count = this.answers.length;
    this.socket.write(text);
    while (this.answers.length === count) {
      if (this.closed) throw new Error('the relay closed the connection');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.answers[count]!;
  }
}

let relay: RtspRelay | undefined;
let server: ScriptedServer | undefined;

afterEach(async () => {
  relay?.close();
  await server?.close();
  relay = undefined;
  server = undefined;
});

async function relayTo(scripted: ScriptedServer): Promise<{ relay: RtspRelay; client: Client }> {
  relay = await RtspRelay.open(rtspTarget(scripted.url()));
  // this test process is the relay's "ffmpeg": its own socket passes the /proc check
  relay.admit(process.pid);
  return { relay, client: await Client.connect(relay) };
}

describe('RtspRelay against a scripted server', () => {
  test('Digest with qop=auth: the server checks every request, the 401 never reaches the client, CSeq is numbered anew', async () => {
    const nonce = randomBytes(8).toString('hex');
    const counts = new Map<string, string[]>();
    server = await ScriptedServer.start((request) => {
      if (!digestValid(request, nonce, counts)) return reply(request, '401 Unauthorized', [`WWW-Authenticate: Basic realm="${REALM}"`, `WWW-Authenticate: Digest realm="${REALM}", nonce="${nonce}", qop="auth,auth-int", algorithm=MD5`]);
      return reply(request, '200 OK', requestOf(request)!.method === 'SETUP' ? ['Transport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record', 'Session: 77'] : []);
    });
    const { relay: opened, client } = await relayTo(server);
    const base = opened.url;
    const options = await client.ask(`OPTIONS ${base} RTSP/1.0\r\nCSeq: 1\r\nUser-Agent: Lavf\r\n\r\n`);
    assert.equal(options.startLine, 'RTSP/1.0 200 OK');
    assert.deepEqual(headerValues(options, 'cseq'), ['1']);
    const setup = await client.ask(`SETUP ${base}/streamid=0 RTSP/1.0\r\nCSeq: 2\r\nTransport: RTP/AVP/TCP;unicast;interleaved=0-1;mode=record\r\n\r\n`);
    assert.equal(setup.startLine, 'RTSP/1.0 200 OK');
    assert.deepEqual(headerValues(setup, 'cseq'), ['2']);
    assert.deepEqual(headerValues(setup, 'session'), ['77']);
    // the server saw OPTIONS twice (without, then with authorization), then SETUP once, at the real URL
    assert.deepEqual(server.requests.map((request) => request.startLine), [
      `OPTIONS rtsp://127.0.0.1:${server.port}/live/yard RTSP/1.0`, `OPTIONS rtsp://127.0.0.1:${server.port}/live/yard RTSP/1.0`, `SETUP rtsp://127.0.0.1:${server.port}/live/yard/streamid=0 RTSP/1.0`,
    ]);
    assert.deepEqual(server.requests.map(cseq), ['1', '2', '3']);
    assert.deepEqual(counts.get(nonce), ['00000001', '00000002']);
    assert.deepEqual(client.answers.map((answer) => answer.startLine), ['RTSP/1.0 200 OK', 'RTSP/1.0 200 OK']);
    assert.equal(opened.failure, undefined);
  });

  test('a stale nonce is answered with the new one; a refusal after that is reported, and the client gets the 401', async () => {
    let nonce = 'first';
    let refuse = false;
    const counts = new Map<string, string[]>();
    server = await ScriptedServer.start((request) => {
      const method = requestOf(request)!.method;
      if (method === 'SETUP' && nonce === 'first' && digestValid(request, nonce, counts)) {
        nonce = 'second';
        return reply(request, '401 Unauthorized', [`WWW-Authenticate: Digest realm="${REALM}", nonce="${nonce}", qop=auth, stale=TRUE`]);
      }
      if (refuse || !digestValid(request, nonce, counts)) return reply(request, '401 Unauthorized', [`WWW-Authenticate: Digest realm="${REALM}", nonce="${nonce}", qop=auth`]);
      return reply(request, '200 OK');
    });
    const { relay: opened, client } = await relayTo(server);
    assert.equal((await client.ask(`OPTIONS ${opened.url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`)).startLine, 'RTSP/1.0 200 OK');
    assert.equal((await client.ask(`SETUP ${opened.url}/streamid=0 RTSP/1.0\r\nCSeq: 2\r\n\r\n`)).startLine, 'RTSP/1.0 200 OK');
    assert.deepEqual(counts.get('second'), ['00000001']);
    assert.equal(opened.failure, undefined);
    refuse = true;
    const refused = await client.ask(`RECORD ${opened.url} RTSP/1.0\r\nCSeq: 3\r\n\r\n`);
    assert.equal(refused.startLine, 'RTSP/1.0 401 Unauthorized');
    assert.deepEqual(headerValues(refused, 'cseq'), ['3']);
    assert.equal(opened.failure, 'the RTSP server refused the credentials (401 Unauthorized to RECORD with Digest authorization)');
  });

  test('interleaved bytes pass both ways unchanged, also when the server stopped reading for a while', async () => {
    server = await ScriptedServer.start((request) => reply(request, '200 OK'));
    const { relay: opened, client } = await relayTo(server);
    await client.ask(`RECORD ${opened.url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`);
    const sent: Buffer[] = [];
    for (let i = 0; i < 400; i += 1) {
      const payload = randomBytes(1 + ((i * 7919) % 60_000));
      const head = Buffer.from([0x24, i % 2, 0, 0]);
      head.writeUInt16BE(payload.length, 2);
      sent.push(head, payload);
    }
    const total = sent.reduce((sum, part) => sum + part.length, 0);
    server.socket!.pause();
    for (const part of sent) client.socket.write(part);
    // about 12 MB: more than the socket buffers hold, so the relay has to hold off reading the client (a pause, no
    // event to wait for; nothing is asserted on it)
    await new Promise((resolve) => setTimeout(resolve, 300));
    server.socket!.resume();
    await waitFor('every byte at the server', () => server!.frames.reduce((sum, part) => sum + part.length, 0) >= total, 30_000);
    assert.ok(Buffer.concat(server.frames).equals(Buffer.concat(sent)));
    // RTCP back from the server, cut across writes
    const rtcp = Buffer.concat([Buffer.from([0x24, 1, 0, 28]), randomBytes(28)]);
    server.socket!.write(rtcp.subarray(0, 3));
    server.socket!.write(rtcp.subarray(3));
    await waitFor('the RTCP at the client', () => Buffer.concat(client.frames).equals(rtcp), 10_000);
    assert.equal(opened.failure, undefined);
  });

  test('a server message over the limits ends the relay with a reason, and the client connection with it', async () => {
    server = await ScriptedServer.start((request) => `RTSP/1.0 200 OK\r\nCSeq: ${cseq(request)}\r\nX-Pad: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
    const { relay: opened, client } = await relayTo(server);
    await assert.rejects(client.ask(`OPTIONS ${opened.url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`), /closed the connection/);
    assert.equal(opened.failure, 'the RTSP server sent what the RTSP relay cannot pass on: an RTSP head over the 16384 byte limit');
  });

  test('a server that asks for credentials the url does not have: reported, the 401 passed on', async () => {
    server = await ScriptedServer.start((request) => reply(request, '401 Unauthorized', ['WWW-Authenticate: Basic realm="x"']));
    relay = await RtspRelay.open(rtspTarget(`rtsp://127.0.0.1:${server.port}/live/yard`));
    relay.admit(process.pid);
    const client = await Client.connect(relay);
    const answer = await client.ask(`OPTIONS ${relay.url} RTSP/1.0\r\nCSeq: 5\r\n\r\n`);
    assert.equal(answer.startLine, 'RTSP/1.0 401 Unauthorized');
    assert.equal(relay.failure, 'the RTSP server asks for a user and password (401 Unauthorized to OPTIONS), and the url has none');
  });

  test('a client that is not the admitted process is refused, and nothing is read from it', async () => {
    server = await ScriptedServer.start((request) => reply(request, '200 OK'));
    relay = await RtspRelay.open(rtspTarget(server.url()));
    // pid 1 holds no socket of ours: this process's connection is a stranger's
    relay.admit(1);
    const client = await Client.connect(relay);
    await assert.rejects(client.ask(`OPTIONS ${relay.url} RTSP/1.0\r\nCSeq: 1\r\n\r\n`), /closed the connection/);
    assert.equal(relay.refused, 1);
    assert.equal(server.requests.length, 0);
  });
});
