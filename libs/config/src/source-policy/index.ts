export * from './source-policy';
export { BLOCKED_NETWORKS, parseNetwork } from './network-rules';
export { mediaRootProblem } from './media-path';
