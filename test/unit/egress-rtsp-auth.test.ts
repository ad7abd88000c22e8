import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authorizerFor, parseChallenges, pickChallenge, type Challenge } from '../../libs/media/src/push/rtsp-auth';

/** The fields of a Digest Authorization header, unquoted. */
function fields(header: string): Record<string, string> {
  assert.match(header, /^Digest /);
  const [challenge] = parseChallenges([header]);
  return challenge!.params;
}

function digest(params: Record<string, string>): Challenge {
  return { scheme: 'digest', params };
}

describe('Digest responses against the RFCs examples', () => {
  test('RFC 2617 §3.5: qop=auth, MD5', () => {
    const challenge = digest({ realm: 'testrealm@host.com', qop: 'auth,auth-int', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', opaque: '5ccc069c403ebaf9f0171e9517f40e41' });
    const header = authorizerFor(challenge, { username: 'Mufasa', password: 'Circle Of Life' }, { cnonce: () => '0a4f113b' }).header('GET', '/dir/index.html');
    assert.deepEqual(fields(header), {
      username: 'Mufasa', realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', uri: '/dir/index.html',
      response: '6629fae49393a05397450978507c4ef1', opaque: '5ccc069c403ebaf9f0171e9517f40e41', qop: 'auth', nc: '00000001', cnonce: '0a4f113b',
    });
  });

  test('RFC 2069 §2.4 (no qop, as gst-rtsp-server asks): MD5(HA1:nonce:HA2), no nc or cnonce', () => {
    const challenge = digest({ realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', opaque: '5ccc069c403ebaf9f0171e9517f40e41' });
    const header = authorizerFor(challenge, { username: 'Mufasa', password: 'CircleOfLife' }).header('GET', '/dir/index.html');
    const got = fields(header);
    // the RFC prints e966c932a9242554e42c8ee200cec7f6, a known erratum; this is the value its formula gives
    assert.equal(got.response, '1949323746fe6a43ef61f9606e7febea');
    assert.equal('qop' in got || 'nc' in got || 'cnonce' in got, false, header);
  });

  test('RFC 7616 §3.9.1: MD5 and SHA-256 with qop=auth; SHA-256 preferred when both are offered', () => {
    const params = { realm: 'http-auth@example.org', qop: 'auth, auth-int', nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v', opaque: 'FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS' };
    const credentials = { username: 'Mufasa', password: 'Circle of Life' };
    const cnonce = () => 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ';
    const offered = [digest({ ...params, algorithm: 'MD5' }), digest({ ...params, algorithm: 'SHA-256' })];
    const chosen = pickChallenge(offered);
    assert.equal(chosen?.params.algorithm, 'SHA-256');
    assert.equal(fields(authorizerFor(chosen!, credentials, { cnonce }).header('GET', '/dir/index.html')).response, '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1');
    const md5 = fields(authorizerFor(offered[0]!, credentials, { cnonce }).header('GET', '/dir/index.html'));
    assert.equal(md5.response, '8ca523f5e9506fed4657c9700eebdbec');
    assert.equal(md5.algorithm, 'MD5');
  });

  test('the nonce count goes up with every request under one nonce, and each request has its own client nonce', () => {
    const authorizer = authorizerFor(digest({ realm: 'r', nonce: 'n', qop: 'auth' }), { username: 'u', password: 'p' });
    const first = fields(authorizer.header('ANNOUNCE', 'rtsp://h:554/x'));
    const second = fields(authorizer.header('SETUP', 'rtsp://h:554/x/streamid=0'));
    assert.deepEqual([first.nc, second.nc], ['00000001', '00000002']);
    assert.notEqual(first.cnonce, second.cnonce);
    assert.notEqual(first.response, second.response);
  });

  test('a user name with a quote or a backslash is escaped, so it cannot end its field early', () => {
    const header = authorizerFor(digest({ realm: 'r', nonce: 'n' }), { username: 'a"b\\c', password: 'p' }).header('OPTIONS', 'rtsp://h:554/x');
    assert.match(header, /username="a\\"b\\\\c"/);
    assert.equal(fields(header).username, 'a"b\\c');
  });
});

describe('Basic', () => {
  test('RFC 7617 §2: base64 of user:password', () => {
    const authorizer = authorizerFor({ scheme: 'basic', params: { realm: 'WallyWorld' } }, { username: 'Aladdin', password: 'open sesame' });
    assert.equal(authorizer.header('OPTIONS', 'rtsp://h:554/x'), 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
  });

  test('UTF-8 before base64 (RFC 7617 §2.1)', () => {
    const authorizer = authorizerFor({ scheme: 'basic', params: {} }, { username: 'test', password: '123£' });
    assert.equal(authorizer.header('OPTIONS', 'rtsp://h:554/x'), 'Basic dGVzdDoxMjPCow==');
  });
});

describe('parseChallenges and pickChallenge', () => {
  test('several challenges in one header and across headers; quoted values with commas and escapes; tokens', () => {
    const challenges = parseChallenges(['Basic realm="a, b", Digest realm="x \\"y\\"", nonce="n1", stale=TRUE, algorithm=MD5', 'Newauth realm="apps", type=1, title="Login to \\"apps\\""']);
    assert.deepEqual(challenges, [
      { scheme: 'basic', params: { realm: 'a, b' } },
      { scheme: 'digest', params: { realm: 'x "y"', nonce: 'n1', stale: 'TRUE', algorithm: 'MD5' } },
      { scheme: 'newauth', params: { realm: 'apps', type: '1', title: 'Login to "apps"' } },
    ]);
  });

  test('a value that never closes ends the list there, keeping what came before', () => {
    assert.deepEqual(parseChallenges(['Basic realm="a", Digest realm="open']), [{ scheme: 'basic', params: { realm: 'a' } }, { scheme: 'digest', params: {} }]);
  });

  test('Digest before Basic, whatever the order offered', () => {
    const picked = pickChallenge(parseChallenges(['Basic realm="r"', 'Digest realm="r", nonce="n"']));
    assert.equal(picked?.scheme, 'digest');
  });

  test('a Digest that cannot be answered is passed over: no nonce, an unknown algorithm, qop=auth-int only', () => {
    for (const header of ['Digest realm="r"', 'Digest realm="r", nonce="n", algorithm=SHA-512-256', 'Digest realm="r", nonce="n", qop="auth-int"']) {
      assert.equal(pickChallenge(parseChallenges([header])), undefined, header);
      assert.equal(pickChallenge(parseChallenges([header, 'Basic realm="r"']))?.scheme, 'basic', header);
    }
  });

  test('no scheme we know: nothing picked', () => {
    assert.equal(pickChallenge(parseChallenges(['Negotiate', 'NTLM'])), undefined);
    assert.equal(pickChallenge([]), undefined);
  });
});
