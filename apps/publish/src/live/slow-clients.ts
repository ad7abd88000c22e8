import type { Socket } from 'socket.io';

/**
 * Packets engine.io holds for a client because its transport is not writable (the client is not
 * reading, so TCP pushes back). Not in socket.io's typings, but the documented way to detect it.
 */
export function queuedPackets(socket: Socket | undefined): number {
  return (socket?.conn as unknown as { writeBuffer?: unknown[] } | undefined)?.writeBuffer?.length ?? 0;
}
