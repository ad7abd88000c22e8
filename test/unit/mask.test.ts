import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { maskCredentials } from '@vigil/contracts';

describe('maskCredentials: secrets in URLs anywhere in a text', () => {
  const cases: [string, string][] = [
    ['rtsp://admin:hunter2@cam.local/s', 'rtsp://admin:***@cam.local/s'],
    ['rtsp://onlyuser@cam.local/s', 'rtsp://***@cam.local/s'],
    ['rtsp://admin:p@ss@word@cam.local:554/s', 'rtsp://admin:***@cam.local:554/s'],
    // query, fragment and ;-parameters named like secrets, whatever their case or encoding
    ['http://cam/video.cgi?user=admin&password=hunter2&res=720', 'http://cam/video.cgi?user=***&password=***&res=720'],
    ['http://cam/a?PassWord=x&Token=y&KEY=z&api_key=q&access_token=t&secret=s&sig=g', 'http://cam/a?PassWord=***&Token=***&KEY=***&api_key=***&access_token=***&secret=***&sig=***'],
    ['http://cam/a?%70assword=x', 'http://cam/a?%70assword=***'],
    ['http://cam/a?token=1&token=2', 'http://cam/a?token=***&token=***'],
    ['http://cam/a#access_token=abc&state=1', 'http://cam/a#access_token=***&state=1'],
    ['rtsp://cam/s;pwd=x;codec=h264', 'rtsp://cam/s;pwd=***;codec=h264'],
    ['https://fn.azurewebsites.net/api/hook?code=Abc123', 'https://fn.azurewebsites.net/api/hook?code=***'],
    ['rtsp://u:p@cam/s?token=t', 'rtsp://u:***@cam/s?token=***'],
    // RTMP stream keys: the last path segment after the app
    ['rtmp://live.example.com/live/sk_8f3a', 'rtmp://live.example.com/live/***'],
    ['rtmps://a.rtmp.youtube.com:443/live2/abcd-efgh-ijkl-mnop', 'rtmps://a.rtmp.youtube.com:443/live2/***'],
    ['rtmp://host/app', 'rtmp://host/app'],
    // tokens in webhook paths
    ['https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXX1', 'https://hooks.slack.com/services/T00000000/B00000000/***'],
    ['https://discord.com/api/webhooks/123456789012345678/aBcD-eFgH_1234567890abcdefghijkl', 'https://discord.com/api/webhooks/123456789012345678/***'],
    ['https://example.com/alarms/receiver', 'https://example.com/alarms/receiver'],
    // inside longer text, as ffmpeg and GStreamer echo URLs in their errors
    ['[tcp @ 0x1] Connection to rtmp://host/live/KEY123 failed; see "rtsp://a:b@c/d".', '[tcp @ 0x1] Connection to rtmp://host/live/*** failed; see "rtsp://a:***@c/d".'],
    ['no url here', 'no url here'],
  ];
  for (const [input, masked] of cases) {
    test(input.slice(0, 70), () => assert.equal(maskCredentials(input), masked));
  }

  test('an attacker cannot hide a secret from the masker with unicode or odd characters', () => {
    for (const url of ['rtsp://admin:pässwörd✓@cam/s', 'http://cam/a?password=%E2%9C%93secret', 'rtmp://h/app/k%C3%A9y']) {
      const masked = maskCredentials(url);
      assert.ok(!/pässwörd|secret|k%C3%A9y/.test(masked), masked);
    }
  });
});
