export * from './errors';
export * from './env';
export * from './cameras-file';
export * from './config.module';
export * from './app-ports';
export * from './source-policy';
