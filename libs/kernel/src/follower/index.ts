export * from './follower-defaults';
export * from './quiet-warnings';
export * from './registry-follower';
export * from './registry-followers';
export * from './registry-changed.controller';
export * from './follower.module';
