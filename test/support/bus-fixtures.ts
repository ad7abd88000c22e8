import { encodeFrame, type AlarmEvent, type DetectionsEvent, type Frame, type StreamName } from '@vigil/contracts';

/**
 * A JPEG as far as the bus's checks can tell (start, a start-of-frame of that size, a scan, the end marker), with
 * no decodable image in it: enough for the fan-out, which only forwards frames.
 */
export function headerOnlyJpeg(width: number, height: number, end = true): Buffer {
  const sof = [0xff, 0xc0, 0x00, 0x0b, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0];
  const sos = [0xff, 0xda, 0x00, 0x08, 1, 1, 0, 0, 63, 0];
  return Buffer.from([0xff, 0xd8, ...sof, ...sos, 0x12, 0x34, 0x56, ...(end ? [0xff, 0xd9] : [])]);
}

export function testFrame(overrides: Partial<Frame> = {}): Frame {
  return { camera: 'yard', stream: 'raw', seq: 7, ts: 1_700_000_000_000, width: 640, height: 360, format: 'jpeg', data: headerOnlyJpeg(640, 360), ...overrides };
}

/** An envelope of `camera`'s stream, as ingest would publish it. */
export function frameMessage(camera: string, seq: number, stream: StreamName = 'raw'): Buffer {
  return encodeFrame(testFrame({ camera, stream, seq, ts: Date.now() }));
}

export function testDetections(overrides: Partial<DetectionsEvent> = {}): DetectionsEvent {
  return {
    camera: 'yard',
    seq: 3,
    ts: 1_700_000_000_000,
    width: 640,
    height: 360,
    detections: [{ label: 'person', classId: 0, score: 0.9, box: [0.1, 0.2, 0.3, 0.4] }],
    detector: 'motion',
    inferenceMs: 4.2,
    ...overrides,
  };
}

export function testAlarmEvent(overrides: Partial<AlarmEvent['alarm']> = {}): AlarmEvent {
  return {
    type: 'start',
    alarm: {
      id: '00lx3k2a9abcdef0123',
      camera: 'yard',
      rule: 'no-entry',
      kind: 'intrusion',
      classes: ['person'],
      score: 0.8,
      startedAt: 1_700_000_000_000,
      lastSeenAt: 1_700_000_000_500,
      endedAt: null,
      state: 'active',
      violations: 3,
      detections: [],
      seq: 10,
      snapshot: false,
      clip: { state: 'recording' },
      ...overrides,
    },
  };
}
