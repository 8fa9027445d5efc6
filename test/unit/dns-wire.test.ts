// The DNS wire codec (src/dns/wire.ts) and the handler's reply rules that used to be dns2 bugs:
// EDNS options read by octets (dig's COOKIE), SRV targets never compressed, IPv4-mapped AAAA,
// an OPT in every answer to an EDNS query, FORMERR for malformed queries, truncation at record
// boundaries.
import { describe, it, expect } from 'vitest';
import {
  CLASS_IN,
  RCODE,
  TYPE,
  encodeQuery,
  encodeResponse,
  finalize,
  parseMessage,
  errorReply,
  udpLimit,
  splitName,
  joinLabels,
  nameWireLength,
  FormatError,
  Writer,
  type RR,
} from '../../src/dns/wire.js';
import {
  formatIP,
  parseIP,
  parseReverse,
  reverseName,
  parsePodLabel,
  dashedIP,
  parseByteCIDR,
  cidrContains,
  reverseZoneOf,
} from '../../src/dns/ip.js';
import { ClusterIndex } from '../../src/dns/cluster-index.js';
import { QueryHandler } from '../../src/dns/handler.js';

function header(o: { id?: number; flags?: number; qd?: number; an?: number; ns?: number; ar?: number }): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt16BE(o.id ?? 0x1234, 0);
  b.writeUInt16BE(o.flags ?? 0x0100, 2);
  b.writeUInt16BE(o.qd ?? 1, 4);
  b.writeUInt16BE(o.an ?? 0, 6);
  b.writeUInt16BE(o.ns ?? 0, 8);
  b.writeUInt16BE(o.ar ?? 0, 10);
  return b;
}

function wireName(name: string): Buffer {
  const parts = splitName(name);
  return Buffer.concat([...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])), Buffer.from([0])]);
}

function u16(...xs: number[]): Buffer {
  const b = Buffer.alloc(xs.length * 2);
  xs.forEach((x, i) => b.writeUInt16BE(x, i * 2));
  return b;
}

function opt(udp: number, options: Buffer, ttl = 0): Buffer {
  const b = Buffer.alloc(11);
  b[0] = 0;
  b.writeUInt16BE(TYPE.OPT, 1);
  b.writeUInt16BE(udp, 3);
  b.writeUInt32BE(ttl, 5);
  b.writeUInt16BE(options.length, 9);
  return Buffer.concat([b, options]);
}

function option(code: number, data: Buffer): Buffer {
  return Buffer.concat([u16(code, data.length), data]);
}

function handler(): QueryHandler {
  const idx = new ClusterIndex();
  idx.upsert('namespaces', { metadata: { name: 'default' } });
  idx.upsert('services', {
    metadata: { namespace: 'default', name: 'web' },
    spec: { type: 'ClusterIP', clusterIP: '127.96.5.5', clusterIPs: ['127.96.5.5'], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
  });
  return new QueryHandler({ index: idx, zone: { zone: 'cluster.local', ttl: 5, ownNets: [] } });
}

function ask(h: QueryHandler, buf: Buffer, transport: 'udp' | 'tcp' = 'udp'): Buffer | undefined {
  const r = h.handle(buf, transport);
  if (r instanceof Promise) throw new Error('expected a synchronous answer');
  return r;
}

describe('names', () => {
  it('splits, escapes and measures names', () => {
    expect(splitName('a.b.c.')).toEqual(['a', 'b', 'c']);
    expect(splitName('')).toEqual([]);
    expect(splitName('a\\.b.c')).toEqual(['a.b', 'c']);
    expect(joinLabels(['a.b', 'c\\d'])).toBe('a\\.b.c\\\\d');
    expect(nameWireLength('web.default.svc.cluster.local')).toBe(31);
    expect(nameWireLength(`${'a'.repeat(64)}.x`)).toBe(Infinity);
    expect(nameWireLength(Array(128).fill('a').join('.'))).toBe(Infinity); // 257 octets
  });

  it('round-trips a label that contains a dot and keeps the case', () => {
    const q = encodeQuery({ id: 7, name: 'We\\.B.Example', type: TYPE.A });
    const m = parseMessage(q);
    expect(m.questions[0]!.name).toBe('We\\.B.Example');
    expect(m.questions[0]!.key).toBe('we\\.b.example');
  });
});

describe('ip helpers', () => {
  it('parses and formats addresses, including IPv4-mapped IPv6 (a dns2 bug)', () => {
    expect([...parseIP('10.0.0.1')!]).toEqual([10, 0, 0, 1]);
    expect(parseIP('10.0.0.01')).toBeUndefined();
    expect(parseIP('256.0.0.1')).toBeUndefined();
    expect([...parseIP('::ffff:1.2.3.4')!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]);
    expect([...parseIP('fd00::1')!]).toEqual([0xfd, 0, ...Array(13).fill(0), 1]);
    expect(parseIP('1::2::3')).toBeUndefined();
    expect(parseIP('fe80::1%eth0')).toBeUndefined();
    expect(formatIP(parseIP('fd00:0:0:1::5')!)).toBe('fd00:0:0:1::5');
    expect(formatIP(parseIP('2001:db8:0:0:1:0:0:1')!)).toBe('2001:db8::1:0:0:1');
  });

  it('builds and reads reverse names', () => {
    expect(reverseName(parseIP('127.96.0.10')!)).toBe('10.0.96.127.in-addr.arpa');
    expect(formatIP(parseReverse(splitName('10.0.96.127.in-addr.arpa'))!)).toBe('127.96.0.10');
    const v6 = reverseName(parseIP('fd00::1:2')!);
    expect(v6.startsWith('2.0.0.0.1.0.0.0.0.0')).toBe(true);
    expect(formatIP(parseReverse(splitName(v6))!)).toBe('fd00::1:2');
    expect(parseReverse(splitName('96.127.in-addr.arpa'))).toBeUndefined();
  });

  it('reads Pod labels and dashes addresses as CoreDNS', () => {
    expect(formatIP(parsePodLabel('10-244-1-7')!)).toBe('10.244.1.7');
    expect(formatIP(parsePodLabel('fd00--1')!)).toBe('fd00::1');
    expect(parsePodLabel('10-244-1')).toBeUndefined();
    expect(dashedIP('fd00::1')).toBe('fd00--1');
  });

  it('knows CIDR membership and reverse zones', () => {
    const c = parseByteCIDR('127.96.0.0/16')!;
    expect(cidrContains(c, parseIP('127.96.3.4')!)).toBe(true);
    expect(cidrContains(c, parseIP('127.97.3.4')!)).toBe(false);
    expect(reverseZoneOf(c)).toBe('96.127.in-addr.arpa');
    expect(reverseZoneOf(parseByteCIDR('10.0.0.0/12')!)).toBe('10.in-addr.arpa');
    // 27 nibbles: f d 0 0 0 0 1 0, then 19 zeros; listed from the last one.
    expect(reverseZoneOf(parseByteCIDR('fd00:10::/108')!)).toBe(`${Array(19).fill('0').join('.')}.0.1.0.0.0.0.d.f.ip6.arpa`);
  });
});

describe('encoding', () => {
  it('compresses owner names and RDATA names, and they parse back', () => {
    const q = { name: 'web.default.svc.cluster.local', key: 'web.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN };
    const ans: RR[] = [1, 2, 3].map((i) => ({ name: q.name, type: TYPE.A, class: CLASS_IN, ttl: 5, data: new Uint8Array([10, 0, 0, i]) }));
    const soa: RR = {
      name: 'cluster.local',
      type: TYPE.SOA,
      class: CLASS_IN,
      ttl: 5,
      data: ['ns.dns.cluster.local', 'hostmaster.cluster.local', 1, 7200, 1800, 86400, 5],
    };
    const enc = encodeResponse({ aa: true, ra: true, rcode: 0 }, q, ans, [soa], []);
    // Each A record is pointer (2) + fixed (10) + address (4).
    expect(enc.ends[1]! - enc.ends[0]!).toBe(16);
    const m = parseMessage(finalize(enc, { id: 9, rd: true, cd: false }, 65535));
    expect(m.id).toBe(9);
    expect(m.aa && m.qr && m.rd && m.ra).toBe(true);
    expect(m.answers.map((r) => formatIP(r.data as Uint8Array))).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(m.authority[0]!.data).toEqual(['ns.dns.cluster.local', 'hostmaster.cluster.local', 1, 7200, 1800, 86400, 5]);
    // The SOA's owner is a pointer into the question.
    const soaStart = enc.ends[2]!;
    expect(enc.buf[soaStart]! & 0xc0).toBe(0xc0);
  });

  it('never compresses SRV targets (RFC 2782; dns2 compresses them)', () => {
    const q = {
      name: '_http._tcp.web.default.svc.cluster.local',
      key: '_http._tcp.web.default.svc.cluster.local',
      type: TYPE.SRV,
      class: CLASS_IN,
    };
    const target = 'web.default.svc.cluster.local';
    const srv: RR = { name: q.name, type: TYPE.SRV, class: CLASS_IN, ttl: 5, data: [0, 100, 80, target] };
    const extra: RR = { name: target, type: TYPE.A, class: CLASS_IN, ttl: 5, data: new Uint8Array([127, 96, 5, 5]) };
    const enc = encodeResponse({ aa: true, ra: true, rcode: 0 }, q, [srv], [], [extra]);
    // The target is a suffix of the question, so compression would have been possible.
    const rdata = enc.buf.subarray(enc.qEnd + 2 + 10, enc.ends[0]!);
    expect(rdata.subarray(6)).toEqual(wireName(target));
    for (let i = 6; i < rdata.length;) {
      const l = rdata[i]!;
      expect(l & 0xc0).toBe(0);
      if (l === 0) break;
      i += l + 1;
    }
    // Later names may still point at it.
    expect(enc.ends[1]! - enc.ends[0]!).toBe(16);
    const m = parseMessage(finalize(enc, { id: 1, rd: false, cd: false }, 65535));
    expect(m.answers[0]!.data).toEqual([0, 100, 80, target]);
    expect(m.additional[0]!.name).toBe(target);
  });

  it('encodes IPv4-mapped IPv6 in AAAA as the 16 bytes (dns2 garbles them)', () => {
    const q = { name: 'm.example', key: 'm.example', type: TYPE.AAAA, class: CLASS_IN };
    const enc = encodeResponse(
      { aa: false, ra: true, rcode: 0 },
      q,
      [{ name: q.name, type: TYPE.AAAA, class: CLASS_IN, ttl: 5, data: parseIP('::ffff:1.2.3.4')! }],
      [],
      [],
    );
    const m = parseMessage(finalize(enc, { id: 1, rd: false, cd: false }, 65535));
    expect(Buffer.from(m.answers[0]!.data as Uint8Array).toString('hex')).toBe('00000000000000000000ffff01020304');
  });

  it('refuses to encode impossible names', () => {
    const w = new Writer();
    expect(() => w.name(`${'a'.repeat(64)}.x`, true)).toThrow();
    expect(() => w.name(Array(128).fill('a').join('.'), true)).toThrow();
  });
});

describe('parsing', () => {
  it('reads EDNS options by octets: a COOKIE before another option and record (dns2 reads bits)', () => {
    const cookie = option(10, Buffer.from('0102030405060708', 'hex'));
    const ecs = option(8, Buffer.from('0001180a0a0a00'.slice(0, 14), 'hex'));
    const q = Buffer.concat([
      header({ ar: 2 }),
      wireName('web.default.svc.cluster.local'),
      u16(TYPE.A, CLASS_IN),
      opt(4096, Buffer.concat([cookie, ecs]), 0x8000),
    ]);
    // A second additional record after the OPT must still line up.
    const extra = Buffer.concat([
      wireName('x.example'),
      u16(TYPE.A, CLASS_IN),
      Buffer.from([0, 0, 0, 5]),
      u16(4),
      Buffer.from([1, 2, 3, 4]),
    ]);
    const m = parseMessage(Buffer.concat([q, extra]));
    expect(m.edns).toMatchObject({ udpSize: 4096, version: 0, do: true });
    expect(m.edns!.options.map((o) => [o.code, Buffer.from(o.data).toString('hex')])).toEqual([
      [10, '0102030405060708'],
      [8, '0001180a0a0a00'],
    ]);
    expect(m.additional.map((r) => [r.name, formatIP(r.data as Uint8Array)])).toEqual([['x.example', '1.2.3.4']]);
  });

  it('decompresses names inside RDATA', () => {
    // MX whose exchange points at the question name.
    const q = Buffer.concat([header({ flags: 0x8180, an: 1 }), wireName('example.org'), u16(TYPE.MX, CLASS_IN)]);
    const rr = Buffer.concat([u16(0xc00c, TYPE.MX, CLASS_IN), Buffer.from([0, 0, 1, 0]), u16(4, 10, 0xc00c)]);
    const m = parseMessage(Buffer.concat([q, rr]));
    expect(m.answers[0]!.data).toEqual([10, 'example.org']);
  });

  const malformed: [string, Buffer][] = [
    ['no question bytes', header({})],
    ['label past the end', Buffer.concat([header({}), Buffer.from([10, 97, 98])])],
    ['question without type and class', Buffer.concat([header({}), wireName('a.b')])],
    ['forward compression pointer', Buffer.concat([header({}), Buffer.from([0xc0, 0x20]), u16(1, 1)])],
    ['self pointer', Buffer.concat([header({}), Buffer.from([0xc0, 12]), u16(1, 1)])],
    ['pointer loop through labels', Buffer.concat([header({}), Buffer.from([1, 97, 0xc0, 12]), u16(1, 1)])],
    ['extended label type', Buffer.concat([header({}), Buffer.from([0x41, 0, 0]), u16(1, 1)])],
    [
      'name over 255 octets',
      Buffer.concat([header({}), ...Array(5).fill(Buffer.concat([Buffer.from([60]), Buffer.alloc(60, 97)])), Buffer.from([0]), u16(1, 1)]),
    ],
    [
      'two OPT records',
      Buffer.concat([header({ ar: 2 }), wireName('a'), u16(1, 1), opt(1232, Buffer.alloc(0)), opt(1232, Buffer.alloc(0))]),
    ],
    ['OPT in the answer section', Buffer.concat([header({ an: 1 }), wireName('a'), u16(1, 1), opt(1232, Buffer.alloc(0))])],
    [
      'OPT with an owner name',
      Buffer.concat([header({ ar: 1 }), wireName('a'), u16(1, 1), wireName('x'), opt(1232, Buffer.alloc(0)).subarray(1)]),
    ],
    ['EDNS option longer than its record', Buffer.concat([header({ ar: 1 }), wireName('a'), u16(1, 1), opt(1232, u16(10, 20))])],
    [
      'RDATA past the end',
      Buffer.concat([
        header({ an: 1 }),
        wireName('a'),
        u16(1, 1),
        wireName('a'),
        u16(1, 1),
        Buffer.from([0, 0, 0, 1]),
        u16(100),
        Buffer.from([1, 2]),
      ]),
    ],
    ['counts beyond the message', header({ qd: 1, an: 0xffff })],
    [
      'SRV RDATA shorter than its fields',
      Buffer.concat([
        header({ an: 1 }),
        wireName('a'),
        u16(1, 1),
        wireName('a'),
        u16(33, 1),
        Buffer.from([0, 0, 0, 1]),
        u16(3),
        Buffer.from([0, 1, 2]),
      ]),
    ],
  ];

  for (const [what, buf] of malformed) {
    it(`refuses ${what} with FormatError and answers FORMERR`, () => {
      expect(() => parseMessage(buf)).toThrow(FormatError);
      const r = ask(handler(), buf)!;
      expect(r).toBeDefined();
      const m = parseMessage(r);
      expect(m.id).toBe(0x1234);
      expect(m.qr).toBe(true);
      expect(m.rcode).toBe(RCODE.FORMERR);
    });
  }

  it('drops what cannot be answered: shorter than a header, or a response', () => {
    const h = handler();
    expect(ask(h, Buffer.from([1, 2, 3]))).toBeUndefined();
    expect(ask(h, Buffer.alloc(0))).toBeUndefined();
    const resp = encodeQuery({ id: 1, name: 'web.default.svc.cluster.local', type: TYPE.A });
    resp[2]! |= 0x80;
    expect(ask(h, resp)).toBeUndefined();
  });

  it('answers FORMERR to zero or two questions, NOTIMP to other opcodes and zone transfers', () => {
    const h = handler();
    const two = Buffer.concat([header({ qd: 2 }), wireName('a'), u16(1, 1), wireName('b'), u16(1, 1)]);
    expect(parseMessage(ask(h, two)!).rcode).toBe(RCODE.FORMERR);
    expect(parseMessage(ask(h, header({ qd: 0 }))!).rcode).toBe(RCODE.FORMERR);
    const notify = encodeQuery({ id: 3, name: 'cluster.local', type: TYPE.SOA });
    notify[2] = (4 << 3) | 0;
    const r = parseMessage(ask(h, notify)!);
    expect([r.rcode, r.opcode, r.questions[0]!.name]).toEqual([RCODE.NOTIMP, 4, 'cluster.local']);
    expect(parseMessage(ask(h, encodeQuery({ id: 4, name: 'cluster.local', type: TYPE.AXFR }), 'tcp')!).rcode).toBe(RCODE.NOTIMP);
  });
});

describe('EDNS in replies', () => {
  it('echoes an OPT with UDP size 1232 and the DO bit to EDNS queries, none otherwise (dns2 adds none)', () => {
    const h = handler();
    const withEdns = parseMessage(
      ask(h, encodeQuery({ id: 1, name: 'web.default.svc.cluster.local', type: TYPE.A, edns: { udpSize: 4096, do: true } }))!,
    );
    expect(withEdns.edns).toMatchObject({ udpSize: 1232, version: 0, do: true, extRcode: 0 });
    expect(withEdns.answers).toHaveLength(1);
    const plain = parseMessage(ask(h, encodeQuery({ id: 2, name: 'web.default.svc.cluster.local', type: TYPE.A }))!);
    expect(plain.edns).toBeUndefined();
    // Errors too.
    const nx = parseMessage(ask(h, encodeQuery({ id: 3, name: 'nope.default.svc.cluster.local', type: TYPE.A, edns: {} }))!);
    expect(nx.rcode).toBe(RCODE.NXDOMAIN);
    expect(nx.edns?.udpSize).toBe(1232);
  });

  it('answers BADVERS (extended rcode 16, with OPT) to EDNS versions above 0', () => {
    const q = Buffer.concat([
      header({ ar: 1 }),
      wireName('web.default.svc.cluster.local'),
      u16(1, 1),
      opt(1232, Buffer.alloc(0), 0x00010000),
    ]);
    const m = parseMessage(ask(handler(), q)!);
    expect(m.rcode).toBe(RCODE.BADVERS);
    expect(m.edns).toBeDefined();
  });

  it('accepts a query with dig-style COOKIE and answers it', () => {
    const q = encodeQuery({
      id: 5,
      name: 'web.default.svc.cluster.local',
      type: TYPE.A,
      edns: { options: [{ code: 10, data: Buffer.from('a1b2c3d4e5f60708', 'hex') }] },
    });
    const m = parseMessage(ask(handler(), q)!);
    expect(m.rcode).toBe(0);
    expect(m.answers).toHaveLength(1);
  });
});

describe('truncation', () => {
  const q = { name: 'big.example', key: 'big.example', type: TYPE.A, class: CLASS_IN };
  const answers: RR[] = Array.from({ length: 100 }, (_, i) => ({
    name: q.name,
    type: TYPE.A,
    class: CLASS_IN,
    ttl: 5,
    data: new Uint8Array([10, 0, i >> 8, i & 255]),
  }));

  it('limits UDP to 512 without EDNS, else the client size capped at 1232', () => {
    expect(udpLimit(undefined)).toBe(512);
    expect(udpLimit({ udpSize: 4096, extRcode: 0, version: 0, do: false, options: [] })).toBe(1232);
    expect(udpLimit({ udpSize: 100, extRcode: 0, version: 0, do: false, options: [] })).toBe(512);
    expect(udpLimit({ udpSize: 800, extRcode: 0, version: 0, do: false, options: [] })).toBe(800);
  });

  it('cuts at a record boundary and sets TC; the OPT still fits', () => {
    const enc = encodeResponse({ aa: true, ra: true, rcode: 0 }, q, answers, [], []);
    const r = finalize(enc, { id: 1, rd: true, cd: false, edns: { do: false } }, 512);
    expect(r.length).toBeLessThanOrEqual(512);
    const m = parseMessage(r);
    expect(m.tc).toBe(true);
    expect(m.edns).toBeDefined();
    expect(m.answers.length).toBe(Math.floor((512 - 11 - enc.qEnd) / 16));
    const full = parseMessage(finalize(enc, { id: 1, rd: true, cd: false }, 65535));
    expect(full.tc).toBe(false);
    expect(full.answers).toHaveLength(100);
  });

  it('drops additional records without TC (RFC 2181 9)', () => {
    const extra: RR[] = answers.map((a) => ({ ...a, name: 'other.example' }));
    const enc = encodeResponse({ aa: true, ra: true, rcode: 0 }, q, answers.slice(0, 2), [], extra);
    const m = parseMessage(finalize(enc, { id: 1, rd: true, cd: false }, 512));
    expect(m.tc).toBe(false);
    expect(m.answers).toHaveLength(2);
    expect(m.additional.length).toBeGreaterThan(0);
    expect(m.additional.length).toBeLessThan(100);
  });

  it('keeps the client case of the question in cached answers', () => {
    const h = handler();
    ask(h, encodeQuery({ id: 1, name: 'web.default.svc.cluster.local', type: TYPE.A }));
    const m = parseMessage(ask(h, encodeQuery({ id: 2, name: 'WeB.DeFault.SVC.cluster.LOCAL', type: TYPE.A }))!);
    expect(m.questions[0]!.name).toBe('WeB.DeFault.SVC.cluster.LOCAL');
    expect(m.answers[0]!.name).toBe('WeB.DeFault.SVC.cluster.LOCAL');
    expect(h.stats.cacheHits).toBe(1);
  });

  it('builds bare error replies with the question', () => {
    const qb = encodeQuery({ id: 1, name: 'a.b', type: TYPE.A }).subarray(12);
    const m = parseMessage(errorReply({ id: 77, opcode: 0, rd: true, question: qb, edns: { do: false } }, RCODE.SERVFAIL));
    expect([m.id, m.rcode, m.questions[0]!.name, !!m.edns]).toEqual([77, RCODE.SERVFAIL, 'a.b', true]);
  });
});
