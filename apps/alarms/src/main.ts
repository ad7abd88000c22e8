import 'reflect-metadata';
import { appPort } from '@vigil/config';
import { main } from '@vigil/platform';
import { AlarmsAppModule } from './alarms-app.module';

// alarms alone: violations to alarms, clips and webhooks; serves only /healthz and /metrics on ALARMS_PORT
main({ name: 'alarms', module: (config) => AlarmsAppModule.forRoot(config), port: appPort.alarms });
