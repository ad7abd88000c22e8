/**
 * Capture processes may run at a lower CPU priority than the services (CAPTURE_PROCESS_NICE, 0 by default: the
 * same). The services' work on each frame (detection, Socket.IO) is short and waits its turn on every step behind the
 * cameras' decoder threads; a camera's decode is paced and buffered. Measured on 2 cores (bench/capture-sweep.ts):
 *  - 12 cameras of 720p15 with the motion detector on each: frames the detector did not look at, 2-5 % at nice 0,
 *    0.95 % at 4, 0.00 % at 10 (twice);
 *  - 24 cameras of 720p15 without detection, the machine's edge: frames not delivered, 0-9 % at nice 0 (0 in 3 runs
 *    of 4), 3-23 % at nice 10, as the cameras then yield to everything else on the machine.
 * So it is a choice: a site that detects on every camera sets it (10); one that mostly relays keeps 0.
 */
import { setPriority } from 'node:os';

/** the environment variable a capture host passes its nice value in */
export const CAPTURE_NICE_ENV = 'VIGIL_CAPTURE_NICE';

/**
 * Sets this process's nice value from the environment. Call it first thing: on Linux a nice value belongs to a
 * thread and is inherited by the threads it starts, so those started before (V8's own) keep theirs, while libuv's
 * pool and every GStreamer thread, which start later, take it. A value out of range or a refusal changes nothing.
 */
export function takeCapturePriority(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const text = env[CAPTURE_NICE_ENV] ?? '';
  // digits only: Number() would take "1e1", " 3" or "0x5" as well
  if (!/^\d{1,2}$/.test(text) || Number(text) > 19) return undefined;
  const nice = Number(text);
  try {
    setPriority(nice);
    return nice;
  } catch {
    return undefined;
  }
}
