export * from './backoff';
export * from './process-supervisor';
export * from './stderr-tail';
export * from './until-aborted';
export * from './line-splitter';
