import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectRoot } from '@vigil/platform';

/** What one injected fault cost: how long until the system worked again, and what was lost on the way. */
export interface FaultOutcome {
  /** what was done to the system, e.g. "Redis restarted with its data (3 s down)" */
  fault: string;
  /** from the fault's end (the server back, the process restarted) to the first proof of recovery; null: not measured */
  recoveryMs: number | null;
  /** only frames may be lost; every other count is expected to be 0, and the test asserts it */
  lost: { frames?: number; violations?: number; alarms?: number; webhooks?: number };
  /** one line on how it was measured or what healed */
  note?: string;
}

/** One JSON line per fault, read back by scripts/run-tests.mjs to print the fault table at the end of the run. */
export const FAULT_REPORT = join(projectRoot(), '.vigil', 'test', 'faults.jsonl');

/** Records a fault's outcome for the table, and prints its row in the test's own output. */
export function reportFault(outcome: FaultOutcome): void {
  mkdirSync(dirname(FAULT_REPORT), { recursive: true });
  appendFileSync(FAULT_REPORT, `${JSON.stringify(outcome)}\n`);
  const lost = outcome.lost;
  console.log(
    `fault: ${outcome.fault}: recovered in ${outcome.recoveryMs === null ? '-' : `${(outcome.recoveryMs / 1000).toFixed(1)} s`}, lost frames ${lost.frames ?? 0}, violations ${lost.violations ?? 0}, alarms ${lost.alarms ?? 0}, webhooks ${lost.webhooks ?? 0}${outcome.note ? ` (${outcome.note})` : ''}`,
  );
}
