import { createHash } from 'node:crypto';

/**
 * Which replica runs which camera: every replica computes the same answer from the same cameras and live members,
 * so they agree without talking to each other. Rendezvous hashing with bounded loads: each camera goes to the member
 * it hashes highest with, unless that member already has its share, then to the next. Shares differ by at most one
 * camera, and a member joining or leaving moves few cameras, not all of them.
 */
export function assignCameras(cameras: readonly string[], members: readonly string[]): Map<string, string> {
  const assignment = new Map<string, string>();
  const live = [...new Set(members)].sort();
  if (live.length === 0) return assignment;
  const unique = [...new Set(cameras)].sort();
  // shares of `base` cameras, `extra` of them one more: no two members differ by more than one camera
  const base = Math.floor(unique.length / live.length);
  let extra = unique.length % live.length;
  const load = new Map(live.map((member) => [member, 0]));
  const hasRoom = (member: string) => load.get(member)! < base || (load.get(member) === base && extra > 0);
  for (const camera of unique) {
    const ranked = live.map((member) => ({ member, weight: weight(camera, member) })).sort((a, b) => b.weight - a.weight || (a.member < b.member ? -1 : 1));
    const chosen = ranked.find(({ member }) => hasRoom(member))!.member;
    if (load.get(chosen) === base) extra -= 1;
    load.set(chosen, load.get(chosen)! + 1);
    assignment.set(camera, chosen);
  }
  return assignment;
}

function weight(camera: string, member: string): number {
  return createHash('sha256').update(`${camera}\u0000${member}`).digest().readUIntBE(0, 6);
}
