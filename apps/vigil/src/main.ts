import 'reflect-metadata';
import { appPort } from '@vigil/config';
import { main } from '@vigil/platform';
import { configurePublish } from '../../publish/src/configure';
import { VigilModule } from './vigil.module';

main({ name: 'vigil', module: (config) => VigilModule.forRoot(config), port: appPort.vigil, configure: configurePublish });
