import 'reflect-metadata';
import { appPort } from '@vigil/config';
import { main } from '@vigil/platform';
import { StitchAppModule } from './stitch-app.module';

// stitch alone: makes the panorama cameras; serves only /healthz and /metrics on STITCH_PORT
main({ name: 'stitch', module: (config) => StitchAppModule.forRoot(config), port: appPort.stitch });
