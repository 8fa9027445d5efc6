// isIPv6Text (apimachinery/ipnet.ts) accepts exactly the texts node:net's isIPv6 accepts.
import { describe, expect, it } from 'vitest';
import { isIPv6 } from 'node:net';
import { isIPv6Text, parseIP } from '../../src/apimachinery/ipnet.js';

describe('isIPv6Text', () => {
  it('agrees with node:net on hand-picked texts', () => {
    const texts = [
      '',
      ':',
      '::',
      ':::',
      '::1',
      '1::',
      '1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      '1::3:4:5:6:7:8',
      '1:2:3:4::5:6:7:8',
      '1::2::3',
      '12345::',
      'g::',
      'fe80::1%eth0',
      'fe80::1%',
      'fe80::1%a%b',
      'fe80::1%en0.1:x-y',
      '::ffff:1.2.3.4',
      '::1.2.3.4',
      '1.2.3.4',
      '1.2.3.4::',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4:5:6:7:1.2.3.4',
      '1:2:3:4:5::1.2.3.4',
      '1:2:3:4:5:6::1.2.3.4',
      '::ffff:01.2.3.4',
      '::ffff:256.2.3.4',
      '::ffff:1.2.3',
      ':1::',
      '1::2:',
      'FFFF::ABCD',
      ' ::1',
      '::1 ',
      '[::1]',
      'localhost',
      '0:0:0:0:0:0:0:0',
      '::ffff:1.2.3.4%z',
      '1:2:3:4:5:6:7:8%z',
      'fd00:10:96::',
    ];
    for (const t of texts) expect([t, isIPv6Text(t)]).toEqual([t, isIPv6(t)]);
  });

  it('agrees with node:net on random texts', () => {
    // Deterministic pseudo-random texts over the characters that matter.
    let seed = 42;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const alphabet = ['0', '1', 'f', 'F', 'a', '9', ':', ':', ':', '::', '.', '%', 'g', '25', '255', '256', 'ffff', '12345'];
    for (let i = 0; i < 100_000; i++) {
      let t = '';
      for (let n = rand(16); n >= 0; n--) t += alphabet[rand(alphabet.length)];
      if (isIPv6Text(t) !== isIPv6(t)) expect([t, isIPv6Text(t)]).toEqual([t, isIPv6(t)]);
    }
  });

  it('agrees with node:net on random near-addresses', () => {
    let seed = 7;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
    const groups = ['0', '1', 'ab', 'FFFF', 'fffff', '', 'x', '1.2.3.4', '01.2.3.4', '255.255.255.255', '1.2.3'];
    let valid = 0;
    for (let i = 0; i < 50_000; i++) {
      const n = 1 + rand(10);
      const parts = Array.from({ length: n }, () => groups[rand(groups.length)]);
      if (rand(2)) parts.splice(rand(n + 1), 0, '');
      let t = parts.join(':');
      if (rand(8) === 0) t += `%${['eth0', 'a.b', '', 'x%y'][rand(4)]}`;
      if (isIPv6(t)) valid++;
      if (isIPv6Text(t) !== isIPv6(t)) expect([t, isIPv6Text(t)]).toEqual([t, isIPv6(t)]);
    }
    expect(valid).toBeGreaterThan(300);
  });

  it('keeps parseIP as it was', () => {
    expect(parseIP('::1')).toEqual({ family: 6, value: 1n });
    expect(parseIP('::ffff:1.2.3.4')).toEqual({ family: 6, value: 0xffff01020304n });
    expect(parseIP('10.0.0.1')).toEqual({ family: 4, value: 0x0a000001n });
    expect(parseIP('nope')).toBeUndefined();
  });
});
