/**
 * The encoder choice per codec: H.265 has its own test encodes and its own CPU encoder (x265), EGRESS_ENCODER=x264
 * means "the CPU" for an H.265 camera, and a camera whose codec its target cannot carry gets no encoder at all.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '@vigil/config';
import { cameraEgressSchema, type CameraEgressInput, type VideoCodec } from '@vigil/contracts';
import { chooseEncoder, EncoderUnavailableError, encodersToProbe, type EncoderName, type ProbeOutcome, selectEncoder } from '@vigil/media';
import { EgressEncoders, servicePreference } from '../../apps/egress/src/egress-encoders';

const ok = { ok: true } as const;
const failed = (error: string) => ({ ok: false, error }) as const;
const NO_NVENC = 'exit code 1: No capable devices found';

describe('encodersToProbe and chooseEncoder for H.265', () => {
  test('auto tries hevc NVENC, then x265; a configured one alone', () => {
    assert.deepEqual(encodersToProbe('auto', 'h265'), ['nvenc', 'x265']);
    assert.deepEqual(encodersToProbe('x265', 'h265'), ['x265']);
    assert.deepEqual(encodersToProbe('nvenc', 'h265'), ['nvenc']);
  });

  test('the other codec’s CPU encoder is refused (a record read back that names x264 for H.265)', () => {
    assert.throws(() => encodersToProbe('x264' as 'x265', 'h265'), (error: unknown) => error instanceof EncoderUnavailableError && /x264 does not encode H\.265 \(use auto, nvenc or x265\)/.test(error.message));
  });

  test('auto falls back to x265 and says why NVENC was passed over', () => {
    const choice = chooseEncoder('auto', { nvenc: failed(NO_NVENC), x265: ok }, 'egress encoder (H.265)', 'h265');
    assert.deepEqual(choice, { encoder: 'x265', reason: `x265 (auto: nvenc unavailable: ${NO_NVENC})` });
    assert.equal(chooseEncoder('auto', { nvenc: ok }, 'e', 'h265').encoder, 'nvenc');
    assert.throws(() => chooseEncoder('auto', { nvenc: failed(NO_NVENC), x265: failed('exit code 1: Unknown encoder libx265') }, 'egress encoder (H.265)', 'h265'), /no egress encoder \(H\.265\) works: nvenc: exit code 1: No capable devices found; x265: exit code 1: Unknown encoder/);
  });

  test('selectEncoder hands the probe only the codec’s encoders', async () => {
    const tried: string[] = [];
    const choice = await selectEncoder('auto', async (name) => (tried.push(name), name === 'nvenc' ? failed(NO_NVENC) : ok), 'e', 'h265');
    assert.deepEqual(tried, ['nvenc', 'x265']);
    assert.equal(choice.encoder, 'x265');
  });
});

describe('servicePreference (EGRESS_ENCODER for a codec)', () => {
  test('x264 means the CPU: x265 for H.265; auto and nvenc stay', () => {
    assert.equal(servicePreference('x264', 'h264'), 'x264');
    assert.equal(servicePreference('x264', 'h265'), 'x265');
    assert.equal(servicePreference('auto', 'h265'), 'auto');
    assert.equal(servicePreference('nvenc', 'h265'), 'nvenc');
  });
});

/** EgressEncoders whose test encodes are answered from a table and counted. */
class TableEncoders extends EgressEncoders {
  readonly probed: string[] = [];
  constructor(preference: 'auto' | 'nvenc' | 'x264', private readonly table: Partial<Record<`${VideoCodec} ${EncoderName}`, ProbeOutcome>>) {
    super(loadConfig({ EGRESS_ENCODER: preference }));
  }
  protected override probe(codec: VideoCodec, name: EncoderName): Promise<ProbeOutcome> {
    this.probed.push(`${codec} ${name}`);
    return Promise.resolve(this.table[`${codec} ${name}`] ?? failed('not in the table'));
  }
}

const egress = (input: CameraEgressInput) => cameraEgressSchema.parse(input);

describe('EgressEncoders per camera', () => {
  test('an H.265 camera gets the H.265 choice, made when the first one comes; H.264 cameras keep theirs', async () => {
    // a GPU that encodes H.264 but not HEVC: each codec decides on its own test encode
    const encoders = new TableEncoders('auto', { 'h264 nvenc': ok, 'h265 nvenc': failed(NO_NVENC), 'h265 x265': ok });
    assert.equal((await encoders.init()).encoder, 'nvenc');
    assert.deepEqual(encoders.probed, ['h264 nvenc']);
    assert.deepEqual(await encoders.forCamera(egress({ url: 'rtsp://m/x', codec: 'h265' })), { name: 'x265' });
    assert.deepEqual(await encoders.forCamera(egress({ url: 'rtsp://m/y', codec: 'h265' })), { name: 'x265' });
    assert.deepEqual(await encoders.forCamera(egress({ url: 'rtmp://m/live/z' })), { name: 'nvenc' });
    assert.deepEqual(encoders.probed, ['h264 nvenc', 'h265 nvenc', 'h265 x265'], 'each test encode once');
  });

  test('EGRESS_ENCODER=x264 gives an H.265 camera x265, without an NVENC test encode', async () => {
    const encoders = new TableEncoders('x264', { 'h264 x264': ok, 'h265 x265': ok });
    await encoders.init();
    assert.deepEqual(await encoders.forCamera(egress({ url: 'rtsp://m/x', codec: 'h265' })), { name: 'x265' });
    assert.deepEqual(encoders.probed, ['h264 x264', 'h265 x265']);
  });

  test("a camera's own nvenc for H.265 that fails its test encode: that camera alone is in error", async () => {
    const encoders = new TableEncoders('auto', { 'h264 x264': ok, 'h265 nvenc': failed(NO_NVENC) });
    await encoders.init();
    const answer = await encoders.forCamera(egress({ url: 'rtsp://m/x', codec: 'h265', encoder: 'nvenc' }));
    assert.deepEqual(answer, { error: `egress encoder (H.265) nvenc is configured but a test encode failed: ${NO_NVENC}` });
  });

  // a record written straight into Redis (or by an older vigil) passes no schema: egress refuses it before any ffmpeg
  test('H.265 to an RTMP target gets no encoder but the reason, and costs no test encode', async () => {
    const encoders = new TableEncoders('auto', { 'h264 x264': ok, 'h265 x265': ok });
    await encoders.init();
    const config = { ...egress({ url: 'rtsp://m/x', codec: 'h265' }), url: 'rtmp://m/live/x' };
    const answer = await encoders.forCamera(config);
    assert.ok('error' in answer);
    assert.match(answer.error, /^H\.265 cannot be pushed over RTMP: ffmpeg 5\.1 \(Debian 12\)/);
    assert.ok(!encoders.probed.some((probe) => probe.startsWith('h265')), encoders.probed.join());
  });
});
