import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { ClientProxy } from '@nestjs/microservices';
import { describeIssues, SourcePolicy } from '@vigil/config';
import {
  CAMERA_ID_PATTERN,
  cameraConfigSchema,
  controlEvents,
  inputLimits,
  isCameraIdSource,
  isPanorama,
  STITCH_INPUT_SUFFIXES,
  stitchConflict,
  stitchRequestSchema,
  stitchUrl,
  type CameraConfig,
  type CameraView,
  type StitchRequest,
} from '@vigil/contracts';
import { CameraRegistry } from '@vigil/redis';
import { CONTROL_CLIENT } from '../control';
import { CamerasService, view } from '../cameras/cameras.service';

/**
 * POST /api/stitch and friends. A panorama is a camera (url `stitch://left,right`) in the registry; a URL source
 * becomes an input camera `<id>-left` / `<id>-right` that belongs to it (`partOf`). Every URL passes the schema and
 * the source policy as POST /api/cameras does, and the panorama and its new inputs are written in one step, or
 * none of them.
 */
@Injectable()
export class StitchApiService {
  constructor(
    private readonly registry: CameraRegistry,
    private readonly cameras: CamerasService,
    private readonly policy: SourcePolicy,
    @Inject(CONTROL_CLIENT) private readonly control: ClientProxy,
  ) {}

  async create(body: unknown): Promise<CameraView> {
    const parsed = stitchRequestSchema.safeParse(body);
    if (!parsed.success) throw new BadRequestException(describeIssues(parsed.error));
    const request = parsed.data;
    const made = await Promise.all(request.sources.map((source, side) => this.inputFor(request, source, side as 0 | 1)));
    const inputIds = made.map((input) => (typeof input === 'string' ? input : input.id)) as [string, string];
    const panorama = await this.check(
      { id: request.id, ...(request.name ? { name: request.name } : {}), url: stitchUrl(inputIds), ...(request.output ? { egress: { url: request.output.url, stream: 'raw' } } : {}) },
      'sources',
    );
    const newInputs = made.filter((input): input is CameraConfig => typeof input !== 'string');
    const registered = new Map((await this.registry.list()).map((camera) => [camera.id, camera]));
    for (const camera of [panorama, ...newInputs]) {
      if (registered.has(camera.id)) throw new ConflictException(`camera "${camera.id}" already exists`);
    }
    const conflict = stitchConflict(panorama, new Map([...registered, ...newInputs.map((input) => [input.id, input] as const)]));
    if (conflict) throw new BadRequestException(conflict.replace(/^url: input/, 'sources: camera'));
    const max = inputLimits().cameras;
    const written = await this.registry.addAll([...newInputs, panorama], { max });
    if (written.outcome === 'exists') throw new ConflictException(`camera "${written.id}" already exists`);
    if (written.outcome === 'full') throw new BadRequestException(`cameras: a panorama with ${newInputs.length} new input(s) would pass ${max} cameras, the most allowed (MAX_CAMERAS)`);
    for (const camera of [...newInputs, panorama]) this.cameras.changed(camera.id, 'added');
    return view(panorama, null, null, null, 'full');
  }

  /** DELETE /api/stitch/:id: the panorama and the inputs made for it. */
  async remove(id: string): Promise<void> {
    await this.panorama(id);
    await this.cameras.remove(id);
  }

  /** POST /api/stitch/:id/calibrate: the stitch replica making it calibrates at its next pair of frames. */
  async calibrate(id: string): Promise<void> {
    await this.panorama(id);
    this.control.emit(controlEvents.stitchCalibrate, { id }).subscribe({ error: () => undefined });
  }

  private async panorama(id: string): Promise<CameraConfig> {
    const camera = CAMERA_ID_PATTERN.test(id) ? await this.registry.get(id) : undefined;
    if (!camera || !isPanorama(camera)) throw new NotFoundException(`unknown panorama "${id}"`);
    return camera;
  }

  /** A camera id source as it is; a URL source as the input camera to make for it, checked like POST /api/cameras. */
  private async inputFor(request: StitchRequest, source: string, side: 0 | 1): Promise<string | CameraConfig> {
    if (isCameraIdSource(source)) return source;
    if (isPanorama({ url: source })) throw new BadRequestException(`sources[${side}]: a source is a camera id or a URL to capture, not a panorama (stitch://)`);
    const id = `${request.id}${STITCH_INPUT_SUFFIXES[side]}`;
    if (!CAMERA_ID_PATTERN.test(id)) throw new BadRequestException(`id: with a URL source the input camera "${id.slice(0, 80)}" is made, and that is no camera id (at most 64 characters): use a shorter id`);
    return this.check({ id, url: source, partOf: request.id }, `sources[${side}]`);
  }

  /** The camera schema and the source policy; a refusal names the request's field (`sources[i]` for an input's url). */
  private async check(camera: Record<string, unknown>, urlField: string): Promise<CameraConfig> {
    const parsed = cameraConfigSchema.safeParse(camera);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => `${requestField(issue.path.join('.'), urlField)}: ${issue.message}`);
      throw new BadRequestException(fields.join('; '));
    }
    const verdict = await this.policy.check(parsed.data);
    if (!verdict.ok) throw new BadRequestException(`${requestField(verdict.field, urlField)}: ${verdict.reason}`);
    return parsed.data;
  }
}

/** The field of POST /api/stitch's body a camera field came from. */
function requestField(cameraField: string, urlField: string): string {
  if (cameraField === 'egress.url') return 'output.url';
  return cameraField === 'url' ? urlField : cameraField;
}
