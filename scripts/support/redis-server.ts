import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { spawnManaged, waitForLine, type ManagedChild } from './child';
import { requireExecutable } from './executable';
import { freePort } from './free-port';

export interface RedisServerOptions {
  /** Fixed port; when omitted a free one is picked (and retried if another process grabs it). */
  port?: number;
  /** How long to wait for the first PONG. Default 10 s. */
  startTimeoutMs?: number;
  /** Mirror redis-server's log to our stderr. */
  echo?: boolean;
  /** requirepass: clients must AUTH, and `url` carries the password (redis://:<password>@...). Letters, digits, - and _ only. */
  password?: string;
  /**
   * Keep the data in this folder (append-only file): a server started again on the same port and folder comes back
   * with it, as a production Redis restarts. `save()` stops it with SHUTDOWN SAVE. Default: no persistence (a
   * temporary folder nothing is written to).
   */
  dataDir?: string;
}

export interface RedisServerHandle {
  url: string;
  port: number;
  child: ManagedChild;
  stop(): Promise<void>;
  /** Stops the server the way a restart with persistence does: the data is written to `dataDir` first. */
  save(): Promise<void>;
}

const POLL_INTERVAL_MS = 50;

/** Starts a throwaway redis-server (no persistence unless `dataDir`, bound to 127.0.0.1) and waits until it answers PING. */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = requireExecutable('redis-server', 'Install it with `apt-get install redis-server` (Debian) or put it on PATH.');
  // Only a port we picked ourselves may be swapped for another one after a bind race.
  const attempts = opts.port === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await startOnPort(binary, port, opts);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

async function startOnPort(binary: string, port: number, opts: RedisServerOptions): Promise<RedisServerHandle> {
  const { password } = opts;
  if (password !== undefined && !/^[A-Za-z0-9_-]+$/.test(password)) throw new RangeError('redis password: letters, digits, - and _ only');
  const child = spawnManaged(`redis-server:${port}`, binary, [
    ...(password === undefined ? [] : ['--requirepass', password]),
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    '--appendonly', opts.dataDir === undefined ? 'no' : 'yes',
    '--daemonize', 'no',
    // Without dataDir nothing should be written, but if it ever is, keep it out of the working tree.
    '--dir', opts.dataDir ?? tmpdir(),
  ], { echo: opts.echo });

  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  try {
    // Our own log line, not just a PONG: a PONG alone could come from a foreign redis that
    // already owned the port while ours is failing with "Address already in use".
    await waitForLine(child, /Ready to accept connections/, timeoutMs);
    while (!(await answersPing(port, '127.0.0.1', 500, password))) {
      if (!child.running || Date.now() > deadline) {
        throw new Error(`redis-server did not answer PING on port ${port} within ${timeoutMs} ms: ${child.describe()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
    }
  } catch (err) {
    await child.stop('SIGKILL');
    throw err;
  }

  return {
    url: password === undefined ? `redis://127.0.0.1:${port}` : `redis://:${password}@127.0.0.1:${port}`,
    port,
    child,
    stop: () => child.stop(),
    save: async () => {
      if (opts.dataDir === undefined) throw new Error('redis-server: save() needs a dataDir');
      await sendCommands(port, [...(password === undefined ? [] : [`AUTH ${password}`]), 'SHUTDOWN SAVE']);
      await child.exited;
    },
  };
}

/** Writes inline commands and waits for the server to close the connection (SHUTDOWN does) or 5 s. */
function sendCommands(port: number, commands: string[]): Promise<void> {
  return new Promise<void>((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(5000, () => socket.destroy());
    socket.once('error', () => resolve());
    socket.once('close', () => resolve());
    socket.once('connect', () => socket.write(commands.map((command) => `${command}\r\n`).join('')));
  });
}

/** Sends an inline PING (after AUTH, given a password) over a raw socket; true on +PONG. Errors mean "not yet". */
export function answersPing(port: number, host = '127.0.0.1', timeoutMs = 500, password?: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const socket = connect({ port, host });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write(password === undefined ? 'PING\r\n' : `AUTH ${password}\r\nPING\r\n`));
    const expected = password === undefined ? 1 : 2;
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      const lines = reply.split('\r\n');
      if (lines.length > expected) finish(lines[expected - 1]!.startsWith('+PONG'));
    });
  });
}
