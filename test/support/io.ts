import { io as connect, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import { adminTokenFor } from '../../scripts/support';

/**
 * socket.io-client's `io`, connecting as the admin of a vigil this process started (its ADMIN_TOKEN in the
 * handshake's `auth`), unless the options carry an `auth` of their own: access-control tests pass theirs.
 */
export function io(url: string, options: Partial<ManagerOptions & SocketOptions> = {}): Socket {
  const token = adminTokenFor(url);
  return connect(url, token !== undefined && options.auth === undefined ? { ...options, auth: { token } } : options);
}

export type { Socket };

/**
 * A viewer of one camera that subscribes again after every reconnect, as the web page does: what a fault test
 * watches across an outage. Resolves once the first subscription was acknowledged.
 */
export async function viewerOf(url: string, camera: string): Promise<Socket> {
  const socket = io(url, { transports: ['websocket'] });
  socket.on('connect', () => void socket.timeout(10_000).emitWithAck('subscribe', { camera } as never).catch(() => undefined));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('connect_error', reject));
  const ack = (await socket.timeout(10_000).emitWithAck('subscribe', { camera } as never)) as { ok: boolean; error?: string };
  if (!ack.ok) throw new Error(`cannot watch camera ${camera}: ${ack.error}`);
  return socket;
}
