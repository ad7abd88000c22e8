import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseCamerasFile } from '@vigil/config';

function refused(text: string, message: RegExp, source = 'cams.yaml'): void {
  assert.throws(() => parseCamerasFile(text, source), (error: unknown) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.match(error.message, message);
    return true;
  });
}

const defaults = { enabled: true, codec: 'auto', decoder: 'auto', transport: 'tcp', realtime: true, jpegQuality: 80 };

describe('parseCamerasFile', () => {
  test('reads YAML and fills in camera defaults', () => {
    const yaml = [
      'cameras:',
      '  - id: front',
      '    url: rtsp://admin:secret@cam.local/s',
      '    fps: 10',
      '  # a synthetic camera',
      '  - id: demo',
      '    url: test://ball',
      '    realtime: false',
      '',
    ].join('\n');
    assert.deepEqual(parseCamerasFile(yaml, 'cams.yaml'), [
      { ...defaults, id: 'front', url: 'rtsp://admin:secret@cam.local/s', fps: 10 },
      { ...defaults, id: 'demo', url: 'test://ball', realtime: false },
    ]);
  });

  test('reads JSON with the same result', () => {
    const json = JSON.stringify({ cameras: [{ id: 'front', url: 'rtsp://cam.local/s', fps: 10 }, { id: 'demo', url: 'test://ball' }] });
    assert.deepEqual(parseCamerasFile(json, 'cams.json'), [
      { ...defaults, id: 'front', url: 'rtsp://cam.local/s', fps: 10 },
      { ...defaults, id: 'demo', url: 'test://ball' },
    ]);
  });

  test('an empty camera list is allowed', () => {
    assert.deepEqual(parseCamerasFile('cameras: []\n'), []);
  });

  test('an unknown top-level key is refused and named', () => {
    refused('cameras: []\ncamera_defaults: {}\n', /^cams\.yaml: \(root\): Unrecognized key\(s\) in object: 'camera_defaults'/);
  });

  test('an unknown key inside a camera is refused with the camera index', () => {
    const yaml = 'cameras:\n  - id: a\n    url: test://ball\n  - id: b\n    url: test://snow\n    fsp: 5\n';
    refused(yaml, /^cams\.yaml: cameras\[1\]: Unrecognized key\(s\) in object: 'fsp'/);
  });

  test('a bad field inside a camera is named by its path, e.g. cameras[1].url', () => {
    const yaml = 'cameras:\n  - id: a\n    url: test://ball\n  - id: b\n    url: ftp://cam/s\n';
    refused(yaml, /^cams\.yaml: cameras\[1\]\.url: unsupported url scheme "ftp:\/\/"/);
    refused('{"cameras": [{"id": "a", "url": "test://ball", "jpegQuality": 0}]}', /^cams\.json: cameras\[0\]\.jpegQuality: /, 'cams.json');
  });

  test('duplicate camera ids are refused at the second occurrence', () => {
    const yaml = 'cameras:\n  - id: a\n    url: test://ball\n  - id: b\n    url: test://snow\n  - id: a\n    url: test://smpte\n';
    refused(yaml, /^cams\.yaml: cameras\[2\]\.id: duplicate camera id "a"/);
  });

  test('invalid YAML is reported with the file name', () => {
    refused('cameras: [\n', /^cams\.yaml: not valid YAML or JSON: /);
    refused('cameras:\n  - id: a\n    url: test://ball\n    id: b\n', /^cams\.yaml: not valid YAML or JSON: Map keys must be unique/);
  });

  test('invalid JSON is reported with the file name', () => {
    refused('{"cameras": [', /^\/etc\/vigil\/cameras\.json: not valid YAML or JSON: /, '/etc/vigil/cameras.json');
  });

  test('a file without a cameras list is refused', () => {
    refused('', /^cams\.yaml: cameras: Required/);
    refused('- id: a\n  url: test://ball\n', /^cams\.yaml: \(root\): Expected object, received array/);
    refused('cameras: {id: a}\n', /^cams\.yaml: cameras: Expected array/);
  });

  test('without a source name the message says "cameras file"', () => {
    assert.throws(() => parseCamerasFile('cameras: [\n'), /^ConfigError: cameras file: not valid YAML/);
  });
});
