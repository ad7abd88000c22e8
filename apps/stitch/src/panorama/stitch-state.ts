import type { StitchState } from '@vigil/contracts';

/** What a panorama's worker knows at one moment; the state follows from it (stitchState). */
export interface StitchFacts {
  /** why the registry says it cannot be made (an input is missing, or a panorama itself) */
  problem?: string;
  /** inputs that sent no frame for the input timeout */
  silentInputs: readonly string[];
  /** inputs that have sent no frame at all yet (within the timeout) */
  awaitedInputs: readonly string[];
  /** both inputs send frames, but none paired within the tolerance for the input timeout */
  unpaired?: string;
  /** a calibration runs now */
  calibrating: boolean;
  /** a calibration that fits the inputs' frame sizes is in use */
  calibrated: boolean;
  /** why the last calibration failed (cleared by one that works) */
  calibrationFailure?: string;
  /** why the last render failed (cleared by one that works) */
  renderFailure?: string;
  /** a panorama frame was published with the calibration in use */
  published: boolean;
}

export interface StateView {
  state: StitchState;
  reason?: string;
}

/**
 * The panorama's state and its reason, from the facts, most serious first: what stops it for good (the registry),
 * inputs that send nothing, frames that never pair, a calibration that failed with nothing to fall back on, then a
 * calibration under way, then a render that fails; otherwise live (frames are published) or still calibrating.
 */
export function stitchState(facts: StitchFacts): StateView {
  if (facts.problem) return { state: 'error', reason: facts.problem };
  if (facts.silentInputs.length > 0) return { state: 'error', reason: silence(facts.silentInputs) };
  if (facts.unpaired) return { state: 'error', reason: facts.unpaired };
  if (!facts.calibrated && !facts.calibrating && facts.calibrationFailure) return { state: 'error', reason: facts.calibrationFailure };
  if (facts.calibrating) {
    return { state: 'calibrating', reason: facts.calibrated ? 'calibrating again; the previous calibration is shown meanwhile' : 'matching features between the two inputs' };
  }
  if (!facts.calibrated) {
    const waiting = facts.awaitedInputs;
    return { state: 'calibrating', reason: waiting.length > 0 ? `waiting for frames from ${names(waiting)}` : 'waiting for a pair of frames from both inputs' };
  }
  if (facts.renderFailure) return { state: 'error', reason: `cannot render the panorama: ${facts.renderFailure}` };
  if (!facts.published) return { state: 'calibrating', reason: 'calibrated; waiting for the first panorama frame' };
  return facts.calibrationFailure ? { state: 'live', reason: `calibrating again failed (${facts.calibrationFailure}); the previous calibration is shown` } : { state: 'live' };
}

function silence(inputs: readonly string[]): string {
  return inputs.length === 1 ? `input ${names(inputs)} sends no frames` : `inputs ${names(inputs)} send no frames`;
}

function names(ids: readonly string[]): string {
  return ids.map((id) => `"${id}"`).join(' and ');
}
