import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Detection, type RuleConfig, ruleSchema } from '@vigil/contracts';
import { type RuleResult, RuleDebouncer } from '../../libs/detect/src/rules';

const det = (label: string, score: number): Detection => ({ label, classId: 0, score, box: [0.6, 0.3, 0.7, 0.9] });
const keepOut = ruleSchema.parse({ id: 'keep-out', kind: 'intrusion', classes: ['person', 'car'], zone: 'pit' });
const hardhat = ruleSchema.parse({ id: 'hardhat-on', kind: 'ppe', require: 'helmet' });

const holds = (rule: RuleConfig, ...detections: Detection[]): RuleResult => ({ rule, detections });
const clean = (rule: RuleConfig): RuleResult => ({ rule, detections: [] });

/** Feeds frames 1..n, each with the results given for it; returns the `frames` of each frame's violations. */
function run(debouncer: RuleDebouncer, frames: RuleResult[][]): number[][] {
  return frames.map((results, i) => debouncer.update({ seq: i + 1, ts: 1000 + i }, results).map((v) => v.frames));
}

describe('RuleDebouncer', () => {
  test('a rule is a violation only once it has held for minFrames consecutive frames', () => {
    const debouncer = new RuleDebouncer({ camera: 'yard', minFrames: 3 });
    const hit = [holds(keepOut, det('person', 0.9))];
    assert.deepEqual(run(debouncer, [hit, hit, hit]), [[], [], [3]]);
  });

  test('it keeps emitting on every further frame while the rule holds', () => {
    const debouncer = new RuleDebouncer({ camera: 'yard', minFrames: 2 });
    const hit = [holds(keepOut, det('person', 0.9))];
    assert.deepEqual(run(debouncer, [hit, hit, hit, hit]), [[], [2], [3], [4]]);
  });

  test('a clean frame resets the count', () => {
    const debouncer = new RuleDebouncer({ camera: 'yard', minFrames: 3 });
    const hit = [holds(keepOut, det('person', 0.9))];
    const miss = [clean(keepOut)];
    assert.deepEqual(run(debouncer, [hit, hit, miss, hit, hit, hit]), [[], [], [], [], [], [3]]);
  });

  test('a frame that does not evaluate the rule resets it too', () => {
    const debouncer = new RuleDebouncer({ camera: 'yard', minFrames: 2 });
    assert.deepEqual(run(debouncer, [[holds(keepOut, det('person', 0.9))], [], [holds(keepOut, det('person', 0.9))]]), [[], [], []]);
  });

  test('minFrames 1 reports on the first frame', () => {
    const debouncer = new RuleDebouncer({ camera: 'yard', minFrames: 1 });
    assert.deepEqual(run(debouncer, [[holds(keepOut, det('person', 0.9))]]), [[1]]);
  });

  test('rules are counted independently', () => {
    const debouncer = new RuleDebouncer({ camera: 'yard', minFrames: 2 });
    const person = det('person', 0.9);
    debouncer.update({ seq: 1, ts: 1 }, [holds(keepOut, person), clean(hardhat)]);
    const second = debouncer.update({ seq: 2, ts: 2 }, [holds(keepOut, person), holds(hardhat, person)]);
    assert.deepEqual(
      second.map((v) => [v.rule, v.frames]),
      [['keep-out', 2]],
    );
    assert.equal(debouncer.heldFor('hardhat-on'), 1);
    const third = debouncer.update({ seq: 3, ts: 3 }, [clean(keepOut), holds(hardhat, person)]);
    assert.deepEqual(
      third.map((v) => [v.rule, v.frames]),
      [['hardhat-on', 2]],
    );
    assert.equal(debouncer.heldFor('keep-out'), 0);
  });

  test('the violation carries camera, rule, kind, classes involved, best score, boxes and the frame', () => {
    const debouncer = new RuleDebouncer({ camera: 'yard', minFrames: 1 });
    const offenders = [det('car', 0.7), det('person', 0.8)];
    assert.deepEqual(debouncer.update({ seq: 42, ts: 1_700_000_000_000 }, [holds(keepOut, ...offenders)]), [
      {
        camera: 'yard',
        rule: 'keep-out',
        kind: 'intrusion',
        classes: ['person', 'car'],
        score: 0.8,
        detections: offenders,
        seq: 42,
        ts: 1_700_000_000_000,
        frames: 1,
      },
    ]);
  });

  test('a PPE violation names the person class and the missing-equipment class', () => {
    const debouncer = new RuleDebouncer({ camera: 'yard', minFrames: 1 });
    const [violation] = debouncer.update({ seq: 1, ts: 1 }, [holds(hardhat, det('person', 0.9))]);
    assert.deepEqual(violation.classes, ['person', 'no_helmet']);
    assert.equal(violation.kind, 'ppe');
  });

  test('reset forgets the counts', () => {
    const debouncer = new RuleDebouncer({ camera: 'yard', minFrames: 2 });
    const hit = [holds(keepOut, det('person', 0.9))];
    debouncer.update({ seq: 1, ts: 1 }, hit);
    debouncer.reset();
    assert.deepEqual(debouncer.update({ seq: 2, ts: 2 }, hit), []);
  });

  test('a minFrames below 1 or fractional is refused with the camera named', () => {
    assert.throws(() => new RuleDebouncer({ camera: 'yard', minFrames: 0 }), /camera "yard": minFrames/);
    assert.throws(() => new RuleDebouncer({ camera: 'yard', minFrames: 1.5 }), /camera "yard": minFrames/);
  });
});
