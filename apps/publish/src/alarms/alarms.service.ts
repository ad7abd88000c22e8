import { basename } from 'node:path';
import { BadRequestException, Inject, Injectable, NotFoundException, OnApplicationShutdown } from '@nestjs/common';
import { describeIssues, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { isAlarmId, type AlarmRecord } from '@vigil/contracts';
import { AlarmSettings, alarmQuerySchema, AlarmStore, ClipStore, WebhookOutbox, type AlarmPage, type WebhookDelivery } from '@vigil/alarms';

/** What a file route serves: a file of the alarms directory and its type. */
export interface AlarmFile {
  /** the alarms directory, wherever it is (the default `.vigil/alarms` sits in a dot-folder) */
  dir: string;
  /** the file's name in it, made from a checked alarm id only */
  name: string;
  contentType: string;
}

/** One alarm as GET /api/alarms/:id shows it: the record and where its webhooks stand. */
export type AlarmDetail = AlarmRecord & { deliveries: WebhookDelivery[] };

/** Alarm records and their files for the API; every id is checked before it touches Redis or the disk. */
@Injectable()
export class AlarmsQueryService implements OnApplicationShutdown {
  private readonly files: ClipStore;
  /** read only here (never started): the alarms service delivers */
  private readonly outbox?: WebhookOutbox;

  constructor(
    private readonly store: AlarmStore,
    @Inject(VIGIL_CONFIG) config: VigilConfig,
    settings: AlarmSettings,
  ) {
    this.files = new ClipStore({ dir: config.alarms.dir, maxAgeMs: config.alarms.retention.maxAgeMs, maxBytes: config.alarms.retention.maxBytes });
    if (settings.webhooks.length) this.outbox = new WebhookOutbox({ redisUrl: config.redisUrl, endpoints: settings.webhooks });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.outbox?.close();
  }

  list(query: unknown): Promise<AlarmPage> {
    const parsed = alarmQuerySchema.safeParse(query);
    if (!parsed.success) throw new BadRequestException(describeIssues(parsed.error));
    return this.store.list(parsed.data);
  }

  async detail(id: string): Promise<AlarmDetail> {
    const alarm = await this.get(id);
    return { ...alarm, deliveries: (await this.outbox?.deliveries(id)) ?? [] };
  }

  async get(id: string): Promise<AlarmRecord> {
    if (!isAlarmId(id)) throw new BadRequestException(`"${String(id).slice(0, 64)}" is not an alarm id`);
    const alarm = await this.store.get(id);
    if (!alarm) throw new NotFoundException(`unknown alarm "${id}"`);
    return alarm;
  }

  async clip(id: string): Promise<AlarmFile> {
    const alarm = await this.get(id);
    if (alarm.clip.state !== 'ready') {
      throw new NotFoundException(`alarm ${id} has no clip ${alarm.clip.state === 'failed' ? `(it failed: ${alarm.clip.error ?? 'unknown'})` : `yet (${alarm.clip.state})`}`);
    }
    return this.file(this.files.clipPath(id), 'video/mp4');
  }

  async snapshot(id: string): Promise<AlarmFile> {
    const alarm = await this.get(id);
    if (!alarm.snapshot) throw new NotFoundException(`alarm ${id} has no snapshot`);
    return this.file(this.files.snapshotPath(id), 'image/jpeg');
  }

  private file(path: string, contentType: string): AlarmFile {
    return { dir: this.files.dir, name: basename(path), contentType };
  }
}
