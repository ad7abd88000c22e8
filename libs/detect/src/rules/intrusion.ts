import type { Detection, RuleConfig } from '@vigil/contracts';
import { type Polygon, boxInZone } from './geometry';

export type IntrusionRule = Extract<RuleConfig, { kind: 'intrusion' }>;

/**
 * The detections of the rule's classes that are inside the zone, in input order; empty when it
 * holds. "Inside" is by the box's bottom-centre (see `anchorPoint`): where a person stands or a
 * vehicle meets the ground, so something passing in front of a floor zone does not trip it.
 */
export function intrusions(detections: readonly Detection[], rule: IntrusionRule, zone: Polygon): Detection[] {
  const classes = new Set(rule.classes);
  return detections.filter((d) => classes.has(d.label) && boxInZone(d.box, zone));
}
