// one loader for the whole project: see libs/media/src/opencv.ts
export { opencv, releaseMats, type OpenCv } from '@vigil/media/opencv';
