import { BlockList, isIP } from 'node:net';

/**
 * Where a camera URL may not point unless ALLOWED_NETWORKS says so: link-local IPv4 (169.254.169.254 is the
 * metadata service of AWS, GCP, Azure and OpenStack), link-local IPv6, AWS's IPv6 metadata address and Alibaba's
 * metadata address. A request there from the server hands out the machine's cloud credentials.
 */
export const BLOCKED_NETWORKS: readonly string[] = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128', '100.100.100.200/32'];

interface Network {
  text: string;
  list: BlockList;
}

/** Decides which addresses camera URLs may reach: the blocked networks, less the allowed ones. */
export class NetworkRules {
  private readonly blocked: Network[];
  private readonly allowed: BlockList;

  constructor(allowedNetworks: readonly string[] = []) {
    this.blocked = BLOCKED_NETWORKS.map((text) => ({ text, list: blockListOf([text]) }));
    this.allowed = blockListOf(allowedNetworks);
  }

  /**
   * Why this address is refused, or undefined. IPv6 forms that carry an IPv4 address (IPv4-mapped, -compatible,
   * NAT64, 6to4) are checked as that IPv4 address too: `::ffff:169.254.169.254` reaches the same service.
   */
  problem(address: string): string | undefined {
    const plain = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
    const family = isIP(plain);
    if (family === 0) return `"${address}" is not an IP address`;
    const candidates: [string, 'ipv4' | 'ipv6'][] = [[plain, family === 4 ? 'ipv4' : 'ipv6']];
    const embedded = family === 6 ? embeddedIPv4(plain) : undefined;
    if (embedded) candidates.push([embedded, 'ipv4']);
    for (const [candidate, type] of candidates) {
      const network = this.blocked.find((each) => each.list.check(candidate, type));
      if (network && !this.allowed.check(candidate, type)) {
        const shown = embedded ? `${plain} (${embedded})` : plain;
        return `${shown} is in ${network.text} (link-local or cloud metadata; ALLOWED_NETWORKS can permit it)`;
      }
    }
    return undefined;
  }
}

/** "a.b.c.d/n", "a:b::/n" or a single address -> [address, prefix, family]; throws on anything else. */
export function parseNetwork(text: string): [string, number, 'ipv4' | 'ipv6'] {
  const [address = '', prefixText, extra] = text.trim().split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (family === 0 || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
    throw new Error(`"${text}" is not an address or a network such as 10.0.0.0/8 or fd00::/8`);
  }
  return [address, prefix, family === 4 ? 'ipv4' : 'ipv6'];
}

function blockListOf(networks: readonly string[]): BlockList {
  const list = new BlockList();
  for (const text of networks) {
    const [address, prefix, type] = parseNetwork(text);
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** The IPv4 address an IPv6 address stands for, where it stands for one. */
export function embeddedIPv4(address: string): string | undefined {
  const groups = ipv6Groups(address);
  if (!groups) return undefined;
  const zero = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  const v4 = (high: number, low: number) => [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT), ::a.b.c.d (compatible), 64:ff9b::a.b.c.d (NAT64)
  if (zero(0, 5) && groups[5] === 0xffff) return v4(groups[6]!, groups[7]!);
  if (zero(0, 4) && groups[4] === 0xffff && groups[5] === 0) return v4(groups[6]!, groups[7]!);
  if (zero(0, 6) && (groups[6] !== 0 || groups[7]! > 1)) return v4(groups[6]!, groups[7]!);
  if (groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6)) return v4(groups[6]!, groups[7]!);
  // 2002:AABB:CCDD::/48 is 6to4 for AA.BB.CC.DD
  if (groups[0] === 0x2002) return v4(groups[1]!, groups[2]!);
  return undefined;
}

/** The eight 16-bit groups of a valid IPv6 address (a trailing dotted quad included). */
function ipv6Groups(address: string): number[] | undefined {
  if (isIP(address) !== 6) return undefined;
  let text = address.toLowerCase();
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The IPv4 address a host name spells, the way the C library's resolver reads it (inet_aton): `2852039166`,
 * `0xA9FEA9FE`, `0251.0376.0251.0376` and `169.254.43518` are all 169.254.169.254. WHATWG URL normalises these for
 * http(s) only; rtsp:// hosts stay as written and reach GStreamer's resolver like that.
 */
export function numericIPv4(host: string): string | undefined {
  const parts = host.replace(/\.$/, '').split('.');
  if (parts.length > 4) return undefined;
  const values = parts.map(numericPart);
  if (values.some((value) => value === undefined)) return undefined;
  const numbers = values as number[];
  const last = numbers.pop()!;
  if (numbers.some((value) => value > 255) || last >= 2 ** (8 * (4 - numbers.length))) return undefined;
  const bytes = [...numbers];
  for (let shift = 8 * (3 - numbers.length); shift >= 0; shift -= 8) bytes.push(Math.floor(last / 2 ** shift) % 256);
  return bytes.join('.');
}

function numericPart(part: string): number | undefined {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]*$/.test(part)) return parseInt(part, 8);
  if (/^[1-9]\d*$/.test(part)) return Number(part);
  return undefined;
}
