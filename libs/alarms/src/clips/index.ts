// Alarm clips: the frames before and during an alarm, recorded, encoded to MP4 and kept on disk with a snapshot.
export * from './clip-frame';
export * from './clip-window';
export * from './select-clip-frames';
export * from './frame-ring';
export * from './clip-memory';
export * from './clip-recording';
export * from './ffconcat';
export * from './clip-encoder-args';
export * from './clip-encoder';
export * from './clip-store';
export * from './retention';
export * from './errors';
export * from './staged-clips';
export * from './slots';
