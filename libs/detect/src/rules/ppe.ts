import type { Detection, RuleConfig } from '@vigil/contracts';
import { type BoxFractions, type Polygon, boxInZone, intersectionOverArea, subBox } from './geometry';

export type PpeRule = Extract<RuleConfig, { kind: 'ppe' }>;

/**
 * Where on a person each kind of equipment is worn, as fractions of the person box
 * ([left, top, right, bottom]). Approximate by design: they hold for people standing or walking
 * and stay usable for crouching ones, and a box only has to lie mostly inside its region.
 * - head: the top third. A standing adult's head is the top seventh or so; a third leaves room
 *   for crouching and bending people, yet a helmet carried in the hand (chest height or lower)
 *   falls outside it.
 * - torso: shoulders to upper thighs, where a vest or a harness with its leg loops sits.
 * - feet: the bottom fifth.
 * - whole: anywhere on the person, for equipment we know nothing about (gloves, say).
 */
export const BODY_REGIONS = {
  head: [0, 0, 1, 1 / 3],
  torso: [0, 0.15, 1, 0.65],
  feet: [0, 0.8, 1, 1],
  whole: [0, 0, 1, 1],
} as const satisfies Record<string, BoxFractions>;
export type BodyRegion = keyof typeof BODY_REGIONS;

/** Keyed by normalised class name (lower case, runs of spaces, dashes and dots as `_`). */
const EQUIPMENT_REGIONS: Readonly<Record<string, BodyRegion>> = {
  helmet: 'head',
  hardhat: 'head',
  hard_hat: 'head',
  safety_helmet: 'head',
  hat: 'head',
  cap: 'head',
  mask: 'head',
  face_mask: 'head',
  face_shield: 'head',
  goggles: 'head',
  glasses: 'head',
  safety_glasses: 'head',
  ear_protection: 'head',
  earmuffs: 'head',
  harness: 'torso',
  safety_harness: 'torso',
  vest: 'torso',
  safety_vest: 'torso',
  hi_vis: 'torso',
  hivis: 'torso',
  reflective_vest: 'torso',
  jacket: 'torso',
  boots: 'feet',
  safety_boots: 'feet',
  shoes: 'feet',
  safety_shoes: 'feet',
};

/** The body region a piece of equipment is looked for in; the whole person for unknown names. */
export function equipmentRegion(equipment: string): BodyRegion {
  const key = equipment.trim().toLowerCase().replace(/[\s\-.]+/g, '_');
  return Object.hasOwn(EQUIPMENT_REGIONS, key) ? EQUIPMENT_REGIONS[key] : 'whole';
}

/** The class a model outputs for the missing equipment itself: the rule's, else `no_<require>`. */
export function missingClassFor(rule: PpeRule): string {
  return rule.missingClass ?? `no_${rule.require}`;
}

/** Share of an equipment box that must lie in the person's region for the person to wear it. */
export const MIN_SHARE_IN_REGION = 0.5;

export interface PpeOptions {
  /**
   * Whether a person without a matching equipment box is a violation (default true). False for a
   * model that has no class for the equipment, only for its absence: there, no equipment box is
   * no evidence, and only the direct `no_<require>` boxes count.
   */
  inferFromAbsence?: boolean;
}

/**
 * The detections that break "a person must wear <require>", in input order; empty when it holds.
 * - A `person` box with no `require` box mostly inside its region (see BODY_REGIONS) is a
 *   violation: the person box is reported.
 * - A `no_<require>` box is a violation on its own, reported with the person box it overlaps
 *   most, if any.
 * - With a zone, only people whose feet (box bottom-centre) are inside it count; a
 *   `no_<require>` box that overlaps no person is placed by its own bottom-centre.
 */
export function ppeViolations(detections: readonly Detection[], rule: PpeRule, zone?: Polygon, options: PpeOptions = {}): Detection[] {
  const people = detections.filter((d) => d.label === rule.person);
  const missingClass = missingClassFor(rule);
  const inZone = (box: Detection['box']) => zone === undefined || boxInZone(box, zone);
  const offending = new Set<Detection>();

  if (options.inferFromAbsence ?? true) {
    const equipment = detections.filter((d) => d.label === rule.require);
    // every person is matched, in the zone or not, so that someone just outside it keeps their own helmet
    const wearing = matchEquipment(people, equipment, BODY_REGIONS[equipmentRegion(rule.require)]);
    for (const person of people) if (!wearing.has(person) && inZone(person.box)) offending.add(person);
  }

  for (const missing of detections.filter((d) => d.label === missingClass)) {
    const person = mostOverlapped(missing, people);
    if (!inZone((person ?? missing).box)) continue;
    offending.add(missing);
    if (person !== undefined) offending.add(person);
  }

  return detections.filter((d) => offending.has(d));
}

/**
 * Which people wear a piece of equipment. Each equipment box goes to one person at most: where
 * people stand close, one helmet can lie in two head regions, and it must not clear both. Pairs
 * are taken best first; a helmet belongs to the head it lies more fully in and is more centred
 * over. This errs towards an alarm: two person boxes left on one person by NMS share one helmet.
 */
function matchEquipment(people: readonly Detection[], equipment: readonly Detection[], region: BoxFractions): Set<Detection> {
  const pairs: Array<{ person: Detection; item: Detection; rank: number }> = [];
  for (const person of people) {
    const area = subBox(person.box, region);
    const halfWidth = (area[2] - area[0]) / 2;
    const centre = (area[0] + area[2]) / 2;
    for (const item of equipment) {
      const share = intersectionOverArea(item.box, area);
      if (share < MIN_SHARE_IN_REGION) continue;
      const offset = halfWidth > 0 ? Math.min(1, Math.abs((item.box[0] + item.box[2]) / 2 - centre) / halfWidth) : 1;
      pairs.push({ person, item, rank: share * (1 - offset / 2) });
    }
  }
  pairs.sort((a, b) => b.rank - a.rank);

  const wearing = new Set<Detection>();
  const used = new Set<Detection>();
  for (const { person, item } of pairs) {
    if (wearing.has(person) || used.has(item)) continue;
    wearing.add(person);
    used.add(item);
  }
  return wearing;
}

/** The person whose box holds the largest share of `box`, or undefined when none overlaps it. */
function mostOverlapped(detection: Detection, people: readonly Detection[]): Detection | undefined {
  let best: Detection | undefined;
  let bestShare = 0;
  for (const person of people) {
    const share = intersectionOverArea(detection.box, person.box);
    if (share > bestShare) {
      best = person;
      bestShare = share;
    }
  }
  return best;
}
