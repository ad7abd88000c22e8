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
