// H.264 encoding with ffmpeg, shared by alarm clips and egress: the NVENC/x264 choice by a real test encode.
export * from './errors';
export * from './encoder-choice';
export * from './ffmpeg-process';
export * from './test-encode';
