import type { VigilConfig } from './env';

/** The apps under apps/, each started by `dist/apps/<name>/src/main.js`. */
export const APP_NAMES = ['vigil', 'ingest', 'inference', 'publish', 'alarms', 'egress', 'stitch'] as const;
export type AppName = (typeof APP_NAMES)[number];

/**
 * The HTTP port each app listens on: health and metrics everywhere, the page and API on publish and the all-in-one.
 * Deployment files (docker-compose.yml, k8s/) are checked against it.
 */
export const appPort: Record<AppName, (config: VigilConfig) => number> = {
  vigil: (config) => config.port,
  publish: (config) => config.port,
  ingest: (config) => config.ingestPort,
  inference: (config) => config.inferencePort,
  alarms: (config) => config.alarms.port,
  egress: (config) => config.egress.port,
  stitch: (config) => config.stitch.port,
};
