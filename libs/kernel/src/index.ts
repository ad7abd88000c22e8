// The worker kernel: what every service that runs per-camera work shares. A registry follower decides which
// cameras this replica runs and starts and stops their workers; a supervised process keeps one child alive.
export * from './follower';
export * from './process';
