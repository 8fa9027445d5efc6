// The one IP parser (src/apimachinery/ipnet.ts) reads texts as Go's net.ParseIP / ParseCIDR do, in
// both of its forms (number and bytes), and validation classifies addresses as Go's IP methods.
import { describe, expect, it } from 'vitest';
import {
  containsBytes,
  formatIP,
  formatIPBytes,
  ipFromBytes,
  ipToBytes,
  isIP,
  isIPv6Text,
  parseCIDR,
  parseIP,
  parseIPBytes,
} from '../../src/apimachinery/ipnet.js';
import { validateIP, validateNonSpecialIP } from '../../src/apimachinery/validation.js';

describe('parseIP as Go net.ParseIP', () => {
  it('refuses leading zeros in IPv4, also in an IPv6 tail', () => {
    for (const t of ['010.0.0.1', '10.0.0.01', '00.1.2.3', '::ffff:01.2.3.4', '1.2.3.04']) {
      expect([t, parseIP(t), parseIPBytes(t), isIP(t)]).toEqual([t, undefined, undefined, false]);
    }
    expect(parseIP('0.0.0.0')).toEqual({ family: 4, value: 0n });
    expect(parseIP('10.0.0.10')).toEqual({ family: 4, value: 0x0a00000an });
  });

  it('refuses zones, which node:net (isIPv6Text) takes', () => {
    for (const t of ['fe80::1%eth0', '::ffff:1.2.3.4%z', 'fe80::%eth0']) {
      expect([t, parseIP(t), isIP(t)]).toEqual([t, undefined, false]);
      expect(isIPv6Text(t)).toBe(true);
    }
    // A zone with an empty last group once threw a RangeError out of parseCIDR (and validation).
    expect(parseCIDR('fe80::%eth0/64')).toBeUndefined();
  });

  it('keeps IPv4-mapped addresses as 16-byte IPv6, printed in hex', () => {
    expect(parseIP('::ffff:1.2.3.4')).toEqual({ family: 6, value: 0xffff01020304n });
    expect(parseIPBytes('::ffff:1.2.3.4')!.length).toBe(16);
    expect(formatIP(6, 0xffff01020304n)).toBe('::ffff:102:304');
    expect(parseIP('::ffff:102:304')).toEqual(parseIP('::ffff:1.2.3.4'));
  });

  it('takes `::` for one group or more, never for none', () => {
    expect(formatIP(6, parseIP('1:2:3:4:5:6:7::')!.value)).toBe('1:2:3:4:5:6:7:0');
    expect(formatIP(6, parseIP('::2:3:4:5:6:7:8')!.value)).toBe('0:2:3:4:5:6:7:8');
    expect(parseIP('1:2:3:4::5:6:7:8')).toBeUndefined();
    expect(parseIP('1:2:3:4:5:6::1.2.3.4')).toBeUndefined();
    expect(parseIP('12345::')).toBeUndefined();
    expect(parseIP('0001:02:003::')).toEqual({ family: 6, value: 0x0001000200030000n << 64n });
  });

  it('prints RFC 5952: lowercase, the longest zero run (the first of equal ones), never one group', () => {
    const p = (t: string) => formatIP(6, parseIP(t)!.value);
    expect(p('2001:DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(p('2001:db8:0:1:1:1:1:1')).toBe('2001:db8:0:1:1:1:1:1');
    expect(p('0:0:0:0:0:0:0:0')).toBe('::');
    expect(p('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(p('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(p('fd00:0:0:0:0:0:0:0')).toBe('fd00::');
  });

  it('gives the same address as bytes and as a number', () => {
    for (const t of ['127.96.0.10', '255.255.255.255', 'fd00:10:96::a', '::ffff:10.1.2.3', '::', '2001:db8::1:0:0:1']) {
      const n = parseIP(t)!;
      const b = parseIPBytes(t)!;
      expect(ipFromBytes(b)).toEqual(n);
      expect(ipToBytes(n.family, n.value)).toEqual(b);
      expect(formatIPBytes(b)).toBe(formatIP(n.family, n.value));
    }
  });
});

describe('parseCIDR as Go net.ParseCIDR', () => {
  it('masks the address to the prefix and checks the prefix length', () => {
    expect(parseCIDR('10.96.1.7/16')!.text).toBe('10.96.0.0/16');
    expect(parseCIDR('fd00:10:96::5/64')!.text).toBe('fd00:10:96::/64');
    expect(parseCIDR('10.0.0.0/33')).toBeUndefined();
    expect(parseCIDR('::/129')).toBeUndefined();
    expect(parseCIDR('010.0.0.0/8')).toBeUndefined();
    expect(parseCIDR('10.0.0.0')).toBeUndefined();
    expect(parseCIDR('/8')).toBeUndefined();
    const c = parseCIDR('127.96.0.0/16')!;
    expect(containsBytes(c, parseIPBytes('127.96.255.255')!)).toBe(true);
    expect(containsBytes(c, parseIPBytes('127.97.0.0')!)).toBe(false);
    expect(containsBytes(c, parseIPBytes('::ffff:127.96.0.1')!)).toBe(false);
  });
});

describe('validation on the same parser', () => {
  const msgs = (errs: { body: string }[]) => errs.map((e) => e.body.replace(/^Invalid value: "[^"]*": /, ''));
  it('refuses zones as upstream does', () => {
    expect(validateIP('fe80::1%eth0', 'f')).toHaveLength(1);
    expect(validateIP('fe80::1', 'f')).toHaveLength(0);
  });

  it('classifies special addresses as Go (IPv4-mapped by the IPv4 rules, any spelling)', () => {
    expect(msgs(validateNonSpecialIP('::ffff:127.0.0.1', 'f'))).toEqual(['may not be in the loopback range (127.0.0.0/8, ::1/128)']);
    expect(msgs(validateNonSpecialIP('::ffff:7f00:1', 'f'))).toEqual(['may not be in the loopback range (127.0.0.0/8, ::1/128)']);
    expect(msgs(validateNonSpecialIP('0:0:0:0:0:0:0:1', 'f'))).toEqual(['may not be in the loopback range (127.0.0.0/8, ::1/128)']);
    expect(msgs(validateNonSpecialIP('::ffff:0.0.0.0', 'f'))).toEqual(['may not be unspecified (::ffff:0.0.0.0)']);
    expect(msgs(validateNonSpecialIP('FE80::1', 'f'))).toEqual(['may not be in the link-local range (169.254.0.0/16, fe80::/10)']);
    expect(msgs(validateNonSpecialIP('febf::1', 'f'))).toEqual(['may not be in the link-local range (169.254.0.0/16, fe80::/10)']);
    expect(msgs(validateNonSpecialIP('fec0::1', 'f'))).toEqual([]);
    expect(msgs(validateNonSpecialIP('ff12::1', 'f'))).toEqual(['may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)']);
    expect(msgs(validateNonSpecialIP('224.0.1.1', 'f'))).toEqual([]);
    expect(msgs(validateNonSpecialIP('10.0.0.1', 'f'))).toEqual([]);
  });
});
