import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { statusView, type CameraStatus } from '@vigil/contracts';

const status = (state: CameraStatus['state'], reason?: string): CameraStatus => ({ id: 'cam', state, reason, frames: 0, fps: 0, reconnects: 3, since: 1, updatedAt: 2 });

// the bug this guards against: a caller who may add cameras reading "Connection refused" vs "no frame within 10 s"
// for each host and port it points a camera at, i.e. a port scanner behind the firewall
describe('statusView', () => {
  test('generic: one phrase per state, whatever ingest wrote', () => {
    const failures: [CameraStatus['state'], string, string][] = [
      ['error', 'cannot read the stream: Connection refused', 'cannot connect to the camera'],
      ['error', 'refused by the source policy: url: host "x" resolves to 169.254.169.254 is in 169.254.0.0/16', 'cannot connect to the camera'],
      ['stalled', 'no frame within 10 s of connecting', 'the camera sends no frames'],
      ['offline', 'the stream ended', 'the camera is offline'],
    ];
    for (const [state, full, generic] of failures) {
      const shown = statusView(status(state, full), 'generic');
      assert.equal(shown.reason, generic);
      assert.deepEqual({ ...shown, reason: full }, status(state, full), 'everything else as it was');
    }
  });

  test('generic: no reason stays no reason', () => {
    assert.equal(statusView(status('live'), 'generic').reason, undefined);
    assert.equal(statusView(status('connecting'), 'generic').reason, undefined);
  });

  test('full: the reason ingest wrote', () => {
    assert.equal(statusView(status('error', 'cannot read the stream: Connection refused'), 'full').reason, 'cannot read the stream: Connection refused');
  });
});
