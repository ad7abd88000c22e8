import 'reflect-metadata';
import { appPort } from '@vigil/config';
import { main } from '@vigil/platform';
import { EgressAppModule } from './egress-app.module';

// egress alone: pushes cameras' frames to RTMP/RTSP servers; serves /healthz, /metrics and /api/egress on EGRESS_PORT
main({ name: 'egress', module: (config) => EgressAppModule.forRoot(config), port: appPort.egress });
