import type { CameraState, CameraStatus } from './camera';
import type { EgressState, EgressStatus } from './egress';

/**
 * How much of a camera's failure reason a caller sees. `full`: what ingest wrote (masked), for admins and logs.
 * `generic`: one phrase per state, because the full reason ("Connection refused", "no frame within 10 s of
 * connecting", "host resolves to ...") would let anyone who can add a camera map hosts and ports behind vigil.
 */
export type StatusDetail = 'full' | 'generic';

/**
 * THE switch for how much of a failure reason the REST and Socket.IO APIs give (cameras and egress). There are no
 * accounts yet, so no caller is known to be an admin and everyone gets the generic reason; the full one is in the
 * services' logs. Accounts replace this constant with a per-caller choice: `full` for admins, `generic` for the rest.
 */
export const API_STATUS_DETAIL: StatusDetail = 'generic';

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

const GENERIC_EGRESS_REASONS: Record<EgressState, string | undefined> = {
  waiting: 'no frames yet',
  connecting: undefined,
  live: undefined,
  error: 'cannot push to the server',
};

/** An egress status as a caller with this detail may see it: ffmpeg's own lines name hosts, ports and refusals. */
export function egressStatusView(status: EgressStatus, detail: StatusDetail): EgressStatus {
  if (detail === 'full' || status.reason === undefined) return status;
  return { ...status, reason: GENERIC_EGRESS_REASONS[status.state] ?? 'not available' };
}
