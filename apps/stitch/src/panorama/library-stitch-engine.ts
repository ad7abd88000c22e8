import type { StitchEngine } from './stitch-engine';

/**
 * The StitchEngine on the stitching library (libs/stitch). Until the library lands its calls fail, so every
 * panorama is in `error` saying so; the service, its API and its states work all the same.
 */
export function libraryStitchEngine(): StitchEngine {
  const missing = (): never => {
    throw new Error('the stitching library is not built into this vigil yet');
  };
  return { calibrate: async () => missing(), renderer: async () => missing(), driftFloor: 0 };
}
