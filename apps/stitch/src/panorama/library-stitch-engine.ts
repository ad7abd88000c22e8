import { DRIFT_AGREEMENT_FLOOR, Panorama as LibraryPanorama, StitchInputError, StitchSizeChangedError } from '@vigil/stitch';
import { UnusablePairError, type StitchEngine } from './stitch-engine';

/**
 * The StitchEngine on the stitching library (libs/stitch): its calibration (never throws: a pair it cannot stitch is
 * `ok: false` with the reason), its precomputed renderer (Panorama.load checks the calibration, stored ones
 * included), and its drift floor. The library's calls run on libuv's thread pool, on this (the main) thread.
 */
export function libraryStitchEngine(): StitchEngine {
  return {
    calibrate: (left, right) => LibraryPanorama.calibrate(left, right),
    renderer: async (calibration, options) => {
      const panorama = await LibraryPanorama.load(calibration, { jpegQuality: options.jpegQuality });
      return {
        render: async (left, right) => {
          try {
            return await panorama.render(left, right);
          } catch (error) {
            // a frame that is no decodable JPEG spoils its pair only; a size change is the worker's to notice
            if (error instanceof StitchInputError && !(error instanceof StitchSizeChangedError)) throw new UnusablePairError(error.message);
            throw error;
          }
        },
        close: () => panorama.release(),
      };
    },
    driftFloor: DRIFT_AGREEMENT_FLOOR,
  };
}
