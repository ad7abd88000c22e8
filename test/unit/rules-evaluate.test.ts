import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Detection, cameraDetectSchema } from '@vigil/contracts';
import { effectiveParams, evaluateRules, filterByConfidence, minConfidenceFor, ruleLabelProblems } from '../../libs/detect/src/rules';

const det = (label: string, box: Detection['box'], score: number): Detection => ({ label, classId: 0, score, box });
const person = (score = 0.9) => det('person', [0.1, 0.2, 0.3, 0.8], score);
const helmet = (score = 0.9) => det('helmet', [0.17, 0.2, 0.23, 0.26], score);

const detect = cameraDetectSchema.parse({
  zones: [
    {
      id: 'pit',
      polygon: [
        [0.5, 0.5],
        [1, 0.5],
        [1, 1],
        [0.5, 1],
      ],
    },
  ],
  rules: [
    { id: 'hardhat-on', kind: 'ppe', require: 'helmet' },
    { id: 'keep-out', kind: 'intrusion', classes: ['person'], zone: 'pit' },
  ],
});

describe('confidence thresholds', () => {
  const params = effectiveParams({ minConfidence: { person: 0.6, '*': 0.3 } });

  test('a class with its own threshold uses it; other classes use *', () => {
    assert.equal(minConfidenceFor(params, 'person'), 0.6);
    assert.equal(minConfidenceFor(params, 'helmet'), 0.3);
  });

  test('filterByConfidence keeps scores at or above the threshold of their class', () => {
    const kept = [person(0.6), helmet(0.35)];
    const dropped = [person(0.59), helmet(0.29), det('car', [0, 0, 0.1, 0.1], 0.2)];
    assert.deepEqual(filterByConfidence([...dropped, ...kept], params), kept);
  });

  test('a class named like an Object.prototype member falls back to *, not to a function', () => {
    assert.equal(minConfidenceFor(params, 'constructor'), 0.3);
    assert.deepEqual(filterByConfidence([det('toString', [0, 0, 0.1, 0.1], 0.2)], params), []);
  });

  test('without any thresholds configured, * is 0.25', () => {
    assert.equal(minConfidenceFor(effectiveParams(), 'anything'), 0.25);
  });
});

describe('evaluateRules', () => {
  const params = effectiveParams({ minConfidence: { helmet: 0.5 } });

  test('one result per rule, in config order, empty when the rule holds', () => {
    const results = evaluateRules([person(), helmet()], detect, params);
    assert.deepEqual(
      results.map((r) => [r.rule.id, r.detections]),
      [
        ['hardhat-on', []],
        ['keep-out', []],
      ],
    );
  });

  test('each rule gets its own offenders', () => {
    const inPit = det('person', [0.6, 0.3, 0.7, 0.9], 0.9);
    const results = evaluateRules([person(), helmet(), inPit], detect, params);
    assert.deepEqual(results[0].detections, [inPit]);
    assert.deepEqual(results[1].detections, [inPit]);
  });

  test('a helmet below its minimum confidence does not clear the person wearing it', () => {
    const wearer = person();
    assert.deepEqual(evaluateRules([wearer, helmet(0.4)], detect, params)[0].detections, [wearer]);
  });

  test('a person below the minimum confidence is no violation', () => {
    assert.deepEqual(evaluateRules([person(0.2)], detect, params)[0].detections, []);
  });

  test('a detector without the equipment class only reports direct no_<class> boxes', () => {
    const labels = ['person', 'no_helmet'];
    assert.deepEqual(evaluateRules([person()], detect, params, { modelLabels: labels })[0].detections, []);
    const bare = det('no_helmet', [0.17, 0.2, 0.23, 0.26], 0.9);
    const wearer = person();
    assert.deepEqual(evaluateRules([wearer, bare], detect, params, { modelLabels: labels })[0].detections, [wearer, bare]);
  });

  test('a rule pointing at a zone the camera lacks fails with the rule and zone named', () => {
    const unchecked = { zones: [], rules: [{ id: 'keep-out', kind: 'intrusion' as const, classes: ['person'], zone: 'pit' }] };
    assert.throws(() => evaluateRules([], unchecked, params), /rule "keep-out": unknown zone "pit"/);
  });
});

describe('ruleLabelProblems', () => {
  test('rules the detector can serve have no problems', () => {
    assert.deepEqual(ruleLabelProblems(detect.rules, ['person', 'helmet']), []);
    assert.deepEqual(ruleLabelProblems(detect.rules, ['person', 'no_helmet']), []);
  });

  test('a PPE rule on a motion-only camera and an intrusion class the model lacks are reported by rule', () => {
    const problems = ruleLabelProblems(detect.rules, ['motion']);
    assert.equal(problems.length, 2);
    assert.match(problems[0], /rule "hardhat-on": needs classes "person" and "helmet", or "no_helmet"/);
    assert.match(problems[1], /rule "keep-out": unknown "person"; the detector has "motion"/);
  });
});
