// --nodeport-addresses semantics: CIDRs select host interface addresses; zero CIDRs select a
// whole family; and which addresses count as local for externalIPs.
import { describe, it, expect } from 'vitest';
import type { NetworkInterfaceInfo } from 'node:os';
import {
  hostAddresses,
  isLocalAddress,
  isLoopback,
  nodePortAddresses,
  parseNodePortCIDRs,
  DEFAULT_NODEPORT_ADDRESSES,
} from '../../src/proxy/nodeport-addresses.js';

const v4 = (address: string): NetworkInterfaceInfo => ({
  address,
  netmask: '255.255.255.0',
  family: 'IPv4',
  mac: '00:00:00:00:00:00',
  internal: false,
  cidr: `${address}/24`,
});
const v6 = (address: string, scopeid = 0): NetworkInterfaceInfo => ({
  address,
  netmask: 'ffff:ffff:ffff:ffff::',
  family: 'IPv6',
  mac: '00:00:00:00:00:00',
  internal: false,
  cidr: `${address}/64`,
  scopeid,
});

const HOST = hostAddresses({
  lo: [v4('127.0.0.1'), v6('::1')],
  eth0: [v4('192.0.2.2'), v6('fd00::2'), v6('fe80::fc:ff:fe00:1', 4)],
  eth1: [v4('198.51.100.7')],
});
const np = (cidrs: string[]) => nodePortAddresses(parseNodePortCIDRs(cidrs), HOST);

describe('NodePort addresses', () => {
  it('defaults to 127.0.0.1 only', () => {
    expect(DEFAULT_NODEPORT_ADDRESSES).toEqual(['127.0.0.1/32']);
    expect(np(DEFAULT_NODEPORT_ADDRESSES)).toEqual(['127.0.0.1']);
  });

  it('takes every host address inside any CIDR, deduplicated', () => {
    expect(np(['127.0.0.0/8'])).toEqual(['127.0.0.1']);
    expect(np(['192.0.2.0/24', '192.0.2.2/32', '::1/128'])).toEqual(['192.0.2.2', '::1']);
    expect(np(['10.0.0.0/8'])).toEqual([]);
    // Host bits in a CIDR are ignored, as Go's ParseCIDR does.
    expect(np(['198.51.100.99/24'])).toEqual(['198.51.100.7']);
  });

  it('0.0.0.0/0 means every IPv4 address, ::/0 every IPv6 one (link-local with its interface)', () => {
    expect(np(['0.0.0.0/0'])).toEqual(['127.0.0.1', '192.0.2.2', '198.51.100.7']);
    expect(np(['::/0'])).toEqual(['::1', 'fd00::2', 'fe80::fc:ff:fe00:1%eth0']);
    expect(np(['0.0.0.0/0', '::/0'])).toHaveLength(6);
    // A family the list leaves out gets nothing (see nodeport-addresses.ts); an empty list is all.
    expect(np(['127.0.0.1/32']).some((a) => a.includes(':'))).toBe(false);
    expect(np([])).toHaveLength(6);
  });

  it('refuses an entry that is not a CIDR', () => {
    expect(() => parseNodePortCIDRs(['127.0.0.1'])).toThrow('nodePortAddresses: invalid CIDR "127.0.0.1"');
    expect(() => parseNodePortCIDRs(['10.0.0.0/33'])).toThrow(/invalid CIDR/);
  });
});

describe('local addresses', () => {
  it('counts all of 127.0.0.0/8, ::1 and the interface addresses as local', () => {
    expect(isLocalAddress('127.97.0.77', HOST)).toBe(true);
    expect(isLocalAddress('::1', HOST)).toBe(true);
    expect(isLocalAddress('192.0.2.2', HOST)).toBe(true);
    expect(isLocalAddress('::ffff:192.0.2.2', HOST)).toBe(true);
    expect(isLocalAddress('192.0.2.10', HOST)).toBe(false);
    expect(isLocalAddress('fd00::3', HOST)).toBe(false);
    expect(isLoopback('::ffff:127.0.0.5')).toBe(true);
    expect(isLoopback('128.0.0.1')).toBe(false);
  });
});
