import 'reflect-metadata';
import { appPort } from '@vigil/config';
import { main } from '@vigil/platform';
import { IngestAppModule } from './ingest-app.module';

// ingest alone: captures cameras; serves only /healthz and /metrics on INGEST_PORT
main({ name: 'ingest', module: (config) => IngestAppModule.forRoot(config), port: appPort.ingest });
