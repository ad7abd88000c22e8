import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { projectRoot } from '@vigil/platform';

/** Serves the web page (static files, no build step) at `/`. */
export function configurePublish(app: NestExpressApplication): void {
  app.useStaticAssets(join(projectRoot(), 'apps', 'publish', 'web'), { index: 'index.html', maxAge: 0 });
}
