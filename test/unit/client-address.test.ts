/** Which address a Socket.IO connection counts against: X-Forwarded-For is anyone's to write. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressSlots, clientAddress } from '@vigil/platform';

const from = (address: string, forwarded?: string | string[]) => ({ address, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } });

describe('clientAddress', () => {
  test('with no trusted proxy the header is ignored: a client cannot pick its own address', () => {
    assert.equal(clientAddress(from('203.0.113.7'), 0), '203.0.113.7');
    assert.equal(clientAddress(from('203.0.113.7', '198.51.100.1'), 0), '203.0.113.7');
    assert.equal(clientAddress(from('203.0.113.7', ['1.1.1.1', '2.2.2.2']), 0), '203.0.113.7');
  });

  test('with N trusted proxies, the address N hops back; what the client wrote further left is ignored', () => {
    // client 198.51.100.9 wrote "6.6.6.6"; our proxy 10.0.0.2 appended what it saw
    assert.equal(clientAddress(from('10.0.0.2', '6.6.6.6, 198.51.100.9'), 1), '198.51.100.9');
    assert.equal(clientAddress(from('10.0.0.3', '6.6.6.6, 198.51.100.9, 10.0.0.2'), 2), '198.51.100.9');
    // fewer hops than configured: the farthest address there is (what the first proxy saw)
    assert.equal(clientAddress(from('10.0.0.2', '198.51.100.9'), 3), '198.51.100.9');
    assert.equal(clientAddress(from('10.0.0.2'), 1), '10.0.0.2');
  });

  test('a value that is not an IP address counts as the peer', () => {
    assert.equal(clientAddress(from('10.0.0.2', 'evil\nname'), 1), '10.0.0.2');
    assert.equal(clientAddress(from('10.0.0.2', 'x'.repeat(5000)), 1), '10.0.0.2');
  });

  test('an IPv4-mapped IPv6 address is the IPv4 address', () => {
    assert.equal(clientAddress(from('::ffff:127.0.0.1'), 0), '127.0.0.1');
    assert.equal(clientAddress(from('::1'), 0), '::1');
  });
});

describe('AddressSlots', () => {
  test('at most max per address; a release makes room', () => {
    const slots = new AddressSlots(2);
    assert.equal(slots.take('a'), true);
    assert.equal(slots.take('a'), true);
    assert.equal(slots.take('a'), false);
    assert.equal(slots.take('b'), true, 'another address has its own');
    slots.release('a');
    assert.equal(slots.take('a'), true);
    slots.release('a');
    slots.release('a');
    assert.equal(slots.count('a'), 0);
  });
});
