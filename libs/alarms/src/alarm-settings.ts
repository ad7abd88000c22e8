import { Inject, Injectable } from '@nestjs/common';
import { loadConfigFile, VIGIL_CONFIG, type VigilConfig } from '@vigil/config';
import { DEFAULT_ALARM_POLICY, type AlarmPolicy } from './lifecycle/alarm-policy';
import { resolveWebhookEndpoints, type WebhookEndpoint } from './webhooks/endpoints';

/**
 * Alarm settings from defaults, then the config file (`alarms`, `webhooks`), then the environment; validated when
 * the service is built, so a bad webhook entry stops it at start with the field named.
 */
@Injectable()
export class AlarmSettings {
  readonly policy: AlarmPolicy;
  readonly webhooks: WebhookEndpoint[];

  constructor(@Inject(VIGIL_CONFIG) readonly config: VigilConfig) {
    const document = config.camerasFile ? loadConfigFile(config.camerasFile) : undefined;
    const file = document?.alarms;
    const fromFile: Partial<AlarmPolicy> = file
      ? {
          preMs: seconds(file.pre),
          postMs: seconds(file.post),
          quietMs: seconds(file.quiet),
          cooldownMs: seconds(file.cooldown),
          maxClipMs: seconds(file.maxClip),
        }
      : {};
    this.policy = { ...DEFAULT_ALARM_POLICY, ...defined(fromFile), ...defined(config.alarms.policy) };
    const webhook = config.alarms.webhook;
    this.webhooks = resolveWebhookEndpoints({
      env: webhook ? { WEBHOOK_URL: webhook.url, WEBHOOK_SECRET: webhook.secret } : undefined,
      file: document?.webhooks,
    });
  }
}

function seconds(value: number | undefined): number | undefined {
  return value === undefined ? undefined : Math.round(value * 1000);
}

function defined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
