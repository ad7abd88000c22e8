import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { VigilConfig } from '@vigil/config';
import { projectRoot } from '@vigil/platform';
import { BoundedIoAdapter } from './live/bounded-io-adapter';

/** Serves the web page (static files, no build step) at `/`, and Socket.IO within the configured message size. */
export function configurePublish(app: NestExpressApplication, config: VigilConfig): void {
  app.useWebSocketAdapter(new BoundedIoAdapter(app, config.socket.messageMaxBytes));
  app.useStaticAssets(join(projectRoot(), 'apps', 'publish', 'web'), { index: 'index.html', maxAge: 0 });
}
