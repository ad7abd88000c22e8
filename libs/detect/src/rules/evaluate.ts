import type { CameraDetectConfig, Detection, RuleConfig } from '@vigil/contracts';
import type { Polygon } from './geometry';
import { intrusions } from './intrusion';
import { type ResolvedParams, minConfidenceFor } from './params';
import { ppeViolations } from './ppe';

/** The zones and rules of a camera's `detect` section. */
export type RulesConfig = Pick<CameraDetectConfig, 'zones' | 'rules'>;

/** One rule's verdict on one frame. */
export interface RuleResult {
  rule: RuleConfig;
  /** the offending detections; empty when the rule holds */
  detections: Detection[];
}

export interface EvaluateOptions {
  /**
   * The classes the detector can output. When given, a PPE rule whose equipment class is not
   * among them only counts direct `no_<require>` boxes, instead of flagging every person.
   */
  modelLabels?: Iterable<string>;
}

/** The detections that reach their class's minimum confidence (or `*`'s). */
export function filterByConfidence(detections: readonly Detection[], params: ResolvedParams): Detection[] {
  return detections.filter((d) => d.score >= minConfidenceFor(params, d.label));
}

/**
 * Every rule of a camera on one frame's detections, in the config's order. Detections below
 * their minimum confidence are dropped first, so the caller may pass the detector's raw output.
 */
export function evaluateRules(
  detections: readonly Detection[],
  detect: RulesConfig,
  params: ResolvedParams,
  options: EvaluateOptions = {},
): RuleResult[] {
  const confident = filterByConfidence(detections, params);
  const zones = new Map<string, Polygon>(detect.zones.map((zone) => [zone.id, zone.polygon]));
  const labels = options.modelLabels === undefined ? undefined : new Set(options.modelLabels);
  const zoneOf = (rule: RuleConfig): Polygon | undefined => {
    if (rule.zone === undefined) return undefined;
    const polygon = zones.get(rule.zone);
    // cameraDetectSchema rejects unknown zones, so this is a config that skipped validation
    if (polygon === undefined) throw new Error(`rule "${rule.id}": unknown zone "${rule.zone}"`);
    return polygon;
  };

  return detect.rules.map((rule) => {
    switch (rule.kind) {
      case 'ppe':
        return {
          rule,
          detections: ppeViolations(confident, rule, zoneOf(rule), { inferFromAbsence: labels?.has(rule.require) ?? true }),
        };
      case 'intrusion':
        return { rule, detections: intrusions(confident, rule, zoneOf(rule) as Polygon) };
    }
  });
}
