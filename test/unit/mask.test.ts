import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MASK, maskCredentials, maskEndpointUrl, maskerFor, maskText, maskUrl, secretsOf } from '@vigil/contracts';
import { mulberry32 } from '../support/seeded-random';

/** Fails with the output when `secret` (or its percent-encoded form) survived the mask. */
function assertHidden(output: string, secret: string, input: string): void {
  for (const form of new Set([secret, encodeURIComponent(secret)])) {
    assert.ok(!output.includes(form), `"${form}" is still in the output\n  in:  ${input}\n  out: ${output}`);
  }
}

describe('maskUrl: user info', () => {
  test('user:password keeps the user, a lone user part (often a token) goes whole', () => {
    assert.equal(maskUrl('rtsp://admin:hunter2@cam.local:554/s'), 'rtsp://admin:***@cam.local:554/s');
    assert.equal(maskUrl('http://tok3n@cam.local/mjpg'), 'http://***@cam.local/mjpg');
    assert.equal(maskUrl('redis://:s3cret@127.0.0.1:6379/0'), 'redis://:***@127.0.0.1:6379/0');
    assert.equal(maskUrl('mqtt://vigil:s3cret@broker:1883'), 'mqtt://vigil:***@broker:1883');
  });

  test('bug: a password with an unescaped "@" was half shown by the mask (moved here from source.test)', () => {
    assert.equal(maskText('rtsp://admin:p@ss@cam/s'), 'rtsp://admin:***@cam/s');
    assert.equal(maskText('see rtsp://a:x@y@h1/s and http://b:z@h2/'), 'see rtsp://a:***@h1/s and http://b:***@h2/');
    assert.equal(maskCredentials, maskText, 'the older name still works for existing callers');
  });

  test('a password with raw "@", "?" and "#" is hidden to its last "@"', () => {
    assert.equal(maskUrl('rtsp://admin:p@ss?w#rd@cam/s'), 'rtsp://admin:***@cam/s');
    assert.equal(maskUrl('rtsp://admin:a:b:c@cam/s'), 'rtsp://admin:***@cam/s');
    assert.equal(maskUrl('rtsp://admin:p%40ss%3Fw%23rd@cam/s'), 'rtsp://admin:***@cam/s');
  });

  test('unicode in a password, raw or encoded', () => {
    assert.equal(maskUrl('rtsp://admin:пароль🔑@cam/s'), 'rtsp://admin:***@cam/s');
    assert.equal(maskUrl(`rtsp://admin:${encodeURIComponent('пароль🔑')}@cam/s`), 'rtsp://admin:***@cam/s');
  });

  test('bug guard: a URL that cannot be taken apart (a raw "/" in the password, a scheme in it) is hidden after the scheme', () => {
    assert.equal(maskUrl('rtsp://admin:pa/ss@cam/s'), `rtsp://${MASK}`);
    assert.equal(maskUrl('rtsp://u:a://b@h/x'), `rtsp://${MASK}`);
    assert.equal(maskUrl('http://admin:hunter2/x'), `http://${MASK}`, 'a "password" where the port should be');
  });

  test('user info and query together', () => {
    assert.equal(maskUrl('rtsps://u:S3cret@cam:322/s?token=abc&profile=1'), 'rtsps://u:***@cam:322/s?token=***&profile=1');
  });
});

describe('maskUrl: query, fragment and ; parameters', () => {
  test('credential names in any case', () => {
    assert.equal(maskUrl('http://cam/cgi?user=admin&password=hunter2&channel=1'), 'http://cam/cgi?user=***&password=***&channel=1');
    assert.equal(maskUrl('http://cam/cgi?USER=admin&PassWord=hunter2'), 'http://cam/cgi?USER=***&PassWord=***');
    for (const name of ['token', 'Token', 'key', 'KEY', 'access_token', 'secret', 'sig', 'auth', 'api_key', 'apiKey', 'X-Amz-Signature', 'pwd', 'passwd', 'sessionid', 'client_secret']) {
      assert.equal(maskUrl(`https://cam/x?${name}=v4lue&n=1`), `https://cam/x?${name}=***&n=1`, name);
    }
  });

  test('a name in percent-escapes (once, twice) or full-width letters is recognised, and hidden whole', () => {
    assert.equal(maskUrl('rtsp://cam/s?%70assword=hunter2'), 'rtsp://cam/s?***');
    assert.equal(maskUrl('rtsp://cam/s?pass%77ord=hunter2&a=1'), 'rtsp://cam/s?***&a=1');
    assert.equal(maskUrl('rtsp://cam/s?%2570assword=hunter2'), 'rtsp://cam/s?***');
    assert.equal(maskUrl('rtsp://cam/s?ｐａｓｓｗｏｒｄ=hunter2'), 'rtsp://cam/s?***');
    assert.equal(maskUrl(`rtsp://cam/s?${encodeURIComponent('ｔｏｋｅｎ')}=hunter2`), 'rtsp://cam/s?***');
  });

  test('an escaped "=" in a name cannot carry the value out in the name', () => {
    const out = maskUrl('rtsp://cam/s?password%3Dhunter2=x');
    assertHidden(out, 'hunter2', 'password%3Dhunter2=x');
  });

  test('repeated parameters are each hidden', () => {
    assert.equal(maskUrl('http://cam/x?token=one&token=two&token=three'), 'http://cam/x?token=***&token=***&token=***');
  });

  test('";" separates parameters too, in the query and in a path segment', () => {
    assert.equal(maskUrl('http://cam/x?a=1;token=abc'), 'http://cam/x?a=1;token=***');
    assert.equal(maskUrl('http://cam/video;jsessionid=ABC123;k=1/mjpg'), 'http://cam/video;jsessionid=***;k=1/mjpg');
  });

  test('the fragment is read like a query (OAuth puts access_token there)', () => {
    assert.equal(maskUrl('https://cam/x#access_token=XYZ&state=1'), 'https://cam/x#access_token=***&state=1');
    assert.equal(maskUrl('https://cam/x?a=1#token=XYZ'), 'https://cam/x?a=1#token=***');
  });

  test('credentials written into the path as parameters (some DVRs)', () => {
    assert.equal(maskUrl('rtsp://10.0.0.9:554/user=admin&password=tlJwpbo6&channel=1&stream=0.sdp'), 'rtsp://10.0.0.9:554/user=***&password=***&channel=1&stream=0.sdp');
  });

  test('a random-looking value or bare parameter is hidden whatever its name', () => {
    assert.equal(maskUrl('https://cam/x?t=Xy8aBcDeFgHiJkLm1234'), 'https://cam/x?t=***');
    assert.equal(maskUrl('https://cam/x?Xy8aBcDeFgHiJkLm1234'), 'https://cam/x?***');
  });

  test('a URL inside a value (a redirect) is hidden whole', () => {
    assert.equal(maskUrl('http://h/?next=http://u:p@x/'), 'http://h/?next=***');
    assert.equal(maskUrl('http://h/?next=http%3A%2F%2Fu%3Ap%40x%2F'), 'http://h/?next=***');
  });
});

describe('maskUrl: RTMP stream keys', () => {
  test('everything after the application is the key', () => {
    assert.equal(maskUrl('rtmp://host/live/STREAMKEY'), 'rtmp://host/live/***');
    assert.equal(maskUrl('RTMPS://host:443/app/inst/key'), 'RTMPS://host:443/app/***');
    assert.equal(maskUrl('rtmp://pusher:s3cret@host/live/yard'), 'rtmp://pusher:***@host/live/***');
  });

  test('a query or fragment after the key is part of it', () => {
    assert.equal(maskUrl('rtmps://live-api-s.facebook.com:443/rtmp/FB-1234?s_bl=1&s_sc=5678&a=Abc'), 'rtmps://live-api-s.facebook.com:443/rtmp/***?***');
  });

  test('an application alone has no key to hide', () => {
    assert.equal(maskUrl('rtmp://host/live'), 'rtmp://host/live');
    assert.equal(maskUrl('rtmp://host/live/'), 'rtmp://host/live/');
  });
});

describe('maskUrl: tokens in a path', () => {
  test("after a hook, token, key, secret or services segment, the rest of the path goes (Slack, Discord, Teams)", () => {
    assert.equal(maskUrl('https://hooks.slack.com/services/T000/B000/XXXX'), 'https://hooks.slack.com/services/***');
    assert.equal(maskUrl('https://discord.com/api/webhooks/123456789012345678/abcDEF_ghi-JKL'), 'https://discord.com/api/webhooks/***');
    assert.equal(maskUrl('https://x.webhook.office.com/webhookb2/a@b/IncomingWebhook/c/d'), 'https://x.webhook.office.com/webhookb2/***');
    assert.equal(maskUrl('https://api.example.com/v1/token/abc/status'), 'https://api.example.com/v1/token/***');
  });

  test('a random-looking segment goes anywhere (hex, base64url, UUIDs; UniFi puts its stream token there)', () => {
    assert.equal(maskUrl('rtsps://192.168.1.1:7441/Xy8aBcDeFgHiJkLm?enableSrtp'), 'rtsps://192.168.1.1:7441/***?enableSrtp');
    assert.equal(maskUrl('https://webhook.site/123e4567-e89b-12d3-a456-426614174000'), 'https://webhook.site/***');
    assert.equal(maskUrl('https://h/a/9f86d081884c7d659a2feaa0c55ad015/b'), 'https://h/a/***/b');
  });

  test('ordinary camera URLs, files and patterns are left alone', () => {
    for (const url of [
      'rtsp://cam.local:554/Streaming/Channels/101',
      'rtsp://10.0.0.5/cam/realmonitor?channel=1&subtype=0',
      'http://cam/axis-cgi/mjpg/video.cgi?resolution=640x480',
      'rtsp://[::1]:8554/yard',
      'file:///media/clip-2024-01-01-0123456789abcdef.mp4',
      'test://ball',
      '/videos/clip.mp4',
      'https://example.com/hook',
    ]) {
      assert.equal(maskUrl(url), url);
    }
  });
});

describe('maskText', () => {
  test('masks every URL in an error message, a pipeline, JSON, with the punctuation around it kept', () => {
    assert.equal(
      maskText('could not open rtsp://a:one@cam1/s, then RTSPS://b:two@cam2/s and (http://three@cam3/m) failed.'),
      'could not open rtsp://a:***@cam1/s, then RTSPS://b:***@cam2/s and (http://***@cam3/m) failed.',
    );
    assert.equal(maskText('rtspsrc location="rtsp://cam/s?token=abc" user-id="***" latency=0'), 'rtspsrc location="rtsp://cam/s?token=***" user-id="***" latency=0');
    assert.equal(maskText("Output #0, flv, to 'rtmp://127.0.0.1:1935/live/KEY':"), "Output #0, flv, to 'rtmp://127.0.0.1:1935/live/***':");
    assert.equal(maskText('rtmp://h:1/live/KEY: Connection refused'), 'rtmp://h:1/live/***: Connection refused');
    // a URL ends at whitespace only (a quote may be part of a raw password), so the rest of a JSON value goes too
    assert.equal(maskText('{"url":"http://h/x?sig=zz","n":1}'), '{"url":"http://h/x?sig=***}');
  });

  test('a URL inside another one is masked on its own', () => {
    assert.equal(maskText('redirect to http://h/?next=http://u:p@x/ refused'), 'redirect to http://h/?next=http://u:***@x/ refused');
  });

  test('leaves text without secrets alone, e-mail addresses included', () => {
    for (const text of ['', 'no urls here', 'rtsp://cam.local/s', 'mail ops@example.com now', 'listening on http://localhost:8080', 'x264 (auto: nvenc unavailable)']) {
      assert.equal(maskText(text), text);
    }
  });

  test('masking twice changes nothing more', () => {
    for (const text of ['rtsp://admin:p@ss@cam/s?token=abc#k=1', 'rtmp://h/live/KEY?x=1', 'https://hooks.slack.com/services/T/B/X', 'rtsp://admin:pa/ss@cam/s']) {
      assert.equal(maskText(maskText(text)), maskText(text));
    }
    assert.equal(maskEndpointUrl(maskEndpointUrl('https://u:p@h/a/b?c=d')), maskEndpointUrl('https://u:p@h/a/b?c=d'));
  });

  // the bound is a hundred times what it takes; the quadratic scan this guards against took 7 s for the first case
  test('bug: a 90 KB password took seconds to mask; long hostile texts are masked in linear time', { timeout: 10_000 }, () => {
    const password = 'p'.repeat(90_000);
    assert.equal(maskText(`cannot open rtsp://user:${password}@127.0.0.1:1/x`), 'cannot open rtsp://user:***@127.0.0.1:1/x');
    assert.equal(maskUrl(`rtsp://user:${password}@127.0.0.1:1/x`), 'rtsp://user:***@127.0.0.1:1/x');
    for (const text of ['a1'.repeat(50_000), 'a://'.repeat(25_000), 'a:// '.repeat(20_000), `http://h/?${'x=1&'.repeat(25_000)}`, `x ${'.'.repeat(90_000)}x`, `http://h/${'%41'.repeat(30_000)}`]) {
      assert.equal(maskText(text), text, 'nothing in these is a secret');
    }
  });
});

describe('maskEndpointUrl', () => {
  test('a webhook URL shows its scheme, host and port only', () => {
    assert.equal(maskEndpointUrl('https://user:pw@hooks.example.com/a/b?token=abc'), 'https://***@hooks.example.com/***');
    assert.equal(maskEndpointUrl('https://hooks.slack.com/services/T000/B000/XXXX'), 'https://hooks.slack.com/***');
    assert.equal(maskEndpointUrl('http://127.0.0.1:9000/hook'), 'http://127.0.0.1:9000/***');
    assert.equal(maskEndpointUrl('http://127.0.0.1:9000/'), 'http://127.0.0.1:9000/');
    assert.equal(maskEndpointUrl('not a url'), MASK);
  });
});

describe('maskerFor', () => {
  test('hides the secrets of its URL where a tool echoes them alone or decoded', () => {
    const mask = maskerFor('rtsp://admin:p%40ss%2Fw0rd@cam/s?token=T0KEN1');
    assert.equal(mask('rtspsrc0: user-pw="p@ss/w0rd" Unauthorized: rtsp://cam/s?token=T0KEN1 (T0KEN1)'), 'rtspsrc0: user-pw="***" Unauthorized: rtsp://cam/s?token=*** (***)');
    const push = maskerFor('rtmp://127.0.0.1:1935/live/STREAMKEY');
    assert.equal(push('Publishing STREAMKEY failed'), 'Publishing *** failed');
  });

  test("an endpoint's path token is hidden alone too", () => {
    const mask = maskerFor('https://hooks.slack.com/services/T000/B000/XXXXtoken1', 'endpoint');
    assert.equal(mask('POST https://hooks.slack.com/services/T000/B000/XXXXtoken1 failed: invalid_token XXXXtoken1'), 'POST https://hooks.slack.com/*** failed: invalid_token ***');
  });

  test('secretsOf leaves out short pieces that would blot out ordinary words', () => {
    assert.deepEqual(secretsOf('rtsp://admin:abc@cam/s'), []);
    assert.deepEqual(secretsOf('rtmp://pusher:s3cret@h/live/STREAMKEY'), ['STREAMKEY', 's3cret']);
  });
});


describe('attacker-style: generated secrets in every place a URL holds one', () => {
  const next = mulberry32(10);
  const random = (n: number): number => next() * n;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random(items.length))]!;
  // printable ASCII and some unicode, but no "/" or whitespace (those cannot be in a raw password: see above)
  const hostile = [...'abcXYZ019!"#$%&\'()*+,;=?@[]\\^`{|}~:-._', 'é', 'ж', '🔑', '\u202e'];
  const secret = (length: number): string => `S${Array.from({ length }, () => pick(hostile)).join('')}9`;
  const token = (length: number): string => `T${Array.from({ length }, () => pick([...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_'])).join('')}0`;
  const names = ['password', 'PASSWORD', 'Passwd', 'pwd', 'token', 'ACCESS_TOKEN', 'api_key', 'ApiKey', 'key', 'secret', 'sig', 'auth', 'user', '%70assword', 'pass%77ord'];
  const prose = (url: string): string => pick([`could not open ${url}: 401`, `"${url}"`, `(${url})`, `${url},`, `location=${url} ! next`, `'${url}':`, url]);

  const places: Array<[string, () => [url: string, secret: string]]> = [
    ['password in user info, raw', () => { const s = secret(12); return [`rtsp://admin:${s}@cam.local:554/s`, s]; }],
    ['password in user info, encoded', () => { const s = secret(12); return [`rtsp://admin:${encodeURIComponent(s)}@cam/s?profile=1`, s]; }],
    ['token as the whole user info', () => { const s = token(20); return [`https://${s}@cam/mjpg`, s]; }],
    ['query value', () => { const s = secret(10); return [`http://cam/x?a=1&${pick(names)}=${encodeURIComponent(s)}&b=2`, s]; }],
    ['fragment value', () => { const s = secret(10); return [`https://cam/x?a=1#${pick(names)}=${encodeURIComponent(s)}`, s]; }],
    ['; parameter', () => { const s = secret(10); return [`http://cam/x;${pick(names)}=${encodeURIComponent(s)}/y`, s]; }],
    ['user info and query together', () => { const s = secret(10); return [`rtsps://u:${encodeURIComponent(s)}@cam/s?token=${encodeURIComponent(s)}`, s]; }],
    ['rtmp stream key', () => { const s = token(pick([4, 10, 30])); return [`rtmp${pick(['', 's'])}://media.example.com/${pick(['live', 'app', 'live2'])}/${s}`, s]; }],
    ['rtmp stream key with its own query', () => { const s = token(8); return [`rtmps://host:443/rtmp/FB-1?s_sc=${s}&a=1`, s]; }],
    ['token after a webhooks segment', () => { const s = token(pick([4, 20, 68])); return [`https://discord.com/api/webhooks/1234/${s}`, s]; }],
    ['random token anywhere in the path', () => { const s = token(20); return [`https://h/${pick(['a', 'x/y'])}/${s}/${pick(['', 'z'])}`, s]; }],
  ];

  for (const [place, make] of places) {
    test(`${place}: 200 cases, as one URL and inside text`, () => {
      for (let i = 0; i < 200; i += 1) {
        const [url, hidden] = make();
        assertHidden(maskUrl(url), hidden, url);
        const text = prose(url);
        assertHidden(maskText(text), hidden, text);
      }
    });
  }

  test('every webhook path, query and user info: 200 cases', () => {
    for (let i = 0; i < 200; i += 1) {
      const s = token(pick([3, 10, 40]));
      const url = pick([`https://hooks.slack.com/services/T0/B0/${s}`, `https://h.example.com/${s}`, `https://${s}@h/x`, `https://h/x?${s}`, `https://h/#${s}`]);
      assertHidden(maskEndpointUrl(url), s, url);
      assertHidden(maskerFor(url, 'endpoint')(`POST ${url}: fetch failed (${s})`), s, url);
    }
  });
});
