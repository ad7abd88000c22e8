export * from './errors';
export * from './revocations';
export * from './token-repository';
export * from './session-repository';
export * from './user-repository';
export * from './login-limiter';
export * from './audit-log';
export * from './link-secret';
