import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseDecoder, DECODER_ELEMENTS, type DecoderPreference, type VideoCodec } from '@vigil/media';

const ALL = new Set(['nvh264dec', 'nvh265dec', 'avdec_h264', 'avdec_h265']);
const SOFTWARE_ONLY = new Set(['avdec_h264', 'avdec_h265']);

describe('chooseDecoder', () => {
  const codecs: VideoCodec[] = ['h264', 'h265'];

  for (const codec of codecs) {
    const hardware = `nv${codec}dec`;
    const software = `avdec_${codec}`;

    for (const preference of ['auto', 'gpu'] as DecoderPreference[]) {
      test(`${codec}/${preference} uses ${hardware} when NVDEC elements are present`, () => {
        const choice = chooseDecoder(codec, preference, ALL);
        assert.equal(choice.element, hardware);
        assert.equal(choice.hardware, true);
        assert.match(choice.reason, new RegExp(`^${hardware}: NVDEC is available`));
      });
    }

    test(`${codec}/auto falls back to ${software} without NVDEC and says why`, () => {
      const choice = chooseDecoder(codec, 'auto', SOFTWARE_ONLY);
      assert.equal(choice.element, software);
      assert.equal(choice.hardware, false);
      assert.equal(choice.reason, `${software}: ${hardware} is not available (no NVIDIA driver or plugin)`);
    });

    test(`${codec}/cpu uses ${software} even when NVDEC is present`, () => {
      const choice = chooseDecoder(codec, 'cpu', ALL);
      assert.equal(choice.element, software);
      assert.equal(choice.hardware, false);
      assert.equal(choice.reason, `${software}: software decoding requested`);
    });

    test(`${codec}/cpu uses ${software} without NVDEC`, () => {
      assert.equal(chooseDecoder(codec, 'cpu', SOFTWARE_ONLY).element, software);
    });

    test(`${codec} with no decoder at all fails naming ${software} and the package to install`, () => {
      for (const preference of ['auto', 'cpu'] as DecoderPreference[]) {
        assert.throws(() => chooseDecoder(codec, preference, new Set()), (error: unknown) => {
          assert.ok(error instanceof Error);
          assert.match(error.message, new RegExp(`^no ${codec} decoder: `));
          assert.match(error.message, new RegExp(`${software} is missing \\(install gstreamer1\\.0-libav\\)`));
          return true;
        });
      }
    });

    test(`${codec}/gpu without NVDEC is an error naming ${hardware}, not a silent CPU fallback`, () => {
      for (const available of [new Set<string>(), new Set([software])]) {
        assert.throws(() => chooseDecoder(codec, 'gpu', available), new RegExp(`"gpu" was requested but ${hardware} is not available`));
      }
    });

    test(`${codec}/cpu fails rather than use ${hardware} when only NVDEC is present`, () => {
      assert.throws(() => chooseDecoder(codec, 'cpu', new Set([hardware])), /software decoding requested, and avdec_/);
    });
  }

  test('the decoder for one codec does not count for the other', () => {
    assert.equal(chooseDecoder('h265', 'auto', new Set(['nvh264dec', 'avdec_h265'])).element, 'avdec_h265');
    assert.throws(() => chooseDecoder('h265', 'auto', new Set(['nvh264dec', 'avdec_h264'])), /no h265 decoder/);
  });

  test('DECODER_ELEMENTS lists every element the choice can depend on', () => {
    assert.deepEqual([...DECODER_ELEMENTS].sort(), [...ALL].sort());
  });
});
