import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isJson, originVerdict } from '@vigil/platform';

describe('originVerdict: may this Origin act with the session cookie', () => {
  const host = { host: 'vigil.local:8080' };
  test('the page itself, an allowed origin, or no browser at all', () => {
    assert.equal(originVerdict({ ...host, origin: 'http://vigil.local:8080' }, []), 'same');
    assert.equal(originVerdict({ ...host, origin: 'https://VIGIL.local:8080' }, []), 'same', 'a host is not case-sensitive');
    assert.equal(originVerdict({ ...host, origin: 'https://ops.example.com' }, ['https://ops.example.com']), 'allowed');
    assert.equal(originVerdict(host, []), 'none');
  });

  test('everything else is foreign: another site, a lookalike, null, junk, another port or scheme', () => {
    const foreign = [
      'https://evil.example', 'http://vigil.local:8080.evil.example', 'http://vigil.local', 'http://vigil.local:8081', 'null', '', 'file://',
      'javascript:alert(1)', 'http://vigil.local:8080@evil.example', 'ws://vigil.local:8080', 'https://ops.example.com.evil',
    ];
    for (const origin of foreign) assert.equal(originVerdict({ ...host, origin }, ['https://ops.example.com']), 'foreign', origin);
    assert.equal(originVerdict({ origin: 'http://vigil.local:8080' }, []), 'foreign', 'no Host header to be the same as');
  });
});

describe('isJson', () => {
  test('application/json with or without parameters, nothing else', () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON', ' application/json ']) assert.equal(isJson(type), true, type);
    for (const type of [undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/json-patch+json', 'text/json']) {
      assert.equal(isJson(type), false, String(type));
    }
  });
});
