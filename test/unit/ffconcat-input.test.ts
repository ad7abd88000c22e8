import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ffconcatQuote, singleInputList } from '../../libs/media/src/ffconcat-input';

describe('singleInputList', () => {
  test('one quoted file line, then its options', () => {
    assert.equal(
      singleInputList('rtsp://u:p@h/x', { rtsp_transport: 'tcp' }),
      "ffconcat version 1.0\nfile 'rtsp://u:p@h/x'\noption rtsp_transport 'tcp'\n",
    );
  });

  test("a quote closes the quoted run, is escaped, and reopens it: ' is written '\\''", () => {
    assert.equal(ffconcatQuote("a'b"), "'a'\\''b'");
    assert.equal(ffconcatQuote("\\'"), "'\\'\\'''");
  });

  test('line breaks, NUL and other control characters are refused: they would end the line or the value', () => {
    for (const bad of ['a\nfile x', 'a\rb', 'a\0b', 'a\tb', 'a\x7fb']) assert.throws(() => ffconcatQuote(bad), RangeError);
  });

  test('an option name is a plain word', () => {
    assert.throws(() => singleInputList('x', { 'a b': 'c' }), RangeError);
  });
});
