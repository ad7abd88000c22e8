import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { describeIssues, describeRefusal, SourcePolicy } from '@vigil/config';
import { CAMERA_ID_PATTERN, cameraConfigSchema, controlEvents, inputLimits, maskerFor, maskUrl, statusView, type StatusDetail, type CameraConfig, type CameraStatus, type CameraView } from '@vigil/contracts';
import type { CameraScope } from '@vigil/auth';
import { CameraRegistry, CameraStatuses, InferenceStatuses } from '@vigil/redis';
import { CONTROL_CLIENT } from '../control';

@Injectable()
export class CamerasService {
  private readonly logger = new Logger('Cameras');

  constructor(
    private readonly registry: CameraRegistry,
    private readonly statuses: CameraStatuses,
    private readonly inference: InferenceStatuses,
    private readonly policy: SourcePolicy,
    @Inject(CONTROL_CLIENT) private readonly control: ClientProxy,
  ) {}

  /** The cameras the caller may see; the others are not there at all. */
  async list(scope: CameraScope, detail: StatusDetail): Promise<CameraView[]> {
    const [cameras, statuses, inference] = await Promise.all([this.registry.list(), this.statuses.all(), this.inference.all()]);
    return scope.filter(cameras, (camera) => camera.id).map((camera) => view(camera, statuses.get(camera.id) ?? null, inference.get(camera.id) ?? null, detail));
  }

  /** A camera out of the caller's scope is as unknown as one that never was. */
  async get(id: string, scope: CameraScope, detail: StatusDetail): Promise<CameraView> {
    const camera = scope.allows(checkId(id)) ? await this.registry.get(id) : undefined;
    if (!camera) throw new NotFoundException(`unknown camera "${id}"`);
    const [status, inference] = await Promise.all([this.statuses.get(id), this.inference.get(id)]);
    return view(camera, status ?? null, inference ?? null, detail);
  }

  /** The camera's config, or undefined for an unknown id (or one that could never be a camera id). */
  async find(id: string): Promise<CameraConfig | undefined> {
    return CAMERA_ID_PATTERN.test(id) ? this.registry.get(id) : undefined;
  }

  async create(body: unknown): Promise<CameraView> {
    const camera = await this.parseCamera(body);
    await this.put(camera, true);
    this.changed(camera.id, 'added');
    return view(camera, null, null, 'full');
  }

  async replace(id: string, body: unknown): Promise<CameraView> {
    checkId(id);
    const camera = await this.parseCamera(body && typeof body === 'object' && !Array.isArray(body) ? { id, ...body } : body);
    if (camera.id !== id) throw new BadRequestException(`id: the body says "${camera.id}" but the path says "${id}"`);
    this.changed(id, await this.put(camera, false));
    return view(camera, (await this.statuses.get(id)) ?? null, null, 'full');
  }

  async remove(id: string): Promise<void> {
    if (!(await this.registry.remove(checkId(id)))) throw new NotFoundException(`unknown camera "${id}"`);
    this.changed(id, 'removed');
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

  private changed(id: string, what: string): void {
    this.logger.log(`camera ${id} ${what}`);
    // fire and forget: ingest also reconciles on a timer, so a lost message only delays the change
    this.control.emit(controlEvents.camerasChanged, { id }).subscribe({ error: (error: Error) => this.logger.warn(`cannot announce camera change: ${error.message}`) });
  }
}

function checkId(id: string): string {
  if (!CAMERA_ID_PATTERN.test(id)) throw new NotFoundException(`unknown camera "${id}"`);
  return id;
}

function view(camera: CameraConfig, status: CameraView['status'], inference: CameraView['inference'], detail: StatusDetail): CameraView {
  const egress = camera.egress && { ...camera.egress, url: maskUrl(camera.egress.url) };
  return { ...camera, url: maskUrl(camera.url), ...(egress ? { egress } : {}), status: status && statusView(maskStatus(camera, status), detail), inference };
}

/** Ingest masks what it writes; the status is read back from Redis all the same, where anything may have written it. */
function maskStatus(camera: CameraConfig, status: CameraStatus): CameraStatus {
  const mask = maskerFor(camera.url);
  return { ...status, ...(status.reason !== undefined ? { reason: mask(status.reason) } : {}), ...(status.pipeline !== undefined ? { pipeline: mask(status.pipeline) } : {}) };
}
