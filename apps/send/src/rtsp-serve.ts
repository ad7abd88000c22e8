import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { StderrTail } from '@vigil/kernel/process';
import type { VideoCodec } from '@vigil/contracts';
import { trackChild } from '@vigil/media/child-processes';
import type { ServeAddress } from './send-target';

/** python3-gi and the GstRtspServer typelib are Debian packages, which a pyenv or venv python cannot see */
export const SYSTEM_PYTHON = '/usr/bin/python3';
const SCRIPT = 'apps/send/rtsp-server.py';
const READY_MS = 15_000;

/** The server script, found from the compiled file upwards (dist/apps/send/src/ lies inside the repository). */
export function rtspServerScript(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, SCRIPT);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`cannot find ${SCRIPT} above ${__dirname}`);
  }
}

/**
 * vigil's RTSP server (apps/send/rtsp-server.py, gst-rtsp-server) serving the stream written to it at one mount: the
 * sender's --serve. Its launch line is fixed inside the script (appsrc ! parse ! pay): nothing of the source, not
 * even its path, reaches GStreamer's parser; the mount path is a checked word. It listens until stop(), and quits by
 * itself when our end of its stdin closes (we died).
 */
export class RtspServe {
  private constructor(private readonly child: ChildProcessByStdio<Writable, Readable, Readable>, readonly port: number, readonly exited: Promise<string>) {}

  static async start(bind: ServeAddress, codec: VideoCodec, python = SYSTEM_PYTHON): Promise<RtspServe> {
    const args = [rtspServerScript(), '--address', bind.address, '--port', String(bind.port), '--feed', `${bind.path}=${codec}`];
    const child = trackChild(spawn(python, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true }));
    const tail = new StderrTail({ maxLines: 8 });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => tail.write(chunk));
    // a server gone at once (the port in use) closes stdin under a write
    child.stdin.on('error', () => undefined);
    const exited = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(`could not start ${python}: ${error.message} (the RTSP server needs python3-gi and gir1.2-gst-rtsp-server-1.0)`));
      child.once('close', (code, signal) => {
        tail.end();
        const words = tail.lines().filter((line) => !line.startsWith('rtsp-server: feed ')).join(' | ');
        resolve(`the RTSP server ${signal ? `ended by ${signal}` : `exited with code ${code}`}${words ? `: ${words}` : ''}`);
      });
    });
    const port = await new Promise<number | string>((resolve) => {
      const lines = createInterface({ input: child.stdout });
      const timer = setTimeout(() => resolve(`the RTSP server did not listen within ${READY_MS / 1000} s`), READY_MS);
      lines.on('line', (line) => {
        const match = /^READY (\d+)$/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
      });
      void exited.then((why) => {
        clearTimeout(timer);
        resolve(why);
      });
    });
    if (typeof port === 'string') {
      child.kill('SIGKILL');
      throw new Error(port);
    }
    return new RtspServe(child, port, exited);
  }

  /** The stream's bytes; false when the server's pipe is full (wait for 'drain' on `input`). */
  write(chunk: Buffer): boolean {
    return this.child.stdin.write(chunk);
  }

  get input(): Writable {
    return this.child.stdin;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}
