import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Detection, ruleSchema } from '@vigil/contracts';
import { type PpeRule, type Polygon, equipmentRegion, ppeViolations } from '../../libs/detect/src/rules';

let nextClassId = 0;
const det = (label: string, box: Detection['box'], score = 0.9): Detection => ({ label, classId: nextClassId++, score, box });
const ppeRule = (fields: Record<string, unknown> = {}) =>
  ruleSchema.parse({ id: 'hardhat-on', kind: 'ppe', require: 'helmet', ...fields }) as PpeRule;

// two people side by side; head regions (top third) are y 0.2..0.4
const left = () => det('person', [0.1, 0.2, 0.3, 0.8]);
const right = () => det('person', [0.6, 0.2, 0.8, 0.8]);
const helmetOver = (person: Detection) => {
  const cx = (person.box[0] + person.box[2]) / 2;
  return det('helmet', [cx - 0.03, person.box[1], cx + 0.03, person.box[1] + 0.06]);
};

describe('ppe: a person must wear a helmet', () => {
  test('a person with a helmet on their head is fine', () => {
    const person = left();
    assert.deepEqual(ppeViolations([person, helmetOver(person)], ppeRule()), []);
  });

  test('a person without any helmet is a violation, reported by their box', () => {
    const person = left();
    assert.deepEqual(ppeViolations([person], ppeRule()), [person]);
  });

  test('a helmet that sticks out above the person box still counts when most of it is on the head', () => {
    const person = left();
    const helmet = det('helmet', [0.17, 0.18, 0.23, 0.26]); // a quarter above the box
    assert.deepEqual(ppeViolations([person, helmet], ppeRule()), []);
  });

  test('a helmet that only grazes the head region (mostly beside it) does not count', () => {
    const person = left();
    const beside = det('helmet', [0.28, 0.2, 0.34, 0.26]); // a third of it inside the box
    assert.deepEqual(ppeViolations([person, beside], ppeRule()), [person]);
  });

  test('a helmet elsewhere in the person box (carried at the waist) is still a violation', () => {
    const person = left();
    const carried = det('helmet', [0.25, 0.5, 0.31, 0.56]);
    assert.deepEqual(ppeViolations([person, carried], ppeRule()), [person]);
  });

  test("another person's helmet does not clear a bareheaded person", () => {
    const [a, b] = [left(), right()];
    assert.deepEqual(ppeViolations([a, b, helmetOver(a)], ppeRule()), [b]);
  });

  test('two overlapping people and one helmet lying in both head regions: the one it is not centred over is a violation', () => {
    const a = det('person', [0.3, 0.2, 0.5, 0.8]);
    const b = det('person', [0.4, 0.2, 0.6, 0.8]);
    const overA = det('helmet', [0.39, 0.2, 0.45, 0.26]); // wholly in A's head region, 5/6 in B's
    assert.deepEqual(ppeViolations([a, b, overA], ppeRule()), [b]);
    const overB = det('helmet', [0.45, 0.2, 0.51, 0.26]);
    assert.deepEqual(ppeViolations([a, b, overB], ppeRule()), [a]);
  });

  test('a helmet wholly inside two head regions belongs to the head it is centred over, whichever person comes first', () => {
    const a = det('person', [0.3, 0.2, 0.5, 0.8]); // head centre x 0.4
    const b = det('person', [0.35, 0.2, 0.55, 0.8]); // head centre x 0.45
    const overA = det('helmet', [0.37, 0.2, 0.43, 0.26]);
    const overB = det('helmet', [0.42, 0.2, 0.48, 0.26]);
    assert.deepEqual(ppeViolations([a, b, overA], ppeRule()), [b]);
    assert.deepEqual(ppeViolations([b, a, overA], ppeRule()), [b]);
    assert.deepEqual(ppeViolations([a, b, overB], ppeRule()), [a]);
    assert.deepEqual(ppeViolations([b, a, overB], ppeRule()), [a]);
  });

  test('two overlapping people with a helmet each are both fine', () => {
    const a = det('person', [0.3, 0.2, 0.5, 0.8]);
    const b = det('person', [0.4, 0.2, 0.6, 0.8]);
    assert.deepEqual(ppeViolations([a, b, helmetOver(a), helmetOver(b)], ppeRule()), []);
  });

  test('a no_helmet box from the model is a violation, reported with the person it overlaps', () => {
    const person = left();
    const bare = det('no_helmet', [0.17, 0.2, 0.23, 0.26]);
    assert.deepEqual(ppeViolations([bare, person], ppeRule()), [bare, person]);
  });

  test('a no_helmet box without any person is a violation on its own', () => {
    const bare = det('no_helmet', [0.17, 0.2, 0.23, 0.26]);
    assert.deepEqual(ppeViolations([bare], ppeRule()), [bare]);
  });

  test('a no_helmet box goes with the person it overlaps, not with a bystander', () => {
    const [a, b] = [left(), right()];
    const bare = det('no_helmet', [0.67, 0.2, 0.73, 0.26]);
    assert.deepEqual(ppeViolations([a, b, bare], ppeRule(), undefined, { inferFromAbsence: false }), [b, bare]);
  });

  test('a no_helmet box that overlaps nobody is not pinned on a bystander', () => {
    const bystander = left();
    const bare = det('no_helmet', [0.67, 0.2, 0.73, 0.26]);
    assert.deepEqual(ppeViolations([bystander, helmetOver(bystander), bare], ppeRule()), [bare]);
  });

  test('a bareheaded person with a no_helmet box is reported once', () => {
    const person = left();
    const bare = det('no_helmet', [0.17, 0.2, 0.23, 0.26]);
    assert.deepEqual(ppeViolations([person, bare], ppeRule()), [person, bare]);
  });

  test('the missing class defaults to no_<require> exactly, not to other spellings', () => {
    const direct = det('no_helmet', [0.17, 0.2, 0.23, 0.26]);
    const other = det('NO-helmet', [0.67, 0.2, 0.73, 0.26]);
    assert.deepEqual(ppeViolations([direct, other], ppeRule()), [direct]);
  });

  test('without inference from absence (model has no helmet class) only no_helmet boxes count', () => {
    assert.deepEqual(ppeViolations([left()], ppeRule(), undefined, { inferFromAbsence: false }), []);
  });

  test('a custom missing class and a capitalised equipment class (Ultralytics PPE names)', () => {
    const rule = ppeRule({ require: 'Hardhat', missingClass: 'NO-Hardhat', person: 'Person' });
    const person = det('Person', [0.1, 0.2, 0.3, 0.8]);
    const hardhat = det('Hardhat', [0.17, 0.2, 0.23, 0.26]);
    assert.deepEqual(ppeViolations([person, hardhat], rule), []);
    const bare = det('NO-Hardhat', [0.17, 0.2, 0.23, 0.26]);
    assert.deepEqual(ppeViolations([person, bare], rule), [person, bare]);
  });
});

describe('ppe: zones', () => {
  const rightHalf: Polygon = [
    [0.5, 0],
    [1, 0],
    [1, 1],
    [0.5, 1],
  ];
  const bottomHalf: Polygon = [
    [0, 0.5],
    [1, 0.5],
    [1, 1],
    [0, 1],
  ];

  test('only people inside the zone count', () => {
    const [a, b] = [left(), right()];
    assert.deepEqual(ppeViolations([a, b], ppeRule({ zone: 'deck' }), rightHalf), [b]);
  });

  test('a person counts by their feet: head outside the zone, feet inside, is in', () => {
    const person = left();
    const bare = det('no_helmet', [0.17, 0.2, 0.23, 0.26]);
    assert.deepEqual(ppeViolations([person, bare], ppeRule({ zone: 'floor' }), bottomHalf), [person, bare]);
  });

  test('a no_helmet box without a person is placed by its own bottom-centre', () => {
    const high = det('no_helmet', [0.17, 0.2, 0.23, 0.26]);
    const low = det('no_helmet', [0.17, 0.6, 0.23, 0.66]);
    assert.deepEqual(ppeViolations([high, low], ppeRule({ zone: 'floor' }), bottomHalf), [low]);
  });

  test('a no_helmet box on a person outside the zone does not count', () => {
    const person = left();
    const bare = det('no_helmet', [0.17, 0.2, 0.23, 0.26]);
    assert.deepEqual(ppeViolations([person, bare], ppeRule({ zone: 'deck' }), rightHalf), []);
  });
});

describe('ppe: where each piece of equipment is worn', () => {
  test('equipment names map to body regions, ignoring case and separators; unknown ones to the whole box', () => {
    assert.equal(equipmentRegion('helmet'), 'head');
    assert.equal(equipmentRegion('Hardhat'), 'head');
    assert.equal(equipmentRegion('hard-hat'), 'head');
    assert.equal(equipmentRegion('harness'), 'torso');
    assert.equal(equipmentRegion('Safety Vest'), 'torso');
    assert.equal(equipmentRegion('boots'), 'feet');
    assert.equal(equipmentRegion('gloves'), 'whole');
    assert.equal(equipmentRegion('constructor'), 'whole');
  });

  test('a harness on the torso is worn; one hanging at head height is not', () => {
    const rule = ppeRule({ require: 'harness' });
    const person = left();
    assert.deepEqual(ppeViolations([person, det('harness', [0.12, 0.32, 0.28, 0.55])], rule), []);
    assert.deepEqual(ppeViolations([person, det('harness', [0.15, 0.2, 0.25, 0.28])], rule), [person]);
  });

  test('unknown equipment is looked for anywhere on the person, but not beside them', () => {
    const rule = ppeRule({ require: 'gloves' });
    const person = left();
    assert.deepEqual(ppeViolations([person, det('gloves', [0.08, 0.5, 0.13, 0.55])], rule), []);
    assert.deepEqual(ppeViolations([person, det('gloves', [0.35, 0.5, 0.4, 0.55])], rule), [person]);
  });
});
