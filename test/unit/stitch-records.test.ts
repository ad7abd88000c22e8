/**
 * What a panorama record may say, checked without the registry (the schemas) and with it (stitchConflict), and the
 * status and calibration records read back from Redis. Guards against: a panorama of itself, of a panorama (a cycle),
 * of a camera that is not there, inputs smuggled into a stitch:// URL that are no camera ids, a camera ingest would
 * try to capture as a panorama, and a hostile calibration record accepted.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, parseCamerasFile } from '@vigil/config';
import {
  cameraConfigSchema,
  classifySource,
  isPanorama,
  panoramasUsing,
  stitchConflict,
  stitchInputsOf,
  stitchRequestSchema,
  stitchStatusSchema,
  stitchUrl,
} from '@vigil/contracts';
import { storedCalibrationSchema } from '@vigil/redis';
import { sideBySideCalibration } from '../support/stitch-fixtures';

const cam = (id: string, url: string, partOf?: string) => ({ id, url, ...(partOf ? { partOf } : {}) });
const issues = (result: { success: boolean; error?: { issues: { path: (string | number)[]; message: string }[] } }) =>
  result.success ? [] : result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);

describe('stitch:// urls', () => {
  test('name exactly two distinct camera ids, left first', () => {
    assert.deepEqual(classifySource('stitch://gate,dock'), { kind: 'stitch', location: 'gate,dock' });
    assert.deepEqual(stitchInputsOf({ url: stitchUrl(['gate', 'dock']) }), ['gate', 'dock']);
    assert.equal(isPanorama({ url: 'STITCH://a,b' }), true);
    assert.equal(isPanorama({ url: 'rtsp://cam/stitch://a,b' }), false);
    for (const [url, message] of [
      ['stitch://gate', /exactly two cameras/],
      ['stitch://a,b,c', /exactly two cameras/],
      ['stitch://a,a', /two different cameras/],
      ['stitch://a,../etc', /are camera ids/],
      ['stitch://a,', /are camera ids/],
      [`stitch://a,${'b'.repeat(65)}`, /are camera ids/],
      ['stitch://a,b?x=1', /are camera ids/],
    ] as const) {
      assert.throws(() => classifySource(url), message, url);
    }
  });

  test('the camera schema refuses a panorama of itself, and a panorama that claims to belong to another', () => {
    assert.deepEqual(issues(cameraConfigSchema.safeParse(cam('pano', 'stitch://pano,dock'))), ['url: a panorama cannot be its own input ("pano")']);
    assert.deepEqual(issues(cameraConfigSchema.safeParse(cam('pano', 'stitch://gate,dock', 'other'))), ['partOf: only an input camera belongs to a panorama']);
    assert.deepEqual(issues(cameraConfigSchema.safeParse(cam('pano', 'stitch://gate,dock'))), []);
    assert.deepEqual(issues(cameraConfigSchema.safeParse(cam('pano-left', 'rtsp://cam/s', '../x'))), ['partOf: must be a camera id']);
  });
});

describe('stitchConflict: the checks across cameras', () => {
  const registry = new Map(
    [cam('gate', 'rtsp://cam/gate'), cam('dock', 'rtsp://cam/dock'), cam('pano', 'stitch://gate,dock'), cam('own-left', 'rtsp://cam/x', 'own'), cam('own-right', 'rtsp://cam/y', 'own'), cam('own', 'stitch://own-left,own-right')].map(
      (camera) => [camera.id, camera] as const,
    ),
  );

  test('inputs must be captured cameras in the registry, not panoramas, not another panorama\'s own inputs', () => {
    assert.equal(stitchConflict(cam('p2', 'stitch://gate,dock'), registry), undefined);
    assert.equal(stitchConflict(cam('p2', 'stitch://gate,nope'), registry), 'url: input "nope" is not a camera');
    assert.equal(stitchConflict(cam('p2', 'stitch://gate,nope'), registry, 'allow'), undefined);
    assert.match(stitchConflict(cam('p2', 'stitch://pano,dock'), registry)!, /input "pano" is a panorama itself/);
    assert.match(stitchConflict(cam('p2', 'stitch://own-left,dock'), registry)!, /input "own-left" belongs to panorama "own"/);
    assert.equal(stitchConflict(cam('own', 'stitch://own-left,own-right'), registry), undefined, 'its own inputs are fine');
  });

  test('a camera a panorama uses cannot become a panorama (so no cycle can form); a captured camera is never in conflict', () => {
    assert.match(stitchConflict(cam('gate', 'stitch://dock,nope'), registry, 'allow') ?? '', /"gate" is an input of panorama "pano"/);
    assert.equal(stitchConflict(cam('gate', 'rtsp://elsewhere/s'), registry), undefined);
    assert.deepEqual(panoramasUsing('gate', registry.values()), ['pano']);
    assert.deepEqual(panoramasUsing('own', registry.values()), []);
  });

  test('the cameras file refuses what it shows itself: a panorama of a panorama in the same file', () => {
    const file = (cameras: string) => `cameras:\n${cameras}`;
    assert.equal(parseCamerasFile(file('  - { id: a, url: "test://ball" }\n  - { id: p, url: "stitch://a,made-by-api" }\n')).length, 2);
    assert.throws(
      () => parseCamerasFile(file('  - { id: a, url: "test://ball" }\n  - { id: p, url: "stitch://a,b" }\n  - { id: b, url: "stitch://a,p" }\n'), 'cams.yaml'),
      (error: unknown) => error instanceof ConfigError && /cameras\[1\]\.url: .*"b" is a panorama itself/.test(error.message),
    );
  });
});

describe('POST /api/stitch body', () => {
  test('takes an id, two sources and an optional output; refuses everything else, naming the field', () => {
    assert.deepEqual(issues(stitchRequestSchema.safeParse({ id: 'p', sources: ['a', 'rtsp://cam/s'], output: { url: 'rtmp://media/live/p' } })), []);
    assert.deepEqual(issues(stitchRequestSchema.safeParse({ id: 'p', sources: ['a', 'b', 'c'] })), ['sources: a panorama has exactly two sources: [left, right]']);
    assert.deepEqual(issues(stitchRequestSchema.safeParse({ id: 'p', sources: ['a', 'a'] })), ['sources: the two sources must differ']);
    assert.deepEqual(issues(stitchRequestSchema.safeParse({ id: 'p', sources: ['p', 'a'] })), ['sources: a panorama cannot be its own source ("p")']);
    assert.deepEqual(issues(stitchRequestSchema.safeParse({ id: 'p', sources: ['a', 'b'], extra: 1 })), [": Unrecognized key(s) in object: 'extra'"]);
    assert.deepEqual(issues(stitchRequestSchema.safeParse({ id: 'p', sources: ['a', 'b'], output: { url: 'file:///etc/passwd' } })), ['output.url: unsupported egress url scheme "file://" (rtmp://, rtmps:// or rtsp://)']);
    assert.match(issues(stitchRequestSchema.safeParse({ id: 'x'.repeat(100_000), sources: ['a', 'b'] }))[0]!, /^id: must be 1-64 letters/);
    assert.deepEqual(issues(stitchRequestSchema.safeParse({ id: 'p', sources: ['a', ''] })), ['sources.1: String must contain at least 1 character(s)']);
  });
});

describe('records read back from Redis', () => {
  const calibration = sideBySideCalibration();

  test('a stored calibration is checked field by field', () => {
    const record = { camera: 'pano', inputs: ['a', 'b'], calibration };
    assert.equal(storedCalibrationSchema.safeParse(record).success, true);
    for (const bad of [
      { ...record, calibration: { ...calibration, homography: [1, 0, 0] } },
      { ...record, calibration: { ...calibration, homography: [1, 0, Number.NaN, 0, 1, 0, 0, 0, 1] } },
      { ...record, calibration: { ...calibration, version: 2 } },
      { ...record, calibration: { ...calibration, output: { width: -1, height: 240 } } },
      { ...record, inputs: ['a', '../b'] },
      { ...record, admin: true },
    ]) {
      assert.equal(storedCalibrationSchema.safeParse(bad).success, false, JSON.stringify(bad).slice(0, 200));
    }
  });

  test('a stitch status is bounded and strict', () => {
    const status = { camera: 'pano', state: 'live', inputs: ['a', 'b'], owner: 'stitch-1', pairs: 1, missed: [0, 2], skipped: 0, published: 1, calibrations: 1, fps: 10, since: 1, updatedAt: 2 };
    assert.equal(stitchStatusSchema.safeParse(status).success, true);
    assert.equal(stitchStatusSchema.safeParse({ ...status, state: 'offline' }).success, false);
    assert.equal(stitchStatusSchema.safeParse({ ...status, reason: 'r'.repeat(2001) }).success, false);
    assert.equal(stitchStatusSchema.safeParse({ ...status, agreement: 2 }).success, false);
    assert.equal(stitchStatusSchema.safeParse({ ...status, missed: [0] }).success, false);
  });
});
