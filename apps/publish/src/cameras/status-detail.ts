import type { StatusDetail } from '@vigil/contracts';

/**
 * THE switch for how much of a camera's failure reason the REST and Socket.IO APIs give. There are no accounts yet,
 * so no caller is known to be an admin and everyone gets the generic reason; the full one is in ingest's log.
 * Issue 11 (accounts) replaces this constant with a per-caller choice: `full` for admins, `generic` for the rest.
 */
export const API_STATUS_DETAIL: StatusDetail = 'generic';
