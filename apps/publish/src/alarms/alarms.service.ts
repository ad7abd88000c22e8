import { basename } from 'node:path';
import { BadRequestException, Inject, Injectable, NotFoundException, OnApplicationShutdown } from '@nestjs/common';
import { describeIssues, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import type { CameraScope } from '@vigil/auth';
import { z } from 'zod';
import { alarmRecordSchema, isAlarmId, type AlarmRecord } from '@vigil/contracts';
import { AlarmSettings, alarmQuerySchema, AlarmStore, ClipStore, WebhookOutbox, webhookDeliverySchema, type AlarmPage } from '@vigil/alarms';
import { CameraRegistry, RedisConnections, WebhookDeadLetters } from '@vigil/redis';
import { panoramaAwareScope } from '../cameras/panorama-scope';

/** What a file route serves: a file of the alarms directory and its type. */
export interface AlarmFile {
  /** the alarms directory, wherever it is (the default `.vigil/alarms` sits in a dot-folder) */
  dir: string;
  /** the file's name in it, made from a checked alarm id only */
  name: string;
  contentType: string;
}

/** One alarm as GET /api/alarms/:id shows it: the record and where its webhooks stand. */
export const alarmDetailSchema = alarmRecordSchema.extend({ deliveries: z.array(webhookDeliverySchema).describe('webhook deliveries of its events, as far as this process can see them') });
export type AlarmDetail = z.infer<typeof alarmDetailSchema>;

/** Alarm records and their files for the API; every id is checked before it touches Redis or the disk. */
@Injectable()
export class AlarmsQueryService implements OnApplicationShutdown {
  private readonly files: ClipStore;
  /** read only here (never started): the alarms service delivers */
  private readonly outbox?: WebhookOutbox;

  constructor(
    private readonly store: AlarmStore,
    private readonly registry: CameraRegistry,
    @Inject(VIGIL_CONFIG) config: VigilConfig,
    settings: AlarmSettings,
    connections: RedisConnections,
  ) {
    this.files = new ClipStore({ dir: config.alarms.dir, maxAgeMs: config.alarms.retention.maxAgeMs, maxBytes: config.alarms.retention.maxBytes });
    if (settings.webhooks.length) this.outbox = new WebhookOutbox({ redisUrl: config.redisUrl, endpoints: settings.webhooks, deadLetters: new WebhookDeadLetters(connections.create('webhooks-dead')) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.outbox?.close();
  }

  /** The alarms of the cameras the caller may see; another camera's are not there at all. */
  async list(query: unknown, scope: CameraScope): Promise<AlarmPage> {
    const parsed = alarmQuerySchema.safeParse(query);
    if (!parsed.success) throw new BadRequestException(describeIssues(parsed.error));
    return this.store.list(parsed.data, await this.visibility(scope));
  }

  async detail(id: string, scope: CameraScope): Promise<AlarmDetail> {
    const alarm = await this.get(id, scope);
    return { ...alarm, deliveries: (await this.outbox?.deliveries(id)) ?? [] };
  }

  /** An alarm of a camera out of the caller's scope is as unknown as one that never was. */
  async get(id: string, scope: CameraScope): Promise<AlarmRecord> {
    if (!isAlarmId(id)) throw new BadRequestException(`"${String(id).slice(0, 64)}" is not an alarm id`);
    const alarm = await this.store.get(id);
    if (!alarm || !(await this.visibility(scope))(alarm.camera)) throw new NotFoundException(`unknown alarm "${id}"`);
    return alarm;
  }

  async clip(id: string, scope: CameraScope): Promise<AlarmFile> {
    const alarm = await this.get(id, scope);
    if (alarm.clip.state !== 'ready') {
      throw new NotFoundException(`alarm ${id} has no clip ${alarm.clip.state === 'failed' ? `(it failed: ${alarm.clip.error ?? 'unknown'})` : `yet (${alarm.clip.state})`}`);
    }
    return this.file(this.files.clipPath(id), 'video/mp4');
  }

  async snapshot(id: string, scope: CameraScope): Promise<AlarmFile> {
    const alarm = await this.get(id, scope);
    if (!alarm.snapshot) throw new NotFoundException(`alarm ${id} has no snapshot`);
    return this.file(this.files.snapshotPath(id), 'image/jpeg');
  }

  /** Which cameras' alarms the caller may see: its scope, a panorama only with both its inputs. */
  private async visibility(scope: CameraScope): Promise<(camera: string) => boolean> {
    return scope.all ? () => true : panoramaAwareScope(scope, await this.registry.list());
  }

  private file(path: string, contentType: string): AlarmFile {
    return { dir: this.files.dir, name: basename(path), contentType };
  }
}
