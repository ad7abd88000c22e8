import { Logger } from '@nestjs/common';
import type { Server, Socket } from 'socket.io';
import { revokes, type Identity, type Revocation } from '@vigil/auth';
import { Authenticator, AuthStore, originVerdict } from '@vigil/platform';

/** The identity a socket was admitted with. */
export function socketIdentity(socket: Socket): Identity {
  return (socket.data as { identity: Identity }).identity;
}

/** the longest a timer waits for an expiry (setTimeout's limit is about 24.8 days) */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Every Socket.IO connection needs an identity: the session cookie or `auth: { token }` in the handshake, and, when
 * a browser page sent it, an allowed Origin (the page's own, or ALLOWED_ORIGINS). Without one the connection is
 * refused with a `connect_error` that says why. A revoked token, an ended session or a changed user disconnects
 * its sockets at once, on every replica (the revocation comes over Redis), and a credential's expiry too.
 */
export class SocketAuth {
  private readonly logger = new Logger('Gateway');
  private subscription?: { stop(): Promise<void> };

  constructor(
    private readonly server: Server,
    private readonly authenticator: Authenticator,
    private readonly store: AuthStore,
    private readonly allowedOrigins: readonly string[],
  ) {}

  /** Installs the handshake check and follows revocations. */
  async start(): Promise<void> {
    this.server.use((socket, next) => {
      void this.admit(socket).then(
        (refusal) => next(refusal === undefined ? undefined : new Error(refusal)),
        (error: Error) => next(new Error(`unauthorized: cannot check the credentials (${error.message})`)),
      );
    });
    this.subscription = await this.store.followRevocations((revocation) => this.revoke(revocation), () => void this.recheckAll());
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }

  /** Why the handshake is refused, or undefined with the identity set on the socket. */
  private async admit(socket: Socket): Promise<string | undefined> {
    const { headers } = socket.handshake;
    if (originVerdict(headers, this.allowedOrigins) === 'foreign') return `forbidden: the origin ${String(headers.origin).slice(0, 100)} is not this page's and not in ALLOWED_ORIGINS`;
    const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    const auth = await this.authenticator.authenticate(headers, token);
    if (!auth.ok) return `unauthorized: ${auth.reason}`;
    socket.data = { ...socket.data, identity: auth.identity };
    const expiresAt = auth.identity.expiresAt;
    if (expiresAt !== undefined) {
      const timer = setTimeout(() => socket.disconnect(true), Math.min(Math.max(0, expiresAt - Date.now()), MAX_TIMER_MS));
      socket.once('disconnect', () => clearTimeout(timer));
    }
    return undefined;
  }

  private revoke(revocation: Revocation): void {
    for (const socket of this.server.sockets.sockets.values()) {
      if (!revokes(revocation, socketIdentity(socket))) continue;
      this.logger.log(`socket ${socket.id}: disconnected, its ${revocation.kind} was revoked or changed`);
      socket.disconnect(true);
    }
  }

  /** After the revocation channel was down, revocations may have been missed: every socket is checked again. */
  private async recheckAll(): Promise<void> {
    for (const socket of this.server.sockets.sockets.values()) {
      const identity = socketIdentity(socket);
      if (identity.kind === 'bootstrap' || identity.kind === 'jwt') continue;
      const still = identity.kind === 'token' ? await this.store.tokens.get(identity.id) : await this.sessionStillValid(identity);
      if (!still) socket.disconnect(true);
    }
  }

  private async sessionStillValid(identity: Identity): Promise<boolean> {
    const user = await this.store.users.get(identity.id);
    const session = identity.session !== undefined && (await this.store.sessions.hasHandle(identity.session));
    return session && user !== undefined && user.role === identity.role && JSON.stringify(user.cameras) === JSON.stringify(identity.cameras);
  }
}
