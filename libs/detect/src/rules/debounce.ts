import type { Detection, RuleConfig, ViolationEvent } from '@vigil/contracts';
import type { RuleResult } from './evaluate';
import { missingClassFor } from './ppe';

/** The frame a set of rule results is about. */
export interface FrameRef {
  seq: number;
  ts: number;
}

export interface RuleDebouncerOptions {
  camera: string;
  /** consecutive frames a rule must hold before it is a violation (the resolved `minFrames`) */
  minFrames: number;
}

/**
 * Turns one camera's per-frame rule results into violations. A rule that has held for
 * `minFrames` consecutive inferred frames is a violation, on that frame and on every further
 * frame while it holds (cooldown is the alarms service's business); a frame where it holds not,
 * or that does not evaluate it, starts the count again. Feed it inferred frames only: a frame
 * that was skipped says nothing about the rule.
 */
export class RuleDebouncer {
  readonly camera: string;
  readonly minFrames: number;
  private held = new Map<string, number>();

  constructor(options: RuleDebouncerOptions) {
    if (!Number.isInteger(options.minFrames) || options.minFrames < 1) {
      throw new RangeError(`camera "${options.camera}": minFrames must be a whole number >= 1, got ${options.minFrames}`);
    }
    this.camera = options.camera;
    this.minFrames = options.minFrames;
  }

  /** Records one frame's results; returns the violations it gives, in the order of `results`. */
  update(frame: FrameRef, results: readonly RuleResult[]): ViolationEvent[] {
    const held = new Map<string, number>();
    const violations: ViolationEvent[] = [];
    for (const { rule, detections } of results) {
      if (detections.length === 0) continue;
      const frames = (this.held.get(rule.id) ?? 0) + 1;
      held.set(rule.id, frames);
      if (frames >= this.minFrames) violations.push(this.violation(frame, rule, detections, frames));
    }
    // rules that held not on this frame are left out, which resets them
    this.held = held;
    return violations;
  }

  /** Consecutive frames the rule has held up to the last update; 0 when it does not hold. */
  heldFor(ruleId: string): number {
    return this.held.get(ruleId) ?? 0;
  }

  /** Forgets every count, e.g. when the camera's stream restarts. */
  reset(): void {
    this.held.clear();
  }

  private violation(frame: FrameRef, rule: RuleConfig, detections: Detection[], frames: number): ViolationEvent {
    return {
      camera: this.camera,
      rule: rule.id,
      kind: rule.kind,
      classes: violationClasses(rule, detections),
      score: detections.reduce((best, d) => Math.max(best, d.score), 0),
      detections,
      seq: frame.seq,
      ts: frame.ts,
      frames,
    };
  }
}

/** PPE: the person class and the missing-equipment class; intrusion: the rule's classes that were seen. */
function violationClasses(rule: RuleConfig, detections: readonly Detection[]): string[] {
  if (rule.kind === 'ppe') return [rule.person, missingClassFor(rule)];
  const seen = new Set(detections.map((d) => d.label));
  return rule.classes.filter((label) => seen.has(label));
}
