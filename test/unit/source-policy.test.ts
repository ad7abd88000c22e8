/**
 * The source policy as an attacker tries it: files outside the media roots by traversal, symlinks and encoded dots;
 * kernel files and devices; option-looking paths; the cloud metadata address in every spelling a resolver accepts.
 * Files are real (a temporary folder with real symlinks and a real FIFO); host lookups are stubbed.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SourcePolicy, type HostResolver, type SourcePolicyOptions, type SourceVerdict } from '@vigil/config';

describe('SourcePolicy', () => {
  let work: string;
  let media: string;
  let policy: SourcePolicy;

  before(() => {
    work = realpathSync(mkdtempSync(join(tmpdir(), 'vigil-policy-')));
    media = join(work, 'media');
    mkdirSync(join(media, 'frames'), { recursive: true });
    mkdirSync(join(work, 'media-evil'));
    mkdirSync(join(work, 'outside'));
    writeFileSync(join(media, 'clip.mp4'), 'not really a clip');
    writeFileSync(join(work, 'outside', 'secret.mp4'), 'secret');
    writeFileSync(join(work, 'media-evil', 'clip.mp4'), 'sibling folder');
    symlinkSync('/etc/passwd', join(media, 'passwd.mp4'));
    symlinkSync(join(work, 'outside'), join(media, 'escape'));
    symlinkSync(join(media, 'clip.mp4'), join(media, 'alias.mp4'));
    symlinkSync('/dev/zero', join(media, 'zero.mp4'));
    execFileSync('mkfifo', [join(media, 'pipe.mp4')]);
    // a root reached through a symlink: its real path is what files are compared with
    symlinkSync(media, join(work, 'media-link'));
    policy = options({ mediaRoots: [join(work, 'media-link')] });
  });

  after(() => rmSync(work, { recursive: true, force: true }));

  const options = (overrides: Partial<SourcePolicyOptions> = {}, resolver?: HostResolver) =>
    new SourcePolicy({ mediaRoots: [], devices: [], allowedNetworks: [], ...overrides }, resolver);

  async function refused(url: string, message: RegExp, on = policy, field: 'url' | 'egress.url' = 'url'): Promise<void> {
    const verdict = await on.check({ url });
    assert.equal(verdict.ok, false, `${JSON.stringify(url)} must be refused, got ${JSON.stringify(verdict)}`);
    assert.equal((verdict as Extract<SourceVerdict, { ok: false }>).field, field);
    assert.match((verdict as Extract<SourceVerdict, { ok: false }>).reason, message, url);
  }

  async function admitted(url: string, on = policy): Promise<SourceVerdict & { ok: true }> {
    const verdict = await on.check({ url });
    assert.ok(verdict.ok, `${JSON.stringify(url)} must be admitted, got ${JSON.stringify(verdict)}`);
    return verdict;
  }

  describe('files', () => {
    test('a file inside a media root is admitted by its real path, through a symlinked root or a symlink within', async () => {
      for (const url of [join(media, 'clip.mp4'), `file://${join(work, 'media-link', 'clip.mp4')}`, join(media, 'alias.mp4'), join(media, 'frames', '..', 'clip.mp4')]) {
        assert.deepEqual((await admitted(url)).source, { kind: 'file', location: join(media, 'clip.mp4') }, url);
      }
    });

    test('a file that does not exist yet is admitted where it will lie inside a root', async () => {
      assert.deepEqual((await admitted(join(media, 'later', 'clip.mp4'))).source, { kind: 'file', location: join(media, 'later', 'clip.mp4') });
    });

    test('traversal out of the root is refused, however the dots are written', async () => {
      const outside = /is not inside MEDIA_ROOTS/;
      await refused(`${media}/../outside/secret.mp4`, outside);
      await refused(`${media}/../../../../etc/passwd`, outside);
      await refused(`file://${media}/%2e%2e/outside/secret.mp4`, outside);
      await refused(`file://${media}/%2E%2E/%2e%2E/%2e%2e/etc/passwd`, outside);
      await refused(`file://${media}/..%2f..%2f..%2fetc%2fpasswd`, outside);
      // ".." after a folder that does not exist cannot be resolved: a folder made later could send it anywhere
      await refused(`${media}/missing/../../outside/secret.mp4`, outside);
      await refused(`${media}/missing/../clip.mp4`, outside);
    });

    test('a symlink inside the root that leads out of it is refused', async () => {
      await refused(join(media, 'passwd.mp4'), /is not inside MEDIA_ROOTS/);
      await refused(join(media, 'escape', 'secret.mp4'), /is not inside MEDIA_ROOTS/);
      await refused(join(media, 'zero.mp4'), /is not inside MEDIA_ROOTS/);
    });

    test('a folder beside the root whose name starts with the root\'s is not inside it', async () => {
      await refused(join(work, 'media-evil', 'clip.mp4'), /is not inside MEDIA_ROOTS/);
    });

    test('system files and devices are refused: /etc/passwd, /dev/zero, /proc/self/environ', async () => {
      for (const url of ['file:///etc/passwd', '/etc/passwd', '/dev/zero', 'file:///dev/zero', '/proc/self/environ', 'file:///proc/self/environ', '/dev/video0/../zero']) {
        await refused(url, /is not inside MEDIA_ROOTS/);
      }
    });

    test('inside a root, only regular files: not a folder, not a FIFO', async () => {
      await refused(join(media, 'frames'), /is a folder, not a video file/);
      await refused(join(media, 'pipe.mp4'), /is a device, pipe or socket, not a video file/);
    });

    test('a root that is "/" through a symlink allows nothing', async () => {
      symlinkSync('/', join(work, 'slash'));
      await refused('/etc/passwd', /is not inside MEDIA_ROOTS/, options({ mediaRoots: [join(work, 'slash')] }));
    });

    // publish in its own container may lack the media volume ingest has: it still takes paths below the root
    test('a root that does not exist here admits plain paths below it, and still no way out', async () => {
      const elsewhere = options({ mediaRoots: [join(work, 'not-mounted', 'media')] });
      assert.deepEqual((await admitted(join(work, 'not-mounted', 'media', 'cam', 'clip.mp4'), elsewhere)).source, { kind: 'file', location: join(work, 'not-mounted', 'media', 'cam', 'clip.mp4') });
      await refused(join(work, 'not-mounted', 'media', '..', 'media-x', 'clip.mp4'), /is not inside MEDIA_ROOTS/, elsewhere);
      await refused(join(work, 'not-mounted', 'media-x', 'clip.mp4'), /is not inside MEDIA_ROOTS/, elsewhere);
      await refused(join(media, 'clip.mp4'), /is not inside MEDIA_ROOTS/, elsewhere);
    });

    test('no media roots, no file sources', async () => {
      await refused(join(media, 'clip.mp4'), /is not inside MEDIA_ROOTS \(\)/, options());
    });
  });

  describe('image sequences', () => {
    test('a pattern in a folder inside a root is admitted with the folder\'s real path', async () => {
      assert.deepEqual((await admitted(join(work, 'media-link', 'frames', '%06d.jpg'))).source, { kind: 'sequence', location: join(media, 'frames', '%06d.jpg') });
      assert.equal((await admitted(join(media, 'frames', 'img-%d.png'))).source.kind, 'sequence');
    });

    test('a pattern whose folder leads out of the roots is refused', async () => {
      await refused(join(media, 'escape', '%06d.jpg'), /is not inside MEDIA_ROOTS/);
      await refused('/etc/%d', /is not inside MEDIA_ROOTS/);
    });

    // the location is a printf format for multifilesrc: a %s or %n there reads or writes memory
    test('a pattern with any "%" but one small %d in the file name is refused', async () => {
      for (const name of ['%06d-%s.jpg', '%n%d.jpg', '%d%d.jpg', '%0999999d.jpg', '%%%d.jpg']) {
        await refused(join(media, 'frames', name), /one %d \(or %06d\) in the file name and no other "%"/);
      }
      await refused(join(media, '%d', 'frame.jpg'), /one %d/);
    });
  });

  describe('option-looking and relative paths', () => {
    test('a leading "-" is refused before anything else looks at it', async () => {
      for (const url of ['-report', ' -report', '-i', '--help', '-f lavfi']) await refused(url, /must not start with "-"/);
    });

    test('a relative path is refused: it would depend on the reader\'s working directory', async () => {
      for (const url of ['clip.mp4', './clip.mp4', '../media/clip.mp4', 'media/%06d.jpg']) await refused(url, /is not an absolute path inside MEDIA_ROOTS/);
    });
  });

  describe('devices', () => {
    test('no device is allowed by default', async () => {
      await refused('/dev/video0', /device \/dev\/video0 is not in DEVICE_ALLOW \(empty: no device is allowed\)/);
    });

    test('DEVICE_ALLOW allows exactly its devices', async () => {
      const webcam = options({ devices: ['/dev/video0'] });
      assert.deepEqual((await admitted('/dev/video0', webcam)).source, { kind: 'v4l2', location: '/dev/video0' });
      await refused('/dev/video1', /not in DEVICE_ALLOW \(\/dev\/video0\)/, webcam);
      await refused('file:///dev/video0', /is not inside MEDIA_ROOTS/, webcam);
    });
  });

  describe('network addresses', () => {
    const metadata = /169\.254\.169\.254\)? is in 169\.254\.0\.0\/16/;

    test('the metadata address is refused in every spelling the resolver reads as it', async () => {
      for (const url of [
        'http://169.254.169.254/latest/meta-data/',
        'http://2852039166/',
        'http://0xA9FEA9FE/',
        'http://0251.0376.0251.0376/',
        'http://169.254.43518/',
        'http://%31%36%39.254.169.254/',
        'http://169.254.169.254./',
        'rtsp://169.254.169.254/stream',
        'rtsp://2852039166/stream',
        'rtsp://0xa9fea9fe/stream',
        'rtsp://0xa9.0xfe.0xa9.0xfe/stream',
        'rtsp://0251.0376.0251.0376/stream',
        'rtsp://169.254.43518/stream',
        'rtsp://169.16689662/stream',
        'rtsp://169.254.169.254./stream',
        'rtsps://admin:secret@169.254.169.254:322/stream',
        'rtsp://[::ffff:169.254.169.254]/stream',
        'rtsp://[::ffff:a9fe:a9fe]/stream',
        'http://[::ffff:169.254.169.254]/',
        'rtsp://[::ffff:0:a9fe:a9fe]/stream',
        'rtsp://[::169.254.169.254]/stream',
        'rtsp://[64:ff9b::a9fe:a9fe]/stream',
        'rtsp://[2002:a9fe:a9fe::1]/stream',
      ]) {
        await refused(url, metadata);
      }
    });

    test('link-local and the other clouds\' metadata addresses are refused', async () => {
      await refused('rtsp://169.254.1.20/stream', /169\.254\.1\.20 is in 169\.254\.0\.0\/16/);
      await refused('rtsp://[fe80::1]/stream', /fe80::1 is in fe80::\/10/);
      await refused('http://[FEBF::abcd]/', /febf::abcd is in fe80::\/10/);
      await refused('http://[fd00:ec2::254]/latest/meta-data/', /fd00:ec2::254 is in fd00:ec2::254\/128/);
      await refused('http://100.100.100.200/latest/meta-data/', /100\.100\.100\.200 is in 100\.100\.100\.200\/32/);
    });

    test('an rtsp host written with percent-escapes is refused: the resolver could decode it', async () => {
      await refused('rtsp://%31%36%39.254.169.254/stream', /must not be percent-encoded/);
    });

    test('credentials that look like a host do not hide the real one: the host after the last "@" is checked', async () => {
      await refused('rtsp://cam.local@169.254.169.254/stream', metadata);
      // WHATWG URL reads the host after the last "@" and re-serialises with one "@": that host is what GStreamer gets
      assert.equal((await admitted('rtsp://u:p@169.254.169.254:554@cam.local/stream')).source.location, 'rtsp://u:p%40169.254.169.254%3A554@cam.local/stream');
    });

    test('ordinary camera addresses are admitted: loopback, private networks, names, IPv6', async () => {
      for (const url of ['rtsp://127.0.0.1:8554/yard', 'rtsp://192.168.1.64:554/Streaming/Channels/101', 'http://10.0.0.5/video.mjpg', 'rtsp://cam.local/s', 'rtsp://[::1]:8554/x', 'rtsp://[2001:db8::5]/x', 'rtsp://100.100.100.201/x', 'test://ball']) {
        await admitted(url);
      }
    });

    test('ALLOWED_NETWORKS opens exactly its networks', async () => {
      const cabled = options({ allowedNetworks: ['169.254.10.0/24', 'fe80::1234'] });
      await admitted('rtsp://169.254.10.5/stream', cabled);
      await admitted('rtsp://[::ffff:169.254.10.5]/stream', cabled);
      await admitted('rtsp://[fe80::1234]/stream', cabled);
      await refused('rtsp://169.254.169.254/stream', metadata, cabled);
      await refused('rtsp://[fe80::1235]/stream', /fe80::1235 is in fe80::\/10/, cabled);
    });

    test('an egress target at the metadata address is refused, naming egress.url', async () => {
      const verdict = await policy.check({ url: 'test://ball', egress: { url: 'rtmp://2852039166/live/x' } });
      assert.deepEqual(verdict, { ok: false, field: 'egress.url', reason: '169.254.169.254 is in 169.254.0.0/16 (link-local or cloud metadata; ALLOWED_NETWORKS can permit it)' });
    });

    test('a record from Redis with the wrong types is refused, not thrown on', async () => {
      assert.deepEqual(await policy.check({ url: 42 }), { ok: false, field: 'url', reason: 'must be a string' });
      assert.deepEqual(await policy.check({ url: 'test://ball', egress: { url: ['x'] } }), { ok: false, field: 'egress.url', reason: 'must be a string' });
    });
  });

  describe('admit: host names resolved before a capture starts', () => {
    const resolving = (answers: Record<string, string[]>) => {
      const asked: string[] = [];
      const resolver: HostResolver = async (host) => {
        asked.push(host);
        const answer = answers[host];
        if (!answer) throw new Error('getaddrinfo ENOTFOUND');
        return answer;
      };
      return { asked, policy: options({}, resolver) };
    };

    test('a name with any blocked address among its answers is refused, naming the host', async () => {
      const { policy: named } = resolving({ 'metadata.google.internal': ['169.254.169.254'], 'split.example': ['192.0.2.7', 'fe80::9%eth0'] });
      assert.deepEqual(await named.admit({ url: 'http://metadata.google.internal/computeMetadata/v1/' }), {
        ok: false,
        field: 'url',
        reason: 'host "metadata.google.internal" resolves to 169.254.169.254 is in 169.254.0.0/16 (link-local or cloud metadata; ALLOWED_NETWORKS can permit it)',
      });
      const split = await named.admit({ url: 'rtsp://split.example/s' });
      assert.equal(split.ok, false);
      assert.match((split as Extract<SourceVerdict, { ok: false }>).reason, /host "split\.example" resolves to fe80::9 is in fe80::\/10/);
    });

    test('a name that resolves to allowed addresses is admitted; one that does not resolve is refused', async () => {
      const { policy: named } = resolving({ 'cam.local': ['192.168.1.64', '::1'] });
      assert.ok((await named.admit({ url: 'rtsp://cam.local/s' })).ok);
      assert.deepEqual(await named.admit({ url: 'rtsp://gone.local/s' }), { ok: false, field: 'url', reason: 'cannot resolve host "gone.local": getaddrinfo ENOTFOUND' });
    });

    test('admitTarget: an egress host name is resolved before each push start too', async () => {
      const { asked, policy: named } = resolving({ 'push.example': ['169.254.169.254'], 'media.local': ['10.0.0.9'] });
      assert.match((await named.admitTarget('rtmp://push.example/live/key')) ?? '', /host "push\.example" resolves to 169\.254\.169\.254 is in 169\.254\.0\.0\/16/);
      assert.equal(await named.admitTarget('rtsp://user:pw@media.local:8554/yard'), undefined);
      assert.match((await named.admitTarget('rtmp://0xa9fea9fe/live/key')) ?? '', /169\.254\.0\.0\/16/, 'a literal needs no lookup');
      assert.match((await named.admitTarget('rtmp://gone.example/live/key')) ?? '', /cannot resolve host "gone\.example"/);
      assert.deepEqual(asked, ['push.example', 'media.local', 'gone.example']);
    });

    test('literal addresses and non-network sources are not looked up', async () => {
      const { asked, policy: named } = resolving({});
      assert.ok((await named.admit({ url: 'rtsp://127.0.0.1:8554/x' })).ok);
      assert.ok((await named.admit({ url: 'test://ball' })).ok);
      assert.equal((await named.admit({ url: 'rtsp://2852039166/x' })).ok, false);
      assert.deepEqual(asked, []);
    });
  });
});
