import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnManaged, waitForLine, type ManagedChild } from './child';
import { freePort } from './free-port';

export interface RtmpServerOptions {
  /** Fixed port (a restart reuses it); omitted: a free one. */
  port?: number;
  /** Default 15 s. */
  startTimeoutMs?: number;
  echo?: boolean;
}

export interface RtmpServerHandle {
  port: number;
  /** rtmp://127.0.0.1:<port>/<app>/<stream>, e.g. url('live/yard') */
  url(path: string): string;
  child: ManagedChild;
  stop(): Promise<void>;
}

/** Whether node-media-server (a devDependency) is installed, so startRtmpServer can run. */
export function rtmpServerAvailable(): boolean {
  try {
    require.resolve('node-media-server/bin/app.js');
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a real RTMP server (node-media-server, a devDependency) in a child process on 127.0.0.1, so tests can stop
 * and restart it on the same port. Its store and its rewritten config live in a temporary folder.
 */
export async function startRtmpServer(opts: RtmpServerOptions = {}): Promise<RtmpServerHandle> {
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'vigil-rtmp-'));
  const config = join(dir, 'config.json');
  // only RTMP and the HTTP port it insists on: no RTMPS/HTTPS on their fixed default ports, no admin page
  writeFileSync(config, JSON.stringify({
    bind: '127.0.0.1',
    store: { path: join(dir, 'data') },
    auth: { play: false, publish: false, secret: '' },
    rtmp: { port },
    http: { port: await freePort() },
    webadmin: { enable: false },
    record: { auto: false, path: join(dir, 'record') },
  }));
  const entry = require.resolve('node-media-server/bin/app.js');
  const child = spawnManaged(`rtmp-server:${port}`, process.execPath, [entry, '-c', config], { echo: opts.echo });
  const stop = async (): Promise<void> => {
    await child.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForLine(child, /Rtmp Server listening on port/, opts.startTimeoutMs ?? 15_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, url: (path) => `rtmp://127.0.0.1:${port}/${path.replace(/^\/+/, '')}`, child, stop };
}
