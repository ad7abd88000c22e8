/**
 * Where a push finds the camera's audio, as an attacker and an unlucky admin try it: the source policy before any
 * probe (files outside MEDIA_ROOTS, a name that resolves to the metadata service), sources that cannot have sound,
 * a camera without sound, one that cannot be read, a hostile codec name. The probe is a fake; files and the policy
 * are real.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SourcePolicy } from '@vigil/config';
import type { Source } from '@vigil/contracts';
import type { CodecProbe } from '@vigil/media';
import { EgressAudio } from '../../apps/egress/src/egress-audio';

class FakeProbe {
  readonly asked: Source[] = [];
  constructor(private readonly answer: () => Promise<string | undefined>) {}
  audioCodec(source: Source): Promise<string | undefined> {
    this.asked.push(source);
    return this.answer();
  }
}

describe('EgressAudio', () => {
  let media: string;
  let policy: SourcePolicy;

  before(() => {
    media = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-egress-audio-')));
    writeFileSync(join(media, 'clip.mp4'), 'a clip');
    symlinkSync('/etc/passwd', join(media, 'passwd.mp4'));
    const resolver = async (host: string) => (host === 'metadata.example' ? ['169.254.169.254'] : ['192.0.2.10']);
    policy = new SourcePolicy({ mediaRoots: [media], devices: ['/dev/video0'], allowedNetworks: [] }, resolver);
  });

  after(() => rmSync(media, { recursive: true, force: true }));

  const plan = (url: string, probe: FakeProbe, transport: 'tcp' | 'udp' = 'tcp') => new EgressAudio(policy, probe as unknown as CodecProbe).plan({ url, transport });

  test('an RTSP camera with sound: read by the push from the camera, lined up by capture time', async () => {
    const probe = new FakeProbe(async () => 'aac');
    assert.deepEqual(await plan('rtsp://viewer:pw@cam.example:554/live', probe, 'udp'), {
      input: { kind: 'rtsp', url: 'rtsp://viewer:pw@cam.example:554/live', transport: 'udp' },
      codec: 'aac',
      synced: true,
    });
  });

  test('a file camera with sound: its real path, looped, only playing along', async () => {
    const probe = new FakeProbe(async () => 'aac');
    assert.deepEqual(await plan(join(media, 'clip.mp4'), probe), { input: { kind: 'file', path: join(media, 'clip.mp4') }, codec: 'aac', synced: false });
  });

  test('the source policy comes first: no probe opens what it refuses', async () => {
    const probe = new FakeProbe(async () => 'aac');
    const outside = await plan('/etc/hostname', probe);
    assert.ok('none' in outside && /^refused by the source policy: url: "\/etc\/hostname" is not inside MEDIA_ROOTS/.test(outside.none), JSON.stringify(outside));
    const link = await plan(join(media, 'passwd.mp4'), probe);
    assert.ok('none' in link && link.none.startsWith('refused by the source policy: url: '), JSON.stringify(link));
    const metadata = await plan('rtsp://u:s3cret@metadata.example/x', probe);
    assert.ok('none' in metadata && /169\.254\.169\.254/.test(metadata.none) && !metadata.none.includes('s3cret'), JSON.stringify(metadata));
    assert.deepEqual(probe.asked, []);
  });

  test('sources that cannot carry sound are said so without a probe', async () => {
    const probe = new FakeProbe(async () => 'aac');
    assert.deepEqual(await plan('test://ball', probe), { none: 'a test:// source has no audio' });
    assert.deepEqual(await plan('http://cam.example/video.mjpg', probe), { none: 'an MJPEG-over-HTTP source has no audio' });
    assert.deepEqual(await plan('/dev/video0', probe), { none: 'a V4L2 device has no audio (its sound card is not read)' });
    assert.deepEqual(probe.asked, []);
  });

  test('a camera without sound, and one that cannot be read: video only, with why', async () => {
    assert.deepEqual(await plan('rtsp://cam.example/live', new FakeProbe(async () => undefined)), { none: 'the source has no audio stream' });
    const failing = new FakeProbe(async () => {
      throw new Error('cannot read the stream: Server returned 404 Not Found');
    });
    assert.deepEqual(await plan('rtsp://cam.example/live', failing), { none: "cannot read the source's audio: cannot read the stream: Server returned 404 Not Found" });
  });

  test("a codec name that is not a plain one (the stream's own words) is shown as unknown", async () => {
    const result = await plan('rtsp://cam.example/live', new FakeProbe(async () => '<img src=x onerror=alert(1)>'));
    assert.ok('input' in result && result.codec === 'unknown');
  });
});
