import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CodecProbe } from '@vigil/media';

// the bug this guards against: a camera path "-report" reached ffprobe's argv as an option (it wrote a report file)
describe('CodecProbe', () => {
  test('a location that ffprobe could read as an option is refused before ffprobe runs', async () => {
    for (const location of ['-report', '  -report', '-i']) {
      await assert.rejects(new CodecProbe().probe({ kind: 'file', location }, 'tcp'), /the source location must not start with "-"/);
    }
  });
});
