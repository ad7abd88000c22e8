import { Injectable } from '@nestjs/common';
import { CAMERA_STATES, type CameraState } from '@vigil/contracts';
import { MetricsService } from '@vigil/metrics';

/** The ingest side's Prometheus metrics, per camera. */
@Injectable()
export class IngestMetrics {
  readonly frames;
  readonly dropped;
  readonly oversized;
  readonly reconnects;
  readonly state;
  readonly fps;
  readonly captureStarts;
  readonly captureProcesses;

  constructor(metrics: MetricsService) {
    this.frames = metrics.counter({ name: 'vigil_ingest_frames_total', help: 'Frames captured and published to Redis', labelNames: ['camera'] });
    this.dropped = metrics.counter({
    name: 'vigil_ingest_frames_dropped_total',
    help: 'Frames captured but dropped before Redis (Redis down or behind)',
    labelNames: ['camera'],
  });
    this.oversized = metrics.counter({
      name: 'vigil_ingest_frames_oversized_total',
      help: 'Frames captured but not published because they were larger than FRAME_MAX_BYTES',
      labelNames: ['camera'],
    });
    this.reconnects = metrics.counter({ name: 'vigil_ingest_reconnects_total', help: 'Capture restarts after a failure or stall', labelNames: ['camera'] });
    this.state = metrics.gauge({
    name: 'vigil_ingest_camera_state',
    help: 'Camera state as seen by the ingest instance that owns it (1 for the current state)',
    labelNames: ['camera', 'state'],
  });
    this.fps = metrics.gauge({ name: 'vigil_ingest_camera_fps', help: 'Frames per second captured', labelNames: ['camera'] });
    this.captureStarts = metrics.counter({ name: 'vigil_ingest_capture_starts_total', help: 'Captures started (a pipeline opened in a capture process)', labelNames: ['camera'] });
    this.captureProcesses = metrics.gauge({ name: 'vigil_ingest_capture_processes', help: 'Capture processes running (several cameras share one; see CAMERAS_PER_CAPTURE_PROCESS)' });
  }

  setState(camera: string, current: CameraState): void {
    for (const state of CAMERA_STATES) this.state.set({ camera, state }, state === current ? 1 : 0);
  }

  forget(camera: string): void {
    for (const metric of [this.frames, this.dropped, this.oversized, this.reconnects, this.fps, this.captureStarts]) metric.remove({ camera });
    for (const state of CAMERA_STATES) this.state.remove({ camera, state });
  }
}
