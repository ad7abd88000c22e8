import { isIPv6 } from 'node:net';
import { replaceHeaders, requestOf, type RtspMessage } from './rtsp-message';

/**
 * A request from ffmpeg, as the server would have had it from ffmpeg given the real URL: its URI moved from the
 * loopback base to the control URI (the base itself, or the base + `/streamid=N` for a SETUP), its CSeq and any
 * Authorization dropped (the relay numbers and authorizes what it sends), and in an
 * ANNOUNCE the SDP's connection address made the server's (ffmpeg writes the address it is connected to, here the
 * relay's). A URI under another base is left as it is.
 */
export function towardServer(request: RtspMessage, loopbackBase: string, controlUri: string, serverAddress: string | undefined): RtspMessage {
  const parts = requestOf(request)!;
  const uri = rebase(parts.uri, loopbackBase, controlUri);
  const body = parts.method === 'ANNOUNCE' && serverAddress ? sdpWithAddress(request.body, serverAddress) : request.body;
  return { ...replaceHeaders(request, ['cseq', 'authorization']), startLine: `${parts.method} ${uri} ${parts.version}`, body };
}

/** `uri` with the base `from` replaced by `to`, when it is `from` or under it. */
export function rebase(uri: string, from: string, to: string): string {
  if (uri === from || uri.startsWith(`${from}/`)) return to + uri.slice(from.length);
  return uri;
}

/** The SDP with its loopback connection lines (`c=IN IP4 127.0.0.1`) naming `address` instead. */
export function sdpWithAddress(sdp: Buffer, address: string): Buffer {
  const text = sdp.toString('latin1');
  const replaced = text.replace(/^c=IN IP4 127\.0\.0\.1(?=\r?$)/gm, `c=IN ${isIPv6(address) ? 'IP6' : 'IP4'} ${address}`);
  return replaced === text ? sdp : Buffer.from(replaced, 'latin1');
}
