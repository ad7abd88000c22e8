import type { Frame } from '@vigil/contracts';

/** What clip selection needs of a frame: which one it is and when it was captured. */
export interface TimedFrame {
  seq: number;
  /** capture time, epoch ms */
  ts: number;
}

/** What the ring, a recording and the encoder need of a frame; a `Frame` from `@vigil/contracts` fits. */
export type ClipFrame = Pick<Frame, 'seq' | 'ts' | 'width' | 'height' | 'data'>;
