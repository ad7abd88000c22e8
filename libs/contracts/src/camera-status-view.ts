import type { CameraState, CameraStatus } from './camera';

/**
 * How much of a camera's failure reason a caller sees. `full`: what ingest wrote (masked), for admins and logs.
 * `generic`: one phrase per state, because the full reason ("Connection refused", "no frame within 10 s of
 * connecting", "host resolves to ...") would let anyone who can add a camera map hosts and ports behind vigil.
 */
export type StatusDetail = 'full' | 'generic';

const GENERIC_REASONS: Record<CameraState, string | undefined> = {
  connecting: undefined,
  live: undefined,
  error: 'cannot connect to the camera',
  stalled: 'the camera sends no frames',
  offline: 'the camera is offline',
};

/** A camera status as a caller with this detail may see it. */
export function statusView(status: CameraStatus, detail: StatusDetail): CameraStatus {
  if (detail === 'full' || status.reason === undefined) return status;
  return { ...status, reason: GENERIC_REASONS[status.state] ?? 'not available' };
}

