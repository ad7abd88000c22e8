import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { resolveWebhookEndpoints, urlEndpointId, WebhookConfigError } from '../../libs/alarms/src/webhooks';

const secret = `whsec_${randomBytes(32).toString('base64')}`;
const otherSecret = `whsec_${randomBytes(32).toString('base64')}`;

describe('resolveWebhookEndpoints', () => {
  test('no environment and no file section: no endpoints', () => {
    assert.deepEqual(resolveWebhookEndpoints({}), []);
    assert.deepEqual(resolveWebhookEndpoints({ env: { WEBHOOK_URL: ' ', WEBHOOK_SECRET: '' }, file: null }), []);
  });

  test('the environment endpoint comes first, gets id "env" and every event type', () => {
    const endpoints = resolveWebhookEndpoints({
      env: { WEBHOOK_URL: 'https://hooks.example.com/vigil', WEBHOOK_SECRET: secret },
      file: [{ id: 'ops', url: 'http://10.0.0.5:9000/alarms', secret: otherSecret, events: ['alarm.end'] }],
    });
    assert.deepEqual(endpoints, [
      { id: 'env', url: 'https://hooks.example.com/vigil', secret, events: ['alarm.start', 'alarm.end'] },
      { id: 'ops', url: 'http://10.0.0.5:9000/alarms', secret: otherSecret, events: ['alarm.end'] },
    ]);
  });

  test('a file entry without an id is named after its URL, the same on every load', () => {
    const [a] = resolveWebhookEndpoints({ file: [{ url: 'https://a.example.com/hook', secret }] });
    const [b] = resolveWebhookEndpoints({ file: [{ url: 'https://z.example.com/', secret }, { url: 'https://a.example.com/hook', secret }] }).slice(1);
    assert.equal(a?.id, urlEndpointId('https://a.example.com/hook'));
    assert.equal(a?.id, b?.id);
    assert.match(a?.id ?? '', /^url-[0-9a-f]{12}$/);
  });

  test('one of WEBHOOK_URL and WEBHOOK_SECRET without the other names the missing variable', () => {
    assert.throws(() => resolveWebhookEndpoints({ env: { WEBHOOK_URL: 'https://x.example.com' } }), /^WebhookConfigError: WEBHOOK_SECRET: required/);
    assert.throws(() => resolveWebhookEndpoints({ env: { WEBHOOK_SECRET: secret } }), /WEBHOOK_URL: required/);
  });

  test('bad environment values name the variable and never echo the secret', () => {
    assert.throws(() => resolveWebhookEndpoints({ env: { WEBHOOK_URL: 'not a url', WEBHOOK_SECRET: secret } }), /WEBHOOK_URL: Invalid url/);
    assert.throws(() => resolveWebhookEndpoints({ env: { WEBHOOK_URL: 'ftp://x.example.com', WEBHOOK_SECRET: secret } }), /WEBHOOK_URL: must be an http/);
    const leaky = 'whsec_c2hvcnQ=';
    assert.throws(
      () => resolveWebhookEndpoints({ env: { WEBHOOK_URL: 'https://x.example.com', WEBHOOK_SECRET: leaky } }),
      (error: Error) => error instanceof WebhookConfigError && /^WEBHOOK_SECRET: key must be 24 to 64 bytes/.test(error.message) && !error.message.includes(leaky),
    );
  });

  test('bad file entries name webhooks[i].field', () => {
    const cases: [unknown, RegExp][] = [
      [[{ url: 'https://ok.example.com', secret }, { url: 'nope', secret }], /webhooks\[1\]\.url: Invalid url/],
      [[{ url: 'https://ok.example.com', secret: 'plain-text' }], /webhooks\[0\]\.secret: must start with "whsec_"/],
      [[{ url: 'https://ok.example.com', secret, events: ['alarm.update'] }], /webhooks\[0\]\.events\[0\]: Invalid enum value/],
      [[{ url: 'https://ok.example.com', secret, events: [] }], /webhooks\[0\]\.events: Array must contain at least 1/],
      [[{ id: 'a:b', url: 'https://ok.example.com', secret }], /webhooks\[0\]\.id: must be 1-64 letters/],
      [[{ url: 'https://ok.example.com', secret, retries: 3 }], /webhooks\[0\]: Unrecognized key\(s\) in object: 'retries'/],
      [{ url: 'https://ok.example.com', secret }, /webhooks: Expected array/],
    ];
    for (const [file, message] of cases) assert.throws(() => resolveWebhookEndpoints({ file }), message);
  });

  test('duplicate ids are refused, also between the environment and the file', () => {
    assert.throws(
      () => resolveWebhookEndpoints({ env: { WEBHOOK_URL: 'https://a.example.com', WEBHOOK_SECRET: secret }, file: [{ id: 'env', url: 'https://b.example.com', secret }] }),
      /endpoint id "env" is used by both https:\/\/a\.example\.com and https:\/\/b\.example\.com;/,
    );
    assert.throws(() => resolveWebhookEndpoints({ file: [{ url: 'https://same.example.com', secret }, { url: 'https://same.example.com', secret: otherSecret }] }), /is used by both/);
  });

  test('repeated event types collapse to one', () => {
    const [endpoint] = resolveWebhookEndpoints({ file: [{ url: 'https://a.example.com', secret, events: ['alarm.start', 'alarm.start'] }] });
    assert.deepEqual(endpoint?.events, ['alarm.start']);
  });
});
