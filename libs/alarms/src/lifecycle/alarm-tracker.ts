import type { AlarmEpisode, AlarmEvent, AlarmRecord, ViolationEvent } from '@vigil/contracts';
import type { AlarmPolicy } from './alarm-policy';

/** What a tracker keeps of a camera + rule between alarms. */
interface RuleState {
  open?: AlarmRecord;
  /** end of the last alarm, for the cooldown */
  lastEndedAt?: number;
  /** violations that fell in the cooldown */
  suppressed: number;
}

/** The part of the tracker's state that must survive a restart (see AlarmTracker.restore), as saved in Redis. */
export type TrackerSnapshot = AlarmEpisode;

/**
 * What a change would do: its events, and the tracker state after it, which takes effect only on `commit()`. The
 * caller writes the events (and `snapshot`) durably first and commits after, so a failed write changes nothing and
 * the same violation tried again gives the same events (the same alarm start, with the same id).
 */
export interface TrackerChange {
  events: AlarmEvent[];
  /** the state worth keeping across a restart, as it will be after the change (see AlarmTracker.snapshot) */
  snapshot(now: number): TrackerSnapshot[];
  commit(): void;
}

/**
 * Turns violations (one per violating frame) into alarms with a lifecycle: one alarm per camera + rule + episode.
 * An episode starts with a violation, lasts while violations keep coming with gaps shorter than `quietMs`, and is
 * followed by `cooldownMs` in which that camera + rule raises nothing new, so a long or flickering violation is
 * one alarm, not hundreds. Times are the frames' capture times; `tick(now)` ends the quiet ones.
 *
 * Pure and synchronous: it holds no timers and does no I/O, so every decision is unit-tested.
 */
export class AlarmTracker {
  private rules = new Map<string, RuleState>();

  constructor(
    private readonly policy: Pick<AlarmPolicy, 'quietMs' | 'cooldownMs'>,
    private readonly newId: (violation: ViolationEvent, source: string) => string,
  ) {}

  /**
   * Runs `change` (onViolation, tick, endCamera) on a copy of the state; the tracker takes that state only on commit.
   * One change at a time: committing one proposed before another was committed would undo the other.
   */
  propose(change: (draft: AlarmTracker) => AlarmEvent[]): TrackerChange {
    const draft = new AlarmTracker(this.policy, this.newId);
    for (const [id, state] of this.rules) draft.rules.set(id, { ...state, open: state.open && { ...state.open } });
    const events = change(draft);
    return { events, snapshot: (now) => draft.snapshot(now), commit: () => (this.rules = draft.rules) };
  }

  /**
   * The events one violation gives: `start`, `update` (best score or classes grew) or none. `source` names the
   * violation (its stream entry id) and goes to `newId`, so that replaying the same violation after a crash gives
   * the same alarm id.
   */
  onViolation(violation: ViolationEvent, source = ''): AlarmEvent[] {
    const state = this.stateOf(violation.camera, violation.rule);
    const events: AlarmEvent[] = [];
    const open = state.open;
    // a violation after the quiet time (frames can arrive late, tick may not have run) closes the old episode first
    if (open && violation.ts - open.lastSeenAt > this.policy.quietMs) events.push(this.end(state, open));
    if (state.open) {
      if (this.extend(state.open, violation)) events.push({ type: 'update', alarm: { ...state.open } });
      return events;
    }
    if (state.lastEndedAt !== undefined && violation.ts - state.lastEndedAt < this.policy.cooldownMs) {
      state.suppressed += 1;
      return events;
    }
    const alarm: AlarmRecord = {
      id: this.newId(violation, source),
      camera: violation.camera,
      rule: violation.rule,
      kind: violation.kind,
      classes: [...new Set(violation.classes)].sort(),
      score: violation.score,
      startedAt: violation.ts,
      lastSeenAt: violation.ts,
      endedAt: null,
      state: 'active',
      violations: 1,
      detections: violation.detections,
      seq: violation.seq,
      snapshot: false,
      clip: { state: 'recording' },
    };
    state.open = alarm;
    events.push({ type: 'start', alarm: { ...alarm } });
    return events;
  }

  /** Ends every open alarm whose last violation is more than `quietMs` before `now`. */
  tick(now: number): AlarmEvent[] {
    const events: AlarmEvent[] = [];
    for (const state of this.rules.values()) {
      if (state.open && now - state.open.lastSeenAt > this.policy.quietMs) events.push(this.end(state, state.open));
    }
    return events;
  }

  /** Ends the open alarms of cameras that are no longer watched (removed, detection turned off). */
  endCamera(camera: string): AlarmEvent[] {
    const events: AlarmEvent[] = [];
    for (const state of this.rules.values()) if (state.open?.camera === camera) events.push(this.end(state, state.open));
    return events;
  }

  /** Violations dropped by the cooldown of a camera + rule since start. */
  suppressed(camera: string, rule: string): number {
    return this.rules.get(key(camera, rule))?.suppressed ?? 0;
  }

  openAlarms(): AlarmRecord[] {
    return [...this.rules.values()].flatMap((state) => (state.open ? [{ ...state.open }] : []));
  }

  /** The state worth keeping across a restart: open alarms and cooldowns still running at `now`. */
  snapshot(now: number): TrackerSnapshot[] {
    const kept: TrackerSnapshot[] = [];
    for (const [id, state] of this.rules) {
      const cooling = state.lastEndedAt !== undefined && now - state.lastEndedAt < this.policy.cooldownMs;
      if (!state.open && !cooling) continue;
      const [camera, rule] = splitKey(id);
      kept.push({ camera, rule, open: state.open, lastEndedAt: state.lastEndedAt });
    }
    return kept;
  }

  restore(saved: readonly TrackerSnapshot[]): void {
    for (const entry of saved) {
      const state = this.stateOf(entry.camera, entry.rule);
      if (entry.open) state.open = { ...entry.open };
      if (entry.lastEndedAt !== undefined) state.lastEndedAt = entry.lastEndedAt;
    }
  }

  private extend(alarm: AlarmRecord, violation: ViolationEvent): boolean {
    alarm.violations += 1;
    alarm.lastSeenAt = Math.max(alarm.lastSeenAt, violation.ts);
    const classes = [...new Set([...alarm.classes, ...violation.classes])].sort();
    const grew = classes.length > alarm.classes.length || violation.score > alarm.score;
    if (violation.score > alarm.score) alarm.score = violation.score;
    alarm.classes = classes;
    return grew;
  }

  private end(state: RuleState, alarm: AlarmRecord): AlarmEvent {
    state.open = undefined;
    // the episode ends where its rule was last seen violated; the cooldown runs from there
    const ended: AlarmRecord = { ...alarm, state: 'ended', endedAt: alarm.lastSeenAt };
    state.lastEndedAt = ended.endedAt!;
    return { type: 'end', alarm: ended };
  }

  private stateOf(camera: string, rule: string): RuleState {
    const id = key(camera, rule);
    let state = this.rules.get(id);
    if (!state) this.rules.set(id, (state = { suppressed: 0 }));
    return state;
  }
}

// camera ids cannot hold a NUL, so it separates camera and rule without ambiguity
function key(camera: string, rule: string): string {
  return `${camera}\u0000${rule}`;
}

function splitKey(id: string): [string, string] {
  const at = id.indexOf('\u0000');
  return [id.slice(0, at), id.slice(at + 1)];
}
