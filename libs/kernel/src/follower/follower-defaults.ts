/**
 * How often a registry follower looks again. Declared once for every service that follows the registry.
 */
export const FOLLOWER_DEFAULTS = {
  /**
   * Longest time between two passes: a missed "cameras changed" message delays a change by at most this much.
   * @default 2000
   */
  maxIntervalMs: 2000,
  /**
   * Passes per lease time: a lease is renewed this many times before it runs out, so one slow or failed pass
   * never lets another replica take a camera that is still running here.
   * @default 3
   */
  passesPerLease: 3,
} as const;

/** The reconcile timer's period: a few passes per lease (when the follower holds leases), never rarer than the cap. */
export function reconcileIntervalMs(leaseMs?: number): number {
  const { maxIntervalMs, passesPerLease } = FOLLOWER_DEFAULTS;
  return leaseMs === undefined ? maxIntervalMs : Math.min(maxIntervalMs, Math.floor(leaseMs / passesPerLease));
}
