/**
 * Fakes for unit tests of registry followers and the services made of them: a camera registry in memory, a share
 * whose ownership the test decides, and a logger that keeps its lines.
 */
import type { VigilConfig } from '@vigil/config';
import { cameraConfigSchema, type CameraConfig, type CameraInput, type CameraStatus } from '@vigil/contracts';
import { RegistryFollowers, type FollowerLogger, type FollowerShare } from '@vigil/kernel';
import type { CameraRegistry, CameraShares } from '@vigil/redis';

/** a valid camera config (test pattern, 15 fps unless given) */
export const camera = (input: Partial<CameraInput> & { id: string }): CameraConfig => cameraConfigSchema.parse({ url: 'test://ball', fps: 15, ...input });

/** The registry's hashes in memory; `fail` makes every call throw it, as a Redis that is down would. */
export class FakeRegistry {
  readonly cameras = new Map<string, CameraConfig>();
  readonly statuses = new Map<string, CameraStatus>();
  lists = 0;
  fail?: Error;
  /** when set, list() waits for it (to hold a pass open) */
  gate?: Promise<void>;

  constructor(cameras: CameraConfig[] = []) {
    for (const entry of cameras) this.cameras.set(entry.id, entry);
  }

  set(...cameras: CameraConfig[]): void {
    for (const entry of cameras) this.cameras.set(entry.id, entry);
  }

  async list(): Promise<CameraConfig[]> {
    this.lists += 1;
    await this.gate;
    this.check();
    return [...this.cameras.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  async upsert(entry: CameraConfig): Promise<boolean> {
    this.check();
    const added = !this.cameras.has(entry.id);
    this.cameras.set(entry.id, entry);
    return added;
  }

  async setStatus(status: CameraStatus): Promise<void> {
    this.check();
    this.statuses.set(status.id, status);
  }

  async clearStatus(id: string): Promise<void> {
    this.check();
    this.statuses.delete(id);
  }

  /** The registry as services take it (the methods they call are here). */
  asRegistry(): CameraRegistry {
    return this as unknown as CameraRegistry;
  }

  private check(): void {
    if (this.fail) throw this.fail;
  }
}

/** A share that owns what `owned` says (everything, by default), and records what it was told. */
export class FakeShare implements FollowerShare {
  owned?: Set<string>;
  readonly released: string[] = [];
  left?: string[];

  async reconcile(cameras: readonly string[]): Promise<Set<string>> {
    return new Set(cameras.filter((id) => !this.owned || this.owned.has(id)));
  }

  async release(cameras: Iterable<string>): Promise<void> {
    this.released.push(...cameras);
  }

  async leave(cameras: Iterable<string>): Promise<void> {
    this.left = [...cameras];
  }
}

export class RecordingLogger implements FollowerLogger {
  readonly lines: { level: 'log' | 'warn' | 'debug'; message: string }[] = [];

  log(message: string): void {
    this.lines.push({ level: 'log', message });
  }

  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }

  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }

  /** also Nest's Logger methods a service may call */
  error(message: string): void {
    this.lines.push({ level: 'warn', message });
  }

  at(level: 'log' | 'warn' | 'debug', pattern: RegExp): string[] {
    return this.lines.filter((line) => line.level === level && pattern.test(line.message)).map((line) => line.message);
  }
}

/** RegistryFollowers on fakes, as a service gets it from Nest; `shares` records the share each role was given. */
export function fakeFollowers(registry: FakeRegistry, config: Pick<VigilConfig, 'leaseMs'> = { leaseMs: 15_000 }): { followers: RegistryFollowers; shares: Map<string, FakeShare> } {
  const shares = new Map<string, FakeShare>();
  const cameraShares = {
    for: (role: string) => {
      const share = new FakeShare();
      shares.set(role, share);
      return share;
    },
  } as unknown as CameraShares;
  return { followers: new RegistryFollowers(config as VigilConfig, registry.asRegistry(), cameraShares), shares };
}
