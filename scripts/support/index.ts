// Support code shared by the demo, the tests and the benchmark: real redis-server, a real
// RTSP server (gst-rtsp-server), ffmpeg-made media, and managed child processes that never outlive us.
export * from './free-port';
export * from './executable';
export * from './child';
export * from './repo-root';
export * from './redis-server';
export * from './rtsp-server';
export * from './rtmp-server';
export * from './media';
export * from './admin-credentials';
export * from './vigil';
export * from './demo-account';
export * from './demo-system';
