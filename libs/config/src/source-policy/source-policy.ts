import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { classifySource, SourceError, type Source } from '@vigil/contracts';
import { containedPath, notRegularFile } from './media-path';
import { NetworkRules, numericIPv4 } from './network-rules';

/** What the policy is configured with (MEDIA_ROOTS, DEVICE_ALLOW, ALLOWED_NETWORKS). */
export interface SourcePolicyOptions {
  /** absolute folders file sources and image sequences may lie in */
  mediaRoots: readonly string[];
  /** V4L2 devices cameras may open, e.g. /dev/video0 */
  devices: readonly string[];
  /** addresses or networks camera URLs may reach although they are link-local or cloud-metadata ones */
  allowedNetworks: readonly string[];
}

/** Every address a host name resolves to; tests may replace it. */
export type HostResolver = (host: string) => Promise<string[]>;

/** The source to capture (for files: the real path, symlinks resolved), or the field at fault and why. */
export type SourceVerdict = { ok: true; source: Source } | { ok: false; field: 'url' | 'egress.url'; reason: string };

/** The parts of a camera the policy looks at; a record read back from Redis may hold anything. */
export interface PolicyTarget {
  url: unknown;
  egress?: { url?: unknown };
}

/** A name lookup that hangs must not hold a camera's start for good. */
const LOOKUP_TIMEOUT_MS = 5000;

/**
 * Where a camera may read from: files only inside MEDIA_ROOTS, devices only from DEVICE_ALLOW, nothing that a
 * program could take for an option, and no link-local or cloud-metadata address unless ALLOWED_NETWORKS permits it.
 * It depends on configuration and the file system, so it sits beside the zod schema rather than in it, and every
 * boundary applies it: the REST API, the cameras file, and ingest before each capture start (which also resolves
 * host names, so a record written straight into Redis, or a name that points at the metadata service, is refused).
 */
export class SourcePolicy {
  private readonly network: NetworkRules;

  constructor(
    private readonly options: SourcePolicyOptions,
    private readonly resolveHost: HostResolver = resolveAll,
  ) {
    this.network = new NetworkRules(options.allowedNetworks);
  }

  /** What can be decided without the network: the kind rules, paths (real paths) and literal addresses. */
  async check(camera: PolicyTarget): Promise<SourceVerdict> {
    if (camera.egress?.url !== undefined) {
      const problem = typeof camera.egress.url === 'string' ? this.literalHostProblem(camera.egress.url) : 'must be a string';
      if (problem) return refuse('egress.url', problem);
    }
    if (typeof camera.url !== 'string') return refuse('url', 'must be a string');
    if (camera.url.trim().startsWith('-')) return refuse('url', 'must not start with "-" (a program could read it as an option)');
    let source: Source;
    try {
      source = classifySource(camera.url);
    } catch (error) {
      return refuse('url', error instanceof SourceError ? error.message : 'is not a source vigil can read');
    }
    switch (source.kind) {
      case 'test':
      // a panorama reads two other cameras off the frame bus: it reaches no file, device or network of its own
      case 'stitch':
        return { ok: true, source };
      case 'v4l2':
        return this.options.devices.includes(source.location)
          ? { ok: true, source }
          : refuse('url', `device ${source.location} is not in DEVICE_ALLOW (${this.options.devices.join(', ') || 'empty: no device is allowed'})`);
      case 'file':
        return this.checkFile(source);
      case 'sequence':
        return this.checkSequence(source);
      case 'rtsp':
      case 'http': {
        const problem = this.literalHostProblem(source.location);
        return problem ? refuse('url', problem) : { ok: true, source };
      }
    }
  }

  /** check(), then, for a host name, every address it resolves to now: what ingest runs before each capture start. */
  async admit(camera: PolicyTarget): Promise<SourceVerdict> {
    const verdict = await this.check(camera);
    if (!verdict.ok || (verdict.source.kind !== 'rtsp' && verdict.source.kind !== 'http')) return verdict;
    const problem = await this.resolvedHostProblem(verdict.source.location);
    return problem ? refuse('url', problem) : verdict;
  }

  /**
   * Why a push target (an egress URL) must not be reached now: its host, however spelled, or every address its name
   * resolves to now, checked against the blocked networks. What egress runs before each push start.
   */
  async admitTarget(url: string): Promise<string | undefined> {
    return this.literalHostProblem(url) ?? (await this.resolvedHostProblem(url.trim()));
  }

  private async resolvedHostProblem(url: string): Promise<string | undefined> {
    const host = new URL(url).hostname;
    if (literalAddress(host) !== undefined) return undefined;
    let addresses: string[];
    try {
      addresses = await withTimeout(this.resolveHost(host), LOOKUP_TIMEOUT_MS, `no answer within ${LOOKUP_TIMEOUT_MS / 1000} s`);
    } catch (error) {
      return `cannot resolve host "${host}": ${(error as Error).message}`;
    }
    for (const address of addresses) {
      const problem = this.network.problem(address);
      if (problem) return `host "${host}" resolves to ${problem}`;
    }
    return undefined;
  }

  /** Why the URL's host is refused, when it is an address however spelled; undefined for an allowed one or a name. */
  private literalHostProblem(url: string): string | undefined {
    let host: string;
    try {
      host = new URL(url.trim()).hostname;
    } catch {
      return 'is not a valid URL';
    }
    // rtsp:// hosts are not normalised by WHATWG URL: an escape could spell an address the resolver decodes
    if (host.includes('%')) return 'the host must not be percent-encoded (write an international name in its xn-- form)';
    const address = literalAddress(host);
    return address === undefined ? undefined : this.network.problem(address);
  }

  private async checkFile(source: Source): Promise<SourceVerdict> {
    const real = await this.contained(source.location);
    if (real === undefined) return this.outsideRoots(source.location);
    const other = await notRegularFile(real);
    if (other) return refuse('url', `"${source.location}" is ${other}, not a video file`);
    return { ok: true, source: { kind: 'file', location: real } };
  }

  private async checkSequence(source: Source): Promise<SourceVerdict> {
    const folder = dirname(source.location);
    const name = basename(source.location);
    // the location is a printf format: one number conversion of a small width, no other "%" (a %s would crash it)
    if (folder.includes('%') || !/^[^%]*%0?\d{0,2}d[^%]*$/.test(name)) {
      return refuse('url', 'an image sequence names its frames with one %d (or %06d) in the file name and no other "%"');
    }
    const real = await this.contained(folder);
    if (real === undefined) return this.outsideRoots(source.location);
    return { ok: true, source: { kind: 'sequence', location: join(real, name) } };
  }

  private contained(path: string): Promise<string | undefined> {
    return path.startsWith('/') ? containedPath(path, this.options.mediaRoots) : Promise.resolve(undefined);
  }

  private outsideRoots(location: string): SourceVerdict {
    const where = location.startsWith('/') ? 'is not inside' : 'is not an absolute path inside';
    return refuse('url', `"${location}" ${where} MEDIA_ROOTS (${this.options.mediaRoots.join(', ')})`);
  }
}

/** The field and reason in one line, as a 400 or a log line shows it. */
export function describeRefusal(verdict: Extract<SourceVerdict, { ok: false }>): string {
  return `${verdict.field}: ${verdict.reason}`;
}

function refuse(field: 'url' | 'egress.url', reason: string): SourceVerdict {
  return { ok: false, field, reason };
}

/** The address a URL host is, however spelled (`[::1]`, `2852039166`), or undefined for a name. */
function literalAddress(host: string): string | undefined {
  const bare = host.replace(/^\[|\]$/g, '');
  return isIP(bare) !== 0 ? bare : numericIPv4(bare);
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
