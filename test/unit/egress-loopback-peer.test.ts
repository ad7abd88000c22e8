import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { socketInode } from '../../libs/media/src/push/loopback-peer';

// a /proc/net/tcp listing (little-endian machine): the relay listening on 41000 (0xA028), ffmpeg connected to it from
// 127.0.0.1:50000 (0xC350), the relay's end of that connection, and an intruder from 127.0.0.2 on the same port
const TABLE = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:A028 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0',
  '   1: 0100007F:A028 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1',
  '   2: 0100007F:C350 0100007F:A028 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1',
  '   3: 0200007F:C350 0100007F:A028 01 00000000:00000000 00:00000000 00000000  1001        0 444 1 0000000000000000 20 4 30 10 -1',
  '   4: 0100007F:C351 0100007F:A028 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0000000000000000',
].join('\n');

const relay = { address: '127.0.0.1', port: 41_000 };

describe('socketInode', () => {
  test("finds the peer's own socket: its local end is the peer, its remote end the relay", () => {
    assert.equal(socketInode(TABLE, { address: '127.0.0.1', port: 50_000 }, relay, 'LE'), '333');
  });

  // bug guarded: matching ports alone would hand ffmpeg's socket to an intruder bound to 127.0.0.2 on the same port
  test('the address counts, not only the port', () => {
    assert.equal(socketInode(TABLE, { address: '127.0.0.2', port: 50_000 }, relay, 'LE'), '444');
    assert.equal(socketInode(TABLE, { address: '127.0.0.3', port: 50_000 }, relay, 'LE'), undefined);
  });

  test('a socket that is not established (TIME_WAIT, inode 0) is nobody', () => {
    assert.equal(socketInode(TABLE, { address: '127.0.0.1', port: 50_001 }, relay, 'LE'), undefined);
  });

  test('big-endian machines print the address the other way round', () => {
    const table = TABLE.replaceAll('0100007F', '7F000001').replaceAll('0200007F', '7F000002');
    assert.equal(socketInode(table, { address: '127.0.0.1', port: 50_000 }, relay, 'BE'), '333');
    assert.equal(socketInode(table, { address: '127.0.0.1', port: 50_000 }, relay, 'LE'), undefined);
  });

  test('not an IPv4 address: no match', () => {
    assert.equal(socketInode(TABLE, { address: '::1', port: 50_000 }, relay, 'LE'), undefined);
  });
});
