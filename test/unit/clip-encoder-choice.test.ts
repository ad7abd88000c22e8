import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseEncoder, EncoderUnavailableError, encodersToProbe, firstReason, selectEncoder } from '@vigil/media';
import { encoderArgs } from '../../libs/alarms/src/clips';

const ok = { ok: true } as const;
const failed = (error: string) => ({ ok: false, error }) as const;
const NO_NVENC = 'exit code 1: Cannot load libcuda.so.1';

describe('chooseEncoder', () => {
  test('auto takes NVENC where its test encode worked', () => {
    assert.equal(chooseEncoder('auto', { nvenc: ok }).encoder, 'nvenc');
  });

  test('auto falls back to x264 and says why NVENC was passed over', () => {
    const choice = chooseEncoder('auto', { nvenc: failed(NO_NVENC), x264: ok });
    assert.equal(choice.encoder, 'x264');
    assert.match(choice.reason, /nvenc unavailable: exit code 1: Cannot load libcuda/);
  });

  test('auto with no encoder working is an error naming both failures', () => {
    assert.throws(
      () => chooseEncoder('auto', { nvenc: failed(NO_NVENC), x264: failed('could not start ffmpeg: spawn ffmpeg ENOENT') }),
      (error: unknown) => error instanceof EncoderUnavailableError && /nvenc: exit code 1.*x264: could not start ffmpeg/.test(error.message),
    );
  });

  test('NVENC configured but failing is an error, even though x264 works (a GPU without an encoder, an H100)', () => {
    assert.throws(
      () => chooseEncoder('nvenc', { nvenc: failed(NO_NVENC), x264: ok }),
      (error: unknown) => error instanceof EncoderUnavailableError && /nvenc is configured but a test encode failed: exit code 1/.test(error.message),
    );
  });

  test('a configured encoder that was never tried is not assumed to work', () => {
    assert.throws(() => chooseEncoder('nvenc', {}), /test encode failed: not tried/);
  });

  test('x264 configured and working', () => {
    assert.deepEqual(chooseEncoder('x264', { x264: ok }), { encoder: 'x264', reason: 'x264 (configured)' });
  });
});

describe('encodersToProbe', () => {
  test('auto tries NVENC first; a configured encoder is the only one tried', () => {
    assert.deepEqual(encodersToProbe('auto'), ['nvenc', 'x264']);
    assert.deepEqual(encodersToProbe('x264'), ['x264']);
    assert.deepEqual(encodersToProbe('nvenc'), ['nvenc']);
  });
});

describe('encoderArgs', () => {
  test('H.264 in yuv420p, which browsers play, from either encoder', () => {
    for (const encoder of ['nvenc', 'x264'] as const) {
      const args = encoderArgs(encoder).join(' ');
      assert.match(args, /-pix_fmt yuv420p/);
      assert.match(args, /-profile:v high/);
    }
    assert.match(encoderArgs('nvenc').join(' '), /-c:v h264_nvenc/);
    assert.match(encoderArgs('x264').join(' '), /-c:v libx264/);
  });

  test('x264 threads only when asked for', () => {
    assert.match(encoderArgs('x264', 2).join(' '), /-threads 2/);
    assert.doesNotMatch(encoderArgs('x264').join(' '), /-threads/);
  });
});

describe('selectEncoder', () => {
  test('auto stops test-encoding at the first encoder that works, and says which role failed', async () => {
    const tried: string[] = [];
    const choice = await selectEncoder('auto', async (name) => {
      tried.push(name);
      return name === 'nvenc' ? failed(NO_NVENC) : ok;
    });
    assert.deepEqual(tried, ['nvenc', 'x264']);
    assert.equal(choice.encoder, 'x264');
    await assert.rejects(selectEncoder('nvenc', async () => failed(NO_NVENC), 'egress encoder'), /^EncoderUnavailableError: egress encoder nvenc is configured/);
  });

  test('NVENC working is not followed by an x264 test encode (a wasted second at start)', async () => {
    const tried: string[] = [];
    await selectEncoder('auto', async (name) => (tried.push(name), ok));
    assert.deepEqual(tried, ['nvenc']);
  });
});

describe('firstReason', () => {
  test("keeps ffmpeg's first error line, without the encoder-and-address prefix", () => {
    const stderr = [
      '[h264_nvenc @ 0x559f8b7f6780] Cannot load libcuda.so.1',
      'Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0 - maybe incorrect parameters such as bit_rate, rate, width or height',
    ];
    assert.equal(firstReason(stderr), 'Cannot load libcuda.so.1');
  });

  test('says so when ffmpeg printed nothing', () => {
    assert.equal(firstReason([]), '(no output)');
    assert.equal(firstReason(['', '  ']), '(no output)');
  });
});
