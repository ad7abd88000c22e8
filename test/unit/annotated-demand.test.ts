import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AnnotatedDemand } from '../../apps/inference/src/annotated-demand';

/** Lets the reply promises settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('AnnotatedDemand', () => {
  test('with no one watching, a camera probes once per interval and otherwise makes no annotated frame', async () => {
    let now = 0;
    const demand = new AnnotatedDemand(1500, () => now);
    assert.equal(demand.next('gate'), 'probe', 'nothing known yet: find out');
    demand.published('gate', Promise.resolve(0));
    await settle();
    for (now = 0; now < 1500; now += 100) assert.equal(demand.next('gate'), 'none', `at ${now} ms`);
    assert.equal(demand.next('gate'), 'probe', 'the interval is up');
  });

  test('a viewer found by a probe gets annotated frames from the next frame on, until a publish reaches no one', async () => {
    let now = 0;
    const demand = new AnnotatedDemand(1500, () => now);
    demand.published('gate', Promise.resolve(1));
    await settle();
    assert.equal(demand.next('gate'), 'annotate');
    now += 5000;
    demand.published('gate', Promise.resolve(1));
    await settle();
    assert.equal(demand.next('gate'), 'annotate', 'still watched, however long');
    demand.published('gate', Promise.resolve(0));
    await settle();
    assert.equal(demand.next('gate'), 'none', 'the viewer left');
  });

  test('while a reply is on its way, the camera keeps what it was doing instead of probing again', async () => {
    let now = 0;
    const demand = new AnnotatedDemand(1500, () => now);
    let answer!: (receivers: number) => void;
    demand.published('gate', new Promise((resolve) => (answer = resolve)));
    now += 10;
    assert.equal(demand.next('gate'), 'none', 'a probe in flight: no second one');
    answer(2);
    await settle();
    assert.equal(demand.next('gate'), 'annotate');
    demand.published('gate', new Promise(() => undefined));
    assert.equal(demand.next('gate'), 'annotate', 'a watched camera keeps annotating while its reply is pending');
  });

  test('cameras are independent, and a forgotten camera starts over', async () => {
    const demand = new AnnotatedDemand(1500, () => 0);
    demand.published('gate', Promise.resolve(1));
    demand.published('dock', Promise.resolve(0));
    await settle();
    assert.equal(demand.next('gate'), 'annotate');
    assert.equal(demand.next('dock'), 'none');
    demand.forget('gate');
    assert.equal(demand.next('gate'), 'probe');
  });
});
