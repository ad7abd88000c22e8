import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigError, describeRefusal, loadCamerasFile, SourcePolicy, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { keys, type CameraConfig } from '@vigil/contracts';
import { CameraRegistry, RegistryGeneration } from '@vigil/redis';

/** most camera ids named in the "lost with Redis" line */
const MAX_NAMED = 10;

/**
 * The cameras file in the registry. Written at every start (the file wins over what Redis holds), and written again
 * when Redis lost its data (a failover to an empty replica, a restart without persistence): without that, every
 * capture would stop for good. The loss is seen through the registry's generation (RegistryGeneration), not through
 * an empty registry, which a camera created meanwhile would hide; it is logged once, with the cameras that went
 * with it (those created through the API live in Redis only).
 */
@Injectable()
export class CamerasFileSeed {
  private readonly logger = new Logger('Ingest');
  private cameras: CameraConfig[] = [];
  /** the generation the registry was seen in last; undefined until the start could read it */
  private generation?: string;

  constructor(
    @Inject(VIGIL_CONFIG) private readonly config: VigilConfig,
    private readonly registry: CameraRegistry,
    private readonly generations: RegistryGeneration,
    private readonly policy: SourcePolicy,
  ) {}

  /** At start: loads and checks the file (a bad one stops the start), writes its cameras, notes the generation. */
  async seed(): Promise<void> {
    const file = this.config.camerasFile;
    if (file) {
      this.cameras = loadCamerasFile(file);
      await this.refuseOutsidePolicy(this.cameras, file);
      await this.write();
      this.logger.log(`loaded ${this.cameras.length} camera(s) from ${file}`);
    }
    // unread (Redis not up yet): the first pass adopts the generation it finds
    this.generation = await this.generations.current().catch(() => undefined);
  }

  /**
   * Before every pass: if Redis lost its data since the last look, the file's cameras go back in, and the loss is
   * logged once. `known`: the ids the registry held at the last pass.
   */
  async restoreIfLost(known: ReadonlySet<string>): Promise<void> {
    const generation = await this.generations.current();
    if (generation === this.generation) return;
    if (this.generation === undefined) {
      this.generation = generation;
      return;
    }
    await this.write();
    const now = new Set((await this.registry.list()).map((camera) => camera.id));
    const lost = [...known].filter((id) => !now.has(id));
    // only once written: a failure here is retried at the next pass, and logged then
    this.generation = generation;
    const from = this.config.camerasFile ? ` from ${this.config.camerasFile}` : ' (no CAMERAS_FILE)';
    const gone = lost.length === 0 ? 'none lost' : `${lost.length} lost for good (created through the API, kept in Redis only): ${named(lost)}`;
    this.logger.warn(
      `Redis lost its data (${keys.registryGeneration} changed: a failover to an empty replica, or a restart without persistence): ` +
        `${known.size} camera(s) were in the registry before; ${this.cameras.length} written again${from}; ${gone}`,
    );
  }

  /** The cameras file is a boundary like the REST API: a camera the source policy refuses stops the start. */
  private async refuseOutsidePolicy(cameras: CameraConfig[], file: string): Promise<void> {
    for (const [index, camera] of cameras.entries()) {
      const verdict = await this.policy.check(camera);
      if (!verdict.ok) throw new ConfigError(`${file}: cameras[${index}].${describeRefusal(verdict)}`);
    }
  }

  private async write(): Promise<void> {
    for (const camera of this.cameras) await this.registry.upsert(camera);
  }
}

function named(ids: string[]): string {
  return ids.length > MAX_NAMED ? `${ids.slice(0, MAX_NAMED).join(', ')} and ${ids.length - MAX_NAMED} more` : ids.join(', ');
}
