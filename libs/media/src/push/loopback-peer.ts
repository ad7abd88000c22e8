import { readdir, readFile, readlink } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { Socket } from 'node:net';

export interface Endpoint {
  address: string;
  port: number;
}

/**
 * Whether the other end of `socket` (accepted on 127.0.0.1) is a socket that process `pid` holds. Any local user
 * can connect to a loopback port, so a relay that hands out credentials must know who is on the line: the kernel's
 * table of TCP sockets (/proc/net/tcp) gives the inode of the socket at the peer's end, and /proc/<pid>/fd lists the
 * sockets of the process. Linux only; elsewhere nothing is ever admitted.
 */
export async function peerHeldBy(socket: Socket, pid: number): Promise<boolean> {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (process.platform !== 'linux' || !remoteAddress || !remotePort || !localAddress || !localPort) return false;
  const table = await readFile('/proc/net/tcp', 'latin1');
  // the peer's socket is the row whose local end is the peer, and whose remote end is us
  const inode = socketInode(table, { address: remoteAddress, port: remotePort }, { address: localAddress, port: localPort });
  if (inode === undefined) return false;
  const wanted = `socket:[${inode}]`;
  const fds = await readdir(`/proc/${pid}/fd`);
  const links = await Promise.all(fds.map((fd) => readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')));
  return links.includes(wanted);
}

const ESTABLISHED = '01';

/**
 * The inode of the established IPv4 socket from `local` to `remote` in a /proc/net/tcp listing, or undefined. The
 * kernel prints an address as the hex of its 32 bits read in the machine's byte order (127.0.0.1 is 0100007F on
 * little-endian machines), a port as plain hex.
 */
export function socketInode(table: string, local: Endpoint, remote: Endpoint, order: 'LE' | 'BE' = endianness()): string | undefined {
  const want = (endpoint: Endpoint) => `${hexAddress(endpoint.address, order)}:${endpoint.port.toString(16).toUpperCase().padStart(4, '0')}`;
  const [from, to] = [want(local), want(remote)];
  for (const line of table.split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    if (fields[1] === from && fields[2] === to && fields[3] === ESTABLISHED && /^[1-9]\d*$/.test(fields[9] ?? '')) return fields[9];
  }
  return undefined;
}

function hexAddress(address: string, order: 'LE' | 'BE'): string {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255)) return 'not an IPv4 address';
  const bytes = Buffer.from(parts);
  const value = order === 'LE' ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0);
  return value.toString(16).toUpperCase().padStart(8, '0');
}
