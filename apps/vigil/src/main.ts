import 'reflect-metadata';
import { main } from '@vigil/platform';
import { configurePublish } from '../../publish/src/configure';
import { VigilModule } from './vigil.module';

main({ name: 'vigil', module: (config) => VigilModule.forRoot(config), port: (config) => config.port, configure: configurePublish });
