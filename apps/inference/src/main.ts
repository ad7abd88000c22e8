import 'reflect-metadata';
import { appPort } from '@vigil/config';
import { main } from '@vigil/platform';
import { InferenceAppModule } from './inference-app.module';

// inference alone: detection on the frame bus; serves only /healthz and /metrics on INFERENCE_PORT
main({ name: 'inference', module: (config) => InferenceAppModule.forRoot(config), port: appPort.inference });
