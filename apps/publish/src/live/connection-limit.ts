import type { Server } from 'socket.io';
import { AddressSlots, clientAddress } from '@vigil/platform';

/** How long a connection past the limit stays open, so that a Socket.IO client hears why it was refused. */
const REFUSED_GRACE_MS = 1000;

/** The engine.io connection under a Socket.IO socket, as far as the limit needs it. */
interface EngineConnection {
  remoteAddress: string;
  request: { headers: import('node:http').IncomingHttpHeaders };
  once(event: 'close', listener: () => void): unknown;
  close(): void;
}

/**
 * At most `max` connections per client address (SOCKETS_PER_ADDRESS_MAX), counted on engine.io connections: a
 * client that never joins a namespace holds one as well, for as long as Socket.IO's connect timeout (45 s by
 * default), and a limit on Socket.IO sockets alone would never see it. One past the limit is told why by the
 * namespace middleware (`connect_error`) and closed a moment later whatever it does.
 */
export function limitConnectionsPerAddress(server: Server, options: { max: number; trustProxyHops: number; onRefused: () => void }): AddressSlots {
  const slots = new AddressSlots(options.max);
  const refused = new WeakMap<object, string>();
  server.engine.on('connection', (connection: EngineConnection) => {
    const address = clientAddress({ address: connection.remoteAddress, headers: connection.request.headers }, options.trustProxyHops);
    if (slots.take(address)) {
      connection.once('close', () => slots.release(address));
      return;
    }
    options.onRefused();
    refused.set(connection, address);
    const timer = setTimeout(() => connection.close(), REFUSED_GRACE_MS);
    connection.once('close', () => clearTimeout(timer));
  });
  server.use((socket, next) => {
    const address = refused.get(socket.conn);
    if (address === undefined) next();
    else next(new Error(`too many connections from ${address}: SOCKETS_PER_ADDRESS_MAX is ${slots.max}`));
  });
  return slots;
}
