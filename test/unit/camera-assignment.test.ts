import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assignCameras } from '../../libs/redis/src/camera-assignment';

const cameras = (n: number) => Array.from({ length: n }, (_, i) => `cam-${i}`);
const countBy = (assignment: Map<string, string>) => {
  const counts = new Map<string, number>();
  for (const member of assignment.values()) counts.set(member, (counts.get(member) ?? 0) + 1);
  return counts;
};

describe('assignCameras', () => {
  test('every camera goes to exactly one live member, and shares differ by at most one', () => {
    for (const [n, members] of [[4, ['a', 'b']], [10, ['a', 'b', 'c']], [7, ['ingest-0', 'ingest-1', 'ingest-2', 'ingest-3']], [2, ['a', 'b', 'c']]] as const) {
      const assignment = assignCameras(cameras(n), members);
      assert.deepEqual([...assignment.keys()].sort(), cameras(n).sort());
      for (const member of assignment.values()) assert.ok(members.includes(member as never));
      const counts = [...countBy(assignment).values()];
      assert.ok(Math.max(...counts) - Math.min(...counts, ...(counts.length < members.length ? [0] : [])) <= 1, `${n} cameras over ${members.length}: ${counts}`);
    }
  });

  test('every replica computes the same answer, whatever order it read cameras and members in', () => {
    const a = assignCameras(cameras(9), ['x', 'y', 'z']);
    const b = assignCameras([...cameras(9)].reverse(), ['z', 'x', 'y', 'x']);
    assert.deepEqual([...a].sort(), [...b].sort());
  });

  test('one member runs everything; no member, nothing', () => {
    assert.deepEqual(new Set(assignCameras(cameras(5), ['solo']).values()), new Set(['solo']));
    assert.equal(assignCameras(cameras(5), []).size, 0);
  });

  // moving a camera restarts its capture: a replica joining must not reshuffle the whole site
  test('a member joining takes its share and leaves most cameras where they were', () => {
    const before = assignCameras(cameras(30), ['a', 'b']);
    const after = assignCameras(cameras(30), ['a', 'b', 'c']);
    const moved = cameras(30).filter((camera) => before.get(camera) !== after.get(camera));
    const toNewcomer = moved.filter((camera) => after.get(camera) === 'c');
    assert.equal(toNewcomer.length, 10, 'the newcomer gets its share');
    assert.ok(moved.length <= 15, `at most half the cameras move (${moved.length})`);
  });

  test('a member leaving: its cameras are spread over the rest, the others stay', () => {
    const before = assignCameras(cameras(30), ['a', 'b', 'c']);
    const after = assignCameras(cameras(30), ['a', 'b']);
    const movedFromStayers = cameras(30).filter((camera) => before.get(camera) !== 'c' && before.get(camera) !== after.get(camera));
    assert.ok(movedFromStayers.length <= 5, `few of the stayers' cameras move (${movedFromStayers.length})`);
    assert.deepEqual([...countBy(after).values()].sort(), [15, 15]);
  });
});
