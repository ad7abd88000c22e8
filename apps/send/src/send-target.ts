import { isIP } from 'node:net';
import { codecTargetProblem, egressProtocol, egressUrlProblem, type VideoCodec } from '@vigil/contracts';
import { rtspTarget } from '@vigil/media/push';
import { SEND_DEFAULTS } from './send-defaults';
import { UsageError } from './usage-error';

/** Where the sender's stream goes: pushed to a server, or served by vigil's own RTSP server. */
export type SendTarget = { kind: 'push'; url: string } | { kind: 'serve'; bind: ServeAddress };

export interface ServeAddress {
  /** what the server listens on: an IP address, or `localhost` */
  address: string;
  port: number;
  /** the mount path, `/name` */
  path: string;
}

// what apps/send/rtsp-server.py accepts too: segments of unreserved characters, no query
const MOUNT_PATH = /^(\/[A-Za-z0-9._~-]+){1,8}$/;
const MOUNT_PATH_CHARS = 200;

/**
 * A push target as the egress schema takes it (rtmp://, rtmps://, rtsp://; an RTMP URL without user:password, which
 * ffmpeg would show to every user), in a codec it can carry.
 */
export function parsePushTarget(url: string, codec: VideoCodec): SendTarget {
  const problem = egressUrlProblem(url);
  if (problem) throw new UsageError(`the target: ${problem}`);
  const codecProblem = codecTargetProblem(codec, url);
  if (codecProblem) throw new UsageError(codecProblem);
  if (egressProtocol(url) === 'rtsp') {
    try {
      // what the relay will connect to: a bad host, port or path is a usage error now, not a failure at every retry
      rtspTarget(url);
    } catch (error) {
      throw new UsageError(`the target: ${(error as Error).message}`);
    }
  }
  return { kind: 'push', url };
}

/** `--serve rtsp://ADDRESS[:PORT]/path`: an address of this machine to listen on, a port, a mount path. */
export function parseServeUrl(text: string): ServeAddress {
  const match = /^rtsp:\/\/([^/?#]*)(\/[^?#]*)?$/i.exec(text);
  if (!match) throw new UsageError('--serve takes rtsp://ADDRESS[:PORT]/path, e.g. rtsp://0.0.0.0:8554/cam (no query or fragment)');
  const authority = match[1]!;
  const path = match[2] ?? '';
  if (authority.includes('@')) throw new UsageError('--serve: a served URL has no user:password (vigil serves without authentication; keep it on a trusted network)');
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(authority);
  const plain = /^([^:[\]]+)(?::(.*))?$/.exec(authority);
  const [address, portText] = bracketed ? [bracketed[1]!, bracketed[2]] : plain ? [plain[1]!, plain[2]] : ['', undefined];
  if (!(isIP(address) === 4 || (bracketed && isIP(address) === 6) || address.toLowerCase() === 'localhost')) {
    throw new UsageError('--serve: the address must be an IP address of this machine (0.0.0.0 for all, 127.0.0.1, [::]) or localhost');
  }
  const port = portText === undefined ? SEND_DEFAULTS.servePort : /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw new UsageError('--serve: the port must be between 1 and 65535');
  if (path.length > MOUNT_PATH_CHARS || !MOUNT_PATH.test(path) || path.split('/').some((segment) => /^\.+$/.test(segment))) {
    throw new UsageError('--serve: the path must be /name: up to 8 segments of letters, digits, ".", "_", "~" and "-" (not only dots), 200 characters at most');
  }
  return { address, port, path };
}

/** The URL a player opens for a served stream (a wildcard address is shown as this machine's loopback). */
export function servedUrl(bind: ServeAddress, port = bind.port): string {
  const host = bind.address === '0.0.0.0' ? '127.0.0.1' : bind.address === '::' ? '[::1]' : bind.address.includes(':') ? `[${bind.address}]` : bind.address;
  return `rtsp://${host}:${port}${bind.path}`;
}
