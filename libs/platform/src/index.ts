export * from './project-root';
export * from './bootstrap';
export * from './core.module';
export * from './coalescing-task';
export * from './start-up-logger';
export * from './json-only';
export * from './same-origin';
