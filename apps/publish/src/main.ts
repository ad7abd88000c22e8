import 'reflect-metadata';
import { main } from '@vigil/platform';
import { configurePublish } from './configure';
import { PublishAppModule } from './publish-app.module';

main({ name: 'publish', module: (config) => PublishAppModule.forRoot(config), port: (config) => config.port, configure: configurePublish });
