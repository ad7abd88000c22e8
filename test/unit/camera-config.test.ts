import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { cameraConfigSchema } from '@vigil/contracts';

/** Asserts the input is refused and that an issue points at `field`. */
function refusedAt(input: unknown, field: string, message?: RegExp): void {
  const result = cameraConfigSchema.safeParse(input);
  assert.equal(result.success, false, `expected ${JSON.stringify(input)} to be refused`);
  if (result.success) return;
  const issue = result.error.issues.find((candidate) => candidate.path.join('.') === field);
  assert.ok(issue, `no issue at ${field}: ${JSON.stringify(result.error.issues)}`);
  if (message) assert.match(issue.message, message);
}

const base = { id: 'front', url: 'rtsp://cam.local/s' };

describe('cameraConfigSchema', () => {
  test('fills in the documented defaults', () => {
    assert.deepEqual(cameraConfigSchema.parse(base), {
      id: 'front',
      url: 'rtsp://cam.local/s',
      enabled: true,
      codec: 'auto',
      decoder: 'auto',
      transport: 'tcp',
      realtime: true,
      jpegQuality: 80,
    });
  });

  test('keeps every field that is given', () => {
    const full = {
      id: 'yard_2',
      name: 'Back yard',
      url: '/videos/yard.mp4',
      enabled: false,
      codec: 'h265',
      decoder: 'cpu',
      transport: 'udp',
      realtime: false,
      fps: 12.5,
      width: 640,
      height: 360,
      jpegQuality: 95,
    } as const;
    assert.deepEqual(cameraConfigSchema.parse(full), full);
  });

  test('refuses unknown keys (a typo such as "fsp" must not be ignored silently)', () => {
    const result = cameraConfigSchema.safeParse({ ...base, fsp: 5 });
    assert.equal(result.success, false);
    if (result.success) return;
    assert.equal(result.error.issues[0]?.code, 'unrecognized_keys');
    assert.match(result.error.issues[0]!.message, /'fsp'/);
  });

  test('refuses ids that are empty, too long, start with a symbol or contain spaces', () => {
    for (const id of ['', '-front', '_front', 'front door', 'a'.repeat(65), 'cam/1', 'kamera-ü']) {
      refusedAt({ ...base, id }, 'id', /1-64 letters, digits/);
    }
  });

  test('accepts ids of 1 and 64 characters', () => {
    assert.equal(cameraConfigSchema.parse({ ...base, id: 'a' }).id, 'a');
    assert.equal(cameraConfigSchema.parse({ ...base, id: 'A'.repeat(64) }).id, 'A'.repeat(64));
  });

  test('refuses a url that is not a supported source, with the source error as message', () => {
    refusedAt({ ...base, url: 'ftp://cam/s' }, 'url', /unsupported url scheme "ftp:\/\/"/);
    refusedAt({ ...base, url: 'test://nope' }, 'url', /unknown test pattern "nope"/);
    refusedAt({ ...base, url: '' }, 'url');
  });

  test('refuses fps that is zero, negative, above MAX_FPS (120) or not a number', () => {
    for (const fps of [0, -1, 121, 1e9, Infinity, NaN, '10']) refusedAt({ ...base, fps }, 'fps');
    assert.equal(cameraConfigSchema.parse({ ...base, fps: 120 }).fps, 120);
  });

  test('bug: a test pattern at 7680x4320 and 240 fps was accepted; size, rate and their product are bounded', () => {
    refusedAt({ ...base, url: 'test://ball', width: 7680, height: 4320, fps: 240 }, 'width');
    refusedAt({ ...base, url: 'test://ball', width: 3840, height: 2160, fps: 60 }, 'fps', /megapixels per second; at most 249 \(MAX_MEGAPIXELS_PER_SECOND\)/);
    refusedAt({ ...base, url: 'test://ball', width: 3840, fps: 60 }, 'fps', /megapixels per second/);
    assert.ok(cameraConfigSchema.safeParse({ ...base, url: 'test://ball', width: 3840, height: 2160, fps: 30 }).success);
    assert.ok(cameraConfigSchema.safeParse({ ...base, width: 3840, height: 2160 }).success, 'an rtsp camera without an fps cap: its rate is the source\'s');
    for (const height of [2161, 1e6]) refusedAt({ ...base, height }, 'height');
  });

  test('a URL past LIMIT_URL_LENGTH is refused before it is parsed', () => {
    refusedAt({ ...base, url: `rtsp://cam/${'a'.repeat(5000)}` }, 'url', /at most 4096 \(LIMIT_URL_LENGTH\)/);
  });

  test('zones, polygon points, rules and classes are bounded', () => {
    const zone = (id: string, points = 3) => ({ id, polygon: Array.from({ length: points }, (_, i) => [i / points, (i % 2) / 2]) });
    refusedAt({ ...base, detect: { zones: [zone('z', 65)] } }, 'detect.zones.0.polygon', /at most 64 \(LIMIT_ZONE_POINTS\)/);
    refusedAt({ ...base, detect: { zones: [zone('z', 1_000_000)] } }, 'detect.zones.0.polygon', /LIMIT_ZONE_POINTS/);
    refusedAt({ ...base, detect: { zones: Array.from({ length: 17 }, (_, i) => zone(`z${i}`)) } }, 'detect.zones', /at most 16 \(LIMIT_ZONES\)/);
    const rule = (id: string, classes = 1) => ({ id, kind: 'intrusion', zone: 'z', classes: Array.from({ length: classes }, (_, i) => `c${i}`) });
    refusedAt({ ...base, detect: { zones: [zone('z')], rules: Array.from({ length: 33 }, (_, i) => rule(`r${i}`)) } }, 'detect.rules', /at most 32 \(LIMIT_RULES\)/);
    refusedAt({ ...base, detect: { zones: [zone('z')], rules: [rule('r', 33)] } }, 'detect.rules.0.classes', /LIMIT_RULE_CLASSES/);
    assert.ok(cameraConfigSchema.safeParse({ ...base, detect: { zones: [zone('z', 64)], rules: [rule('r', 32)] } }).success);
  });

  test('refuses jpegQuality outside 1-100 or fractional', () => {
    for (const jpegQuality of [0, 101, 80.5]) refusedAt({ ...base, jpegQuality }, 'jpegQuality');
    assert.equal(cameraConfigSchema.parse({ ...base, jpegQuality: 1 }).jpegQuality, 1);
  });

  test('refuses output sizes below 16 or above 8K, and fractional sizes', () => {
    refusedAt({ ...base, width: 8 }, 'width');
    refusedAt({ ...base, width: 7681 }, 'width');
    refusedAt({ ...base, width: 640.5 }, 'width');
    refusedAt({ ...base, height: 4321 }, 'height');
  });

  test('refuses unknown enum values', () => {
    refusedAt({ ...base, transport: 'http' }, 'transport');
    refusedAt({ ...base, codec: 'vp9' }, 'codec');
    refusedAt({ ...base, decoder: 'nvidia' }, 'decoder');
  });

  test('reports every bad field at once', () => {
    const result = cameraConfigSchema.safeParse({ id: '-x', url: 'ftp://x', fps: 0, jpegQuality: 0 });
    assert.equal(result.success, false);
    if (result.success) return;
    assert.deepEqual(result.error.issues.map((issue) => issue.path.join('.')).sort(), ['fps', 'id', 'jpegQuality', 'url']);
  });
});
