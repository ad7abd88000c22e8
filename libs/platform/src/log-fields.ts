import { CAMERA_ID_PATTERN } from '@vigil/contracts';

/** how our lines about a camera begin: "camera gate: reconnecting in 2 s" */
const CAMERA_PREFIX = /^camera (\S+?):\s/;

/** The camera a log line is about, from its "camera <id>: " prefix; only a valid camera id, never other text. */
export function cameraOfLine(line: string): string | undefined {
  const id = CAMERA_PREFIX.exec(line)?.[1];
  return id !== undefined && CAMERA_ID_PATTERN.test(id) ? id : undefined;
}
