export * from './metrics.service';
export * from './metrics.module';
export * from './metrics.controller';
export * from './throttled-log';
export * from './bad-messages';
export * from './remove-series';
export * from './fps-meter';
