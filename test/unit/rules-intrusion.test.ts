import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Detection, ruleSchema } from '@vigil/contracts';
import { type IntrusionRule, type Polygon, intrusions } from '../../libs/detect/src/rules';

const det = (label: string, box: Detection['box'], score = 0.9): Detection => ({ label, classId: 0, score, box });
const intrusionRule = (classes: string[]) => ruleSchema.parse({ id: 'keep-out', kind: 'intrusion', classes, zone: 'pit' }) as IntrusionRule;

// the lower right quarter of the frame
const pit: Polygon = [
  [0.5, 0.5],
  [1, 0.5],
  [1, 1],
  [0.5, 1],
];

describe('intrusion', () => {
  test('a person standing in the zone is an intrusion', () => {
    const person = det('person', [0.6, 0.3, 0.7, 0.9]);
    assert.deepEqual(intrusions([person], intrusionRule(['person']), pit), [person]);
  });

  test('only the classes of the rule count', () => {
    const car = det('car', [0.6, 0.6, 0.9, 0.9]);
    const person = det('person', [0.6, 0.3, 0.7, 0.9]);
    assert.deepEqual(intrusions([car, person], intrusionRule(['person']), pit), [person]);
    assert.deepEqual(intrusions([car], intrusionRule(['person']), pit), []);
  });

  test('several classes: each one in the zone is reported, in input order', () => {
    const car = det('car', [0.6, 0.6, 0.9, 0.9]);
    const person = det('person', [0.6, 0.3, 0.7, 0.9]);
    const dog = det('dog', [0.55, 0.8, 0.6, 0.85]);
    assert.deepEqual(intrusions([car, dog, person], intrusionRule(['person', 'car']), pit), [car, person]);
  });

  test('an object outside the zone is no intrusion', () => {
    assert.deepEqual(intrusions([det('person', [0.1, 0.3, 0.2, 0.9])], intrusionRule(['person']), pit), []);
  });

  test('a person in front of the zone (box overlaps it, feet outside) is no intrusion', () => {
    const passing = det('person', [0.45, 0.1, 0.6, 0.45]);
    assert.deepEqual(intrusions([passing], intrusionRule(['person']), pit), []);
  });

  test('motion boxes trip a zone like any class', () => {
    const motion = det('motion', [0.7, 0.7, 0.8, 0.8]);
    assert.deepEqual(intrusions([motion], intrusionRule(['motion']), pit), [motion]);
  });
});
