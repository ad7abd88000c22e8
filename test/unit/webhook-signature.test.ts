import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeWebhookSecret, signWebhook, verifyWebhook, webhookHeaders, WebhookVerificationError } from '../../libs/alarms/src/webhooks';

// The test vector of the Standard Webhooks reference libraries (libraries/javascript/src/webhook.test.ts).
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const vectorNow = vector.timestamp * 1000;

describe('signWebhook', () => {
  test('matches the Standard Webhooks test vector', () => {
    assert.equal(signWebhook(vector.secret, vector), vector.signature);
  });

  test('accepts the decoded key as well as the whsec_ string', () => {
    assert.equal(signWebhook(decodeWebhookSecret(vector.secret), vector), vector.signature);
  });

  test('webhookHeaders carries the id and timestamp that were signed', () => {
    assert.deepEqual(webhookHeaders(vector.secret, vector), {
      'webhook-id': vector.id,
      'webhook-timestamp': String(vector.timestamp),
      'webhook-signature': vector.signature,
    });
  });
});

describe('verifyWebhook', () => {
  const headers = (overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> => ({
    'webhook-id': vector.id,
    'webhook-timestamp': String(vector.timestamp),
    'webhook-signature': vector.signature,
    ...overrides,
  });

  test('accepts the test vector and returns the id to dedupe on', () => {
    assert.deepEqual(verifyWebhook(vector.secret, vector.body, headers(), { nowMs: vectorNow }), { id: vector.id, timestamp: vector.timestamp });
  });

  test('accepts a fetch Headers object', () => {
    assert.equal(verifyWebhook(vector.secret, vector.body, new Headers(headers() as Record<string, string>), { nowMs: vectorNow }).id, vector.id);
  });

  test('round-trips random keys and bodies with non-ASCII text', () => {
    for (let i = 0; i < 20; i++) {
      const secret = `whsec_${randomBytes(24 + i).toString('base64')}`;
      const input = { id: `msg_${i}`, timestamp: 1_700_000_000 + i, body: JSON.stringify({ camera: 'Tür-Ost', n: i, s: randomBytes(8).toString('hex') }) };
      assert.equal(verifyWebhook(secret, input.body, webhookHeaders(secret, input), { nowMs: input.timestamp * 1000 }).id, input.id);
    }
  });

  test('rejects a tampered body, id or timestamp (each is part of the signed content)', () => {
    const rejects = (body: string, h: Record<string, string | undefined>): void => {
      assert.throws(() => verifyWebhook(vector.secret, body, h, { nowMs: vectorNow, toleranceSeconds: 60 }), WebhookVerificationError);
    };
    rejects('{"test": 2432232315}', headers());
    rejects(`${vector.body} `, headers());
    rejects(vector.body, headers({ 'webhook-id': 'msg_other' }));
    rejects(vector.body, headers({ 'webhook-timestamp': String(vector.timestamp + 1) }));
  });

  test('rejects a signature made with another key', () => {
    const other = `whsec_${randomBytes(32).toString('base64')}`;
    assert.throws(() => verifyWebhook(other, vector.body, headers(), { nowMs: vectorNow }), /no matching v1 signature/);
  });

  test('rejects timestamps outside the tolerance on either side, accepts the edge', () => {
    const tolerance = 300;
    const at = (offsetSeconds: number): number => (vector.timestamp + offsetSeconds) * 1000;
    for (const offset of [tolerance + 1, -(tolerance + 1)]) {
      assert.throws(() => verifyWebhook(vector.secret, vector.body, headers(), { nowMs: at(offset), toleranceSeconds: tolerance }), /more than 300 s/);
    }
    for (const offset of [tolerance, -tolerance]) {
      assert.doesNotThrow(() => verifyWebhook(vector.secret, vector.body, headers(), { nowMs: at(offset), toleranceSeconds: tolerance }));
    }
  });

  test('rejects missing headers and a timestamp that is not unix seconds', () => {
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
      assert.throws(() => verifyWebhook(vector.secret, vector.body, headers({ [name]: undefined }), { nowMs: vectorNow }), /missing/);
    }
    assert.throws(() => verifyWebhook(vector.secret, vector.body, headers({ 'webhook-timestamp': 'hello' }), { nowMs: vectorNow }), /not unix seconds/);
  });

  test('finds the valid signature among several (key rotation) and ignores other schemes', () => {
    const list = ['v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', 'v1a,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', vector.signature].join(' ');
    assert.equal(verifyWebhook(vector.secret, vector.body, headers({ 'webhook-signature': list }), { nowMs: vectorNow }).id, vector.id);
  });

  test('rejects truncated signatures and a v1 signature under another scheme name', () => {
    for (const signature of [vector.signature.slice(0, 8), 'v1,', `v2,${vector.signature.slice(3)}`]) {
      assert.throws(() => verifyWebhook(vector.secret, vector.body, headers({ 'webhook-signature': signature }), { nowMs: vectorNow }), WebhookVerificationError);
    }
  });
});

describe('decodeWebhookSecret', () => {
  test('refuses secrets without the prefix, with bad base64 or a key of the wrong size', () => {
    assert.throws(() => decodeWebhookSecret('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), /must start with "whsec_"/);
    assert.throws(() => decodeWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLa$w'), /standard base64/);
    assert.throws(() => decodeWebhookSecret(`whsec_${randomBytes(16).toString('base64')}`), /24 to 64 bytes, got 16/);
    assert.throws(() => decodeWebhookSecret(`whsec_${randomBytes(65).toString('base64')}`), /got 65/);
  });
});
