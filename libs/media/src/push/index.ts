// Pushing a stream to a media server with ffmpeg without showing its secrets in ffmpeg's argv, shared by egress and
// `npm run send`: an RTMP target split for a preset on a private fd, and the loopback RTSP relay that holds an RTSP
// target's credentials.
export * from './ffmpeg-preset';
export * from './ffmpeg-child';
export * from './push-output';
export * from './private-fd';
export * from './rtmp-target';
export * from './rtsp-target';
export * from './rtsp-relay';
export * from './rtsp-message';
export * from './rtsp-auth';
export * from './rtsp-splitter';
export * from './rtsp-rewrite';
export * from './loopback-peer';
