import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cameraEgressSchema, type CameraEgressInput, CPU_ENCODERS, type Frame } from '@vigil/contracts';
import { Pusher, type PusherOptions } from '../../apps/egress/src/push/pusher';
import { generateImageSequence } from '../../scripts/support';

/** `count` real JPEGs of a moving test pattern, made once per folder. */
export async function testJpegs(dir: string, width: number, height: number, count = 20): Promise<Buffer[]> {
  const pattern = await generateImageSequence({ dir, width, height, count });
  const frameDir = pattern.replace(/\/%06d\.jpg$/, '');
  const names = (await readdir(frameDir)).filter((name) => name.endsWith('.jpg')).sort();
  return Promise.all(names.map((name) => readFile(join(frameDir, name))));
}

/** Offers the JPEGs to `offer` as a camera would, `fps` a second with their capture times; returns the stop. */
export function feedFrames(offer: (frame: Frame) => void, jpegs: readonly Buffer[], size: { width: number; height: number }, fps: number): () => void {
  let seq = 0;
  const timer = setInterval(() => {
    offer({ camera: 'cam', stream: 'annotated', seq, ts: Date.now(), ...size, format: 'jpeg', data: jpegs[seq % jpegs.length]! });
    seq += 1;
  }, 1000 / fps);
  return () => clearInterval(timer);
}

/** A pusher for camera `cam` with the codec's CPU encoder (x264, x265) and quick reconnects, as the egress service would make one. */
export function testPusher(egress: CameraEgressInput, options: Pick<PusherOptions, 'idleMs' | 'admit' | 'events' | 'audio'> & Partial<Pick<PusherOptions, 'config'>> = {}): Pusher {
  const config = options.config ?? cameraEgressSchema.parse(egress);
  return new Pusher({ camera: 'cam', encoder: { name: CPU_ENCODERS[config.codec] }, reconnect: { minMs: 200, maxMs: 400 }, ...options, config, idleMs: options.idleMs ?? 1500 });
}
