// H.264/H.265 encoding with ffmpeg, shared by alarm clips, egress and the sender: the NVENC/CPU choice by a real
// test encode, and the live encoder's options.
export * from './errors';
export * from './encoder-choice';
export * from './ffmpeg-process';
export * from './test-encode';
export * from './live-encode';
