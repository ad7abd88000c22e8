import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * The address a connection counts against (SOCKETS_PER_ADDRESS_MAX). X-Forwarded-For is anyone's to write, so it
 * is read only as far as TRUST_PROXY_HOPS proxies of ours vouch for it: with 0 the peer address, with N the address
 * N hops back along [...X-Forwarded-For, peer] (what the farthest trusted proxy saw). A value that is not an IP
 * address counts as the peer.
 */
export function clientAddress(handshake: { address: string; headers: IncomingHttpHeaders }, trustHops: number): string {
  const peer = plain(handshake.address);
  if (trustHops === 0) return peer;
  const header = handshake.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((part) => part.trim()).filter(Boolean);
  const chain = [...forwarded, peer];
  const address = plain(chain[Math.max(0, chain.length - 1 - trustHops)]!);
  return isIP(address) ? address : peer;
}

/** `::ffff:10.0.0.1` is 10.0.0.1: one client must not get two counts for one address. */
function plain(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Connections held per address, at most `max` each. */
export class AddressSlots {
  private readonly held = new Map<string, number>();

  constructor(readonly max: number) {}

  take(address: string): boolean {
    const count = this.held.get(address) ?? 0;
    if (count >= this.max) return false;
    this.held.set(address, count + 1);
    return true;
  }

  release(address: string): void {
    const count = (this.held.get(address) ?? 0) - 1;
    if (count > 0) this.held.set(address, count);
    else this.held.delete(address);
  }

  count(address: string): number {
    return this.held.get(address) ?? 0;
  }
}
