import { isIP } from 'node:net';

/**
 * The part of a client address that rate limits count against: an IPv4 address whole, an IPv6 address by its /64.
 * One subscriber is routinely handed a whole /64, so counting single IPv6 addresses would give an attacker 2^64
 * fresh budgets. An IPv4-mapped IPv6 address counts as its IPv4 address. Text that is not an address is one bucket.
 */
export function addressBucket(address: string): string {
  const plain = address.replace(/%.*$/, ''); // a zone index (fe80::1%eth0) names the interface, not the host
  const family = isIP(plain);
  if (family === 4) return plain;
  if (family !== 6) return 'not-an-address';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(plain);
  if (mapped) return mapped[1]!;
  return `${expandIPv6(plain).slice(0, 4).join(':')}::/64`;
}

/** The eight groups of a valid IPv6 address, each as a plain lower-case number (an embedded IPv4 tail counts as two). */
function expandIPv6(address: string): string[] {
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':').flatMap((group) => (group.includes('.') ? ['v4', 'v4'] : [group])));
  const [head, tail] = address.split('::') as [string, string | undefined];
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const zeros = Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => (group === 'v4' ? group : parseInt(group, 16).toString(16)));
}
