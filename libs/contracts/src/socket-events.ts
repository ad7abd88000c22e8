import type { FrameFormat } from './envelope';
import type { StreamName } from './channels';
import type { DetectionsEvent } from './detection';
import type { AlarmEvent } from './alarm';

/** `format` a client may ask for: JPEG bytes as a Buffer, or the same bytes as a base64 string. */
export const CLIENT_FORMATS = ['jpeg', 'base64'] as const;
export type ClientFormat = (typeof CLIENT_FORMATS)[number];

export interface SubscribeRequest {
  camera: string;
  stream?: StreamName;
  format?: ClientFormat;
}

export type Ack = { ok: true } | { ok: false; error: string };

export interface FrameEvent {
  camera: string;
  stream: StreamName;
  seq: number;
  /** capture time, epoch ms */
  ts: number;
  width: number;
  height: number;
  format: FrameFormat | 'base64';
  data: Buffer | string;
}

export interface ServerToClientEvents {
  frame: (event: FrameEvent) => void;
  /** detections of a camera, to every client watching any of its streams */
  detections: (event: DetectionsEvent) => void;
  /** alarm lifecycle (start, update, end; update also when its clip is ready), to every client watching the camera */
  alarm: (event: AlarmEvent) => void;
}

export interface ClientToServerEvents {
  subscribe: (request: SubscribeRequest, ack: (result: Ack) => void) => void;
  unsubscribe: (request: SubscribeRequest, ack: (result: Ack) => void) => void;
}
