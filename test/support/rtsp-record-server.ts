import { join } from 'node:path';
import { spawnManaged, waitForLine, type ManagedChild } from '../../scripts/support';

export interface RtspRecordServer {
  port: number;
  /** rtsp://<userinfo>@127.0.0.1:<port><path> */
  url(userinfo?: string): string;
  /** where the pushed H.264 is written (MPEG-TS) */
  file: string;
  child: ManagedChild;
  stop(): Promise<void>;
}

const SCRIPT = join(__dirname, '..', '..', '..', 'test', 'support', 'rtsp-record-server.py');

/**
 * Starts rtsp-record-server.py (gst-rtsp-server taking RECORD behind Digest or Basic authentication) and resolves
 * once it listens. The credentials reach it in its environment, which other users cannot read, never in argv.
 */
export async function startRtspRecordServer(options: { auth: 'digest' | 'basic'; credentials: string; path: string; file: string }): Promise<RtspRecordServer> {
  const child = spawnManaged('rtsp-record-server', process.env.VIGIL_SYSTEM_PYTHON ?? '/usr/bin/python3', [SCRIPT, '--auth', options.auth, '--path', options.path, '--file', options.file], {
    stdin: 'pipe',
    env: { ...process.env, VIGIL_RTSP_CREDENTIALS: options.credentials },
  });
  let port: number;
  try {
    port = Number((await waitForLine(child, /^READY \d+$/, 15_000)).split(' ')[1]);
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }
  return {
    port,
    url: (userinfo = '') => `rtsp://${userinfo ? `${userinfo}@` : ''}127.0.0.1:${port}${options.path}`,
    file: options.file,
    child,
    stop: () => child.stop(),
  };
}
