import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * What a path of the MJPEG server sends:
 *  - `good`: the JPEGs in turn, ~10 fps, for ever;
 *  - `garbage`: parts that say image/jpeg and hold random bytes;
 *  - `stall`: two good frames, then nothing, with the connection held open.
 */
export type MjpegMode = 'good' | 'garbage' | 'stall';

export interface MjpegServer {
  url(mode: MjpegMode): string;
  close(): void;
}

const BOUNDARY = 'vigilframe';

/** A minimal MJPEG camera: multipart/x-mixed-replace over HTTP on 127.0.0.1, and its hostile variants. */
export async function startMjpegServer(jpegs: Buffer[], intervalMs = 100): Promise<MjpegServer> {
  const server: Server = createServer((request, response) => {
    const mode = (request.url ?? '').slice(1) as MjpegMode;
    response.writeHead(200, { 'content-type': `multipart/x-mixed-replace; boundary=${BOUNDARY}` });
    let index = 0;
    const timer = setInterval(() => {
      if (mode === 'stall' && index >= 2) return;
      const jpeg = mode === 'garbage' ? randomBytes(4096) : jpegs[index % jpegs.length]!;
      index += 1;
      response.write(`--${BOUNDARY}\r\ncontent-type: image/jpeg\r\ncontent-length: ${jpeg.length}\r\n\r\n`);
      response.write(jpeg);
      response.write('\r\n');
    }, intervalMs);
    request.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (mode) => `http://127.0.0.1:${port}/${mode}`,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}
