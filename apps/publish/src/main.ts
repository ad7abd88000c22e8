import 'reflect-metadata';
import { appPort } from '@vigil/config';
import { main } from '@vigil/platform';
import { configurePublish } from './configure';
import { PublishAppModule } from './publish-app.module';

main({ name: 'publish', module: (config) => PublishAppModule.forRoot(config), port: appPort.publish, configure: configurePublish });
