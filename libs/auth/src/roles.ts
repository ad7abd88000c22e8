import { z } from 'zod';

/** `admin` may do everything; `viewer` only reads (live frames, detections, alarms, clips, snapshots). */
export const ROLES = ['admin', 'viewer'] as const;
export type Role = (typeof ROLES)[number];
export const roleSchema = z.enum(ROLES);

/** How a caller proved who they are. */
export const IDENTITY_KINDS = ['bootstrap', 'token', 'session', 'jwt'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

/** Who a request or socket acts for, whatever the credential was. */
export interface Identity {
  kind: IdentityKind;
  /** token id, user id, the JWT's subject, or 'admin-token' for ADMIN_TOKEN */
  id: string;
  /** what the audit log and `GET /api/auth/me` show */
  name: string;
  role: Role;
  /** camera id patterns this identity is limited to; undefined = every camera */
  cameras?: readonly string[];
  /** epoch ms when the credential stops working (a token's or session's expiry, a JWT's `exp`) */
  expiresAt?: number;
  /** for kind 'session': the session's handle (the digest stored in Redis), which a session revocation names */
  session?: string;
}

/** The bootstrap identity's id: ADMIN_TOKEN is one fixed admin credential. */
export const BOOTSTRAP_ID = 'admin-token';

/** What the audit log records of an identity (never its credential). */
export interface Actor {
  kind: IdentityKind | 'anonymous';
  id: string;
  name: string;
}

export function actorOf(identity: Identity): Actor {
  return { kind: identity.kind, id: identity.id, name: identity.name };
}
