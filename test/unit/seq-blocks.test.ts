import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SeqBlocks } from '@vigil/media';

describe('SeqBlocks', () => {
  test('announces a block before handing out its first number', () => {
    const events: string[] = [];
    const seqs = new SeqBlocks(10, 3, (until) => events.push(`announce ${until}`));
    for (let i = 0; i < 7; i += 1) events.push(`take ${seqs.take()}`);
    assert.deepEqual(events, ['announce 13', 'take 10', 'take 11', 'take 12', 'announce 16', 'take 13', 'take 14', 'take 15', 'announce 19', 'take 16']);
  });

  // the bug: a capture process killed before its first counters report left the supervisor at seq 0, and the next
  // process published seq 0, 1, 2 again; clip capture keys frames by seq and kept the older frame of each pair
  test('a process killed mid-block, restarted after the last announcement, never repeats a number', () => {
    let supervisorNext = 0;
    const announced = (until: number) => (supervisorNext = Math.max(supervisorNext, until));
    const published: number[] = [];
    for (const framesBeforeKill of [5, 1, 8, 0, 4]) {
      const seqs = new SeqBlocks(supervisorNext, 4, announced);
      for (let i = 0; i < framesBeforeKill; i += 1) published.push(seqs.take());
    }
    assert.deepEqual(published, [...published].sort((a, b) => a - b), 'rising');
    assert.equal(new Set(published).size, published.length, 'no repeats');
  });

  test('refuses a negative start or an empty block', () => {
    assert.throws(() => new SeqBlocks(-1, 4, () => undefined), /seq start/);
    assert.throws(() => new SeqBlocks(0, 0, () => undefined), /block size/);
  });
});
