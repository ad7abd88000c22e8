import { Inject, Injectable, Logger } from '@nestjs/common';
import { actorOf, auditDetail, auditText, type AuditAction, type Identity } from '@vigil/auth';
import { VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { clientAddress } from '../client-address';
import type { AuthedRequest } from './access';
import { AuthStore } from './auth-store';

/**
 * Writes the audit log: who (the request's identity, or the name a failed login tried), when, from which address,
 * what, and what changed. The caller masks secrets in `detail` (camera URLs through maskUrl); auditDetail is a net
 * under that. A write that fails is logged and never fails the request it records.
 */
@Injectable()
export class Auditor {
  private readonly logger = new Logger('Audit');

  constructor(
    private readonly store: AuthStore,
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
  ) {}

  async record(request: AuthedRequest, action: AuditAction, entry: { target?: string; detail?: Record<string, unknown>; identity?: Identity } = {}): Promise<void> {
    const identity = entry.identity ?? request.identity;
    const actor = identity ? actorOf(identity) : { kind: 'anonymous' as const, id: 'anonymous', name: 'anonymous' };
    try {
      await this.store.audit.record({
        at: Date.now(),
        actor,
        address: this.addressOf(request),
        action,
        ...(entry.target !== undefined ? { target: auditText(entry.target, 256) } : {}),
        ...(entry.detail ? { detail: auditDetail(entry.detail) } : {}),
      });
    } catch (error) {
      this.logger.warn(`cannot record ${action} by ${actor.name}: ${(error as Error).message}`);
    }
  }

  /** The client address as the connection limit counts it (X-Forwarded-For only as far as TRUST_PROXY_HOPS). */
  addressOf(request: AuthedRequest): string {
    return clientAddress({ address: request.socket.remoteAddress ?? '', headers: request.headers }, this.config.socket.trustProxyHops);
  }
}
