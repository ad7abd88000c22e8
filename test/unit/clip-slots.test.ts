import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Slots } from '../../libs/alarms/src/clips/slots';

/** A task that runs until released, recording how many ran at once. */
function gate() {
  let open!: () => void;
  const released = new Promise<void>((resolve) => (open = resolve));
  return { released, open };
}

describe('Slots', () => {
  test('runs at most `size` tasks at a time; the others wait their turn in order', async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const gates = [gate(), gate(), gate(), gate()];
    const tasks = gates.map((g, i) =>
      slots.run(async () => {
        running += 1;
        most = Math.max(most, running);
        order.push(i);
        await g.released;
        running -= 1;
        return i;
      }),
    );
    await Promise.resolve();
    assert.equal(slots.queued, 2);
    for (const g of gates) g.open();
    assert.deepEqual(await Promise.all(tasks), [0, 1, 2, 3]);
    assert.equal(most, 2);
    assert.deepEqual(order, [0, 1, 2, 3]);
  });

  test('a failing task frees its slot', async () => {
    const slots = new Slots(1);
    await assert.rejects(slots.run(() => Promise.reject(new Error('encode failed'))), /encode failed/);
    assert.equal(await slots.run(() => Promise.resolve('next')), 'next');
  });

  test('refuses a size below 1', () => {
    assert.throws(() => new Slots(0), /size must be an integer >= 1/);
  });
});
