export * from './access';
export * from './access.module';
export * from './auditor';
export * from './auth-store';
export * from './authenticator';
export * from './current-identity';
export * from './jwt-verifier';
