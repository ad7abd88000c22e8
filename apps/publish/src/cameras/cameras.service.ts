import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { describeIssues, describeRefusal, SourcePolicy } from '@vigil/config';
import {
  CAMERA_ID_PATTERN,
  cameraConfigSchema,
  controlEvents,
  inputLimits,
  maskerFor,
  maskUrl,
  panoramasUsing,
  statusView,
  stitchConflict,
  stitchInputsOf,
  type CameraConfig,
  type CameraStatus,
  type CameraView,
  type StatusDetail,
} from '@vigil/contracts';
import type { CameraScope } from '@vigil/auth';
import { CameraRegistry, CameraStatuses, InferenceStatuses, StitchStatuses } from '@vigil/redis';
import { CONTROL_CLIENT } from '../control';
import { visibleTo } from './panorama-scope';

@Injectable()
export class CamerasService {
  private readonly logger = new Logger('Cameras');

  constructor(
    private readonly registry: CameraRegistry,
    private readonly statuses: CameraStatuses,
    private readonly inference: InferenceStatuses,
    private readonly stitches: StitchStatuses,
    private readonly policy: SourcePolicy,
    @Inject(CONTROL_CLIENT) private readonly control: ClientProxy,
  ) {}

  /** The cameras the caller may see; the others are not there at all. */
  async list(scope: CameraScope, detail: StatusDetail): Promise<CameraView[]> {
    const [cameras, statuses, inference, stitches] = await Promise.all([this.registry.list(), this.statuses.all(), this.inference.all(), this.stitches.all()]);
    return cameras
      .filter((camera) => visibleTo(scope, camera))
      .map((camera) => view(camera, statuses.get(camera.id) ?? null, inference.get(camera.id) ?? null, stitches.get(camera.id) ?? null, detail));
  }

  /** A camera out of the caller's scope is as unknown as one that never was. */
  async get(id: string, scope: CameraScope, detail: StatusDetail): Promise<CameraView> {
    const camera = await this.findVisible(id, scope);
    if (!camera) throw new NotFoundException(`unknown camera "${id}"`);
    const [status, inference, stitch] = await Promise.all([this.statuses.get(id), this.inference.get(id), this.stitches.get(id)]);
    return view(camera, status ?? null, inference ?? null, stitch ?? null, detail);
  }

  /** The camera's config, or undefined for an unknown id (or one that could never be a camera id). */
  async find(id: string): Promise<CameraConfig | undefined> {
    return CAMERA_ID_PATTERN.test(id) ? this.registry.get(id) : undefined;
  }

  /** The camera's config if the caller may see it (a panorama: and both its inputs). */
  async findVisible(id: string, scope: CameraScope): Promise<CameraConfig | undefined> {
    const camera = scope.allows(id) ? await this.find(id) : undefined;
    return camera && visibleTo(scope, camera) ? camera : undefined;
  }

  async create(body: unknown): Promise<CameraView> {
    const camera = await this.parseCamera(body);
    if (camera.partOf !== undefined) throw new BadRequestException('partOf: is set by POST /api/stitch for the inputs it makes, not given');
    await this.checkLinks(camera);
    await this.put(camera, true);
    this.changed(camera.id, 'added');
    return view(camera, null, null, null, 'full');
  }

  async replace(id: string, body: unknown): Promise<CameraView> {
    checkId(id);
    const parsed = await this.parseCamera(body && typeof body === 'object' && !Array.isArray(body) ? { id, ...body } : body);
    if (parsed.id !== id) throw new BadRequestException(`id: the body says "${parsed.id}" but the path says "${id}"`);
    const existing = await this.registry.get(id);
    // an input made for a panorama stays its panorama's, whatever else the body changes
    if (parsed.partOf !== undefined && parsed.partOf !== existing?.partOf) throw new BadRequestException('partOf: is set by POST /api/stitch for the inputs it makes, not given');
    const camera: CameraConfig = existing?.partOf !== undefined ? { ...parsed, partOf: existing.partOf } : parsed;
    await this.checkLinks(camera);
    this.changed(id, await this.put(camera, false));
    return view(camera, (await this.statuses.get(id)) ?? null, null, null, 'full');
  }

  /**
   * Removes a camera. A panorama goes with the input cameras made for it; a camera a panorama takes as input, or
   * one made for a panorama, stays until that panorama goes (409): removing it would leave the panorama dark.
   */
  async remove(id: string): Promise<void> {
    const cameras = await this.registry.list();
    const camera = cameras.find((candidate) => candidate.id === checkId(id));
    if (!camera) throw new NotFoundException(`unknown camera "${id}"`);
    if (camera.partOf !== undefined && cameras.some((other) => other.id === camera.partOf)) {
      throw new ConflictException(`camera "${id}" is an input made for panorama "${camera.partOf}": DELETE /api/stitch/${camera.partOf} removes both`);
    }
    const users = panoramasUsing(id, cameras);
    if (users.length > 0) throw new ConflictException(`camera "${id}" is an input of panorama ${users.map((user) => `"${user}"`).join(', ')}: remove the panorama first`);
    const ids = stitchInputsOf(camera) ? [id, ...cameras.filter((other) => other.partOf === id).map((other) => other.id)] : [id];
    if ((await this.registry.removeAll(ids)) === 0) throw new NotFoundException(`unknown camera "${id}"`);
    for (const removed of ids) this.changed(removed, 'removed');
  }

  /** Announces a change to every registry follower (ingest, stitch, ...). */
  changed(id: string, what: string): void {
    this.logger.log(`camera ${id} ${what}`);
    // fire and forget: the followers also reconcile on a timer, so a lost message only delays the change
    this.control.emit(controlEvents.camerasChanged, { id }).subscribe({ error: (error: Error) => this.logger.warn(`cannot announce camera change: ${error.message}`) });
  }

  /** Writes the camera within MAX_CAMERAS; a POST never replaces one. */
  private async put(camera: CameraConfig, create: boolean): Promise<'added' | 'updated'> {
    const max = inputLimits().cameras;
    const outcome = await this.registry.put(camera, { max, create });
    if (outcome === 'exists') throw new ConflictException(`camera "${camera.id}" already exists (PUT /api/cameras/${camera.id} replaces it)`);
    if (outcome === 'full') throw new BadRequestException(`cameras: there are ${max} already, the most allowed (MAX_CAMERAS)`);
    return outcome;
  }

  /** The schema, then the source policy (media roots, devices, blocked networks): a 400 naming the field. */
  private async parseCamera(body: unknown): Promise<CameraConfig> {
    const parsed = cameraConfigSchema.safeParse(body);
    if (!parsed.success) throw new BadRequestException(describeIssues(parsed.error));
    const verdict = await this.policy.check(parsed.data);
    if (!verdict.ok) throw new BadRequestException(describeRefusal(verdict));
    return parsed.data;
  }

  /** The checks across cameras: a panorama's inputs are captured cameras, and no input becomes a panorama. */
  private async checkLinks(camera: CameraConfig): Promise<void> {
    const others = new Map((await this.registry.list()).filter((other) => other.id !== camera.id).map((other) => [other.id, other]));
    const conflict = stitchConflict(camera, others);
    if (conflict) throw new BadRequestException(conflict);
  }
}

function checkId(id: string): string {
  if (!CAMERA_ID_PATTERN.test(id)) throw new NotFoundException(`unknown camera "${id}"`);
  return id;
}

/** A camera as the API shows it (every URL masked). */
export function view(camera: CameraConfig, status: CameraView['status'], inference: CameraView['inference'], stitch: CameraView['stitch'], detail: StatusDetail): CameraView {
  const egress = camera.egress && { ...camera.egress, url: maskUrl(camera.egress.url) };
  return { ...camera, url: maskUrl(camera.url), ...(egress ? { egress } : {}), status: status && statusView(maskStatus(camera, status), detail), inference, stitch };
}

/** Ingest masks what it writes; the status is read back from Redis all the same, where anything may have written it. */
function maskStatus(camera: CameraConfig, status: CameraStatus): CameraStatus {
  const mask = maskerFor(camera.url);
  return { ...status, ...(status.reason !== undefined ? { reason: mask(status.reason) } : {}), ...(status.pipeline !== undefined ? { pipeline: mask(status.pipeline) } : {}) };
}
