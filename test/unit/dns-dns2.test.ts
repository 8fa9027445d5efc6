// Why the DNS server does not run on dns2 (see the comment at the top of src/dns/index.ts): each
// bug listed in shared/reference/packaging-sea-and-dns2.md reproduced against the pinned dns2
// (a devDependency, 3.0.0), next to the same case through our codec. When dns2 changes, these
// tests say which reasons still hold.
import { describe, it, expect } from 'vitest';
import { Packet } from 'dns2';
import { CLASS_IN, TYPE, encodeQuery, encodeResponse, finalize, parseMessage, type RR } from '../../src/dns/wire.js';
import { parseIP } from '../../src/dns/ip.js';
import { ClusterIndex } from '../../src/dns/cluster-index.js';
import { QueryHandler } from '../../src/dns/handler.js';

// dns2's types lack most of what is used here (Packet.RCODE, record fields): one loose alias.
const P = Packet as any;

function dns2Response(answers: Record<string, unknown>[], question: { name: string; type: number }): Buffer {
  const p = new P();
  p.header = { id: 1, qr: 1, aa: 1, rd: 1 };
  p.questions.push({ ...question, class: 1 });
  for (const a of answers) p.answers.push({ class: 1, ttl: 5, ...a });
  return p.toBuffer();
}

function ours(answers: RR[], question: { name: string; type: number }): Buffer {
  const q = { ...question, key: question.name, class: CLASS_IN };
  return finalize(encodeResponse({ aa: true, ra: false, rcode: 0 }, q, answers, [], []), { id: 1, rd: true, cd: false }, 65535);
}

describe('dns2 3.0.0 bugs, and our codec on the same input', () => {
  it('EDNS: an unknown option (COOKIE) is skipped by bits, so the next option is misread', () => {
    const cookie = Buffer.from('000a0008a1b2c3d4e5f60708', 'hex');
    const ecs = Buffer.from('0008000700011800' + '0a0a0a', 'hex');
    const q = encodeQuery({ id: 1, name: 'web.default.svc.cluster.local', type: TYPE.A, edns: { options: [] } });
    // Rewrite the OPT's RDATA: COOKIE then ECS (10.10.10.0/24).
    const rdata = Buffer.concat([cookie, ecs]);
    const withOpts = Buffer.concat([q.subarray(0, q.length - 2), Buffer.from([rdata.length >> 8, rdata.length & 0xff]), rdata]);
    const theirs = P.parse(withOpts);
    const opt = theirs.additionals.find((r: { type: number }) => r?.type === 41);
    const theirEcs = (opt?.rdata ?? []).find((o: { ednsCode: number }) => o.ednsCode === 8);
    expect(theirEcs?.ip).not.toBe('10.10.10.0');
    const m = parseMessage(withOpts);
    expect(m.edns!.options.map((o) => o.code)).toEqual([10, 8]);
    expect(Buffer.from(m.edns!.options[1]!.data).toString('hex')).toBe('00011800' + '0a0a0a');
  });

  it('encoding is quadratic in the number of records', () => {
    const time = (enc: () => unknown, runs: number) => {
      enc();
      const t = process.hrtime.bigint();
      for (let i = 0; i < runs; i++) enc();
      return Number(process.hrtime.bigint() - t) / 1e6 / runs;
    };
    const name = 'big.default.svc.cluster.local';
    const theirs = (n: number) => () =>
      dns2Response(
        Array.from({ length: n }, (_, i) => ({ name, type: 1, address: `10.0.0.${i % 250}` })),
        { name, type: 1 },
      );
    const mine = (n: number) => () =>
      ours(
        Array.from({ length: n }, (_, i) => ({ name, type: TYPE.A, class: CLASS_IN, ttl: 5, data: new Uint8Array([10, 0, 0, i % 250]) })),
        { name, type: TYPE.A },
      );
    const d20 = time(theirs(20), 10);
    const d60 = time(theirs(60), 5);
    const d400 = time(theirs(400), 1);
    const o1 = time(mine(1), 200);
    const o60 = time(mine(60), 200);
    const o1000 = time(mine(1000), 50);
    console.log(
      `dns2: 20 records ${d20.toFixed(2)} ms, 60 ${d60.toFixed(2)} ms, 400 ${d400.toFixed(1)} ms; ours: 1 record ${(o1 * 1000).toFixed(1)} µs, 60 ${(o60 * 1000).toFixed(1)} µs, 1,000 ${o1000.toFixed(3)} ms`,
    );
    // Twenty times the records, far more than twenty times the time.
    expect(d400 / d20).toBeGreaterThan(35);
    expect(o1000).toBeLessThan(d60);
  });

  it('SRV targets are name-compressed (RFC 2782 forbids it)', () => {
    const name = '_http._tcp.web.default.svc.cluster.local';
    const target = 'web.default.svc.cluster.local';
    const theirs = dns2Response([{ name, type: 33, priority: 0, weight: 100, port: 80, target }], { name, type: 33 });
    // Their SRV RDATA ends in a 2-byte pointer into the question.
    expect(theirs[theirs.length - 2]! & 0xc0).toBe(0xc0);
    const mine = ours([{ name, type: TYPE.SRV, class: CLASS_IN, ttl: 5, data: [0, 100, 80, target] }], { name, type: TYPE.SRV });
    expect(mine.subarray(mine.length - target.length - 2)).toEqual(
      Buffer.from(`\x03web\x07default\x03svc\x07cluster\x05local\x00`, 'latin1'),
    );
  });

  it('IPv4-mapped IPv6 is encoded wrong in AAAA', () => {
    const name = 'm.example';
    const theirs = dns2Response([{ name, type: 28, address: '::ffff:1.2.3.4' }], { name, type: 28 });
    const want = '00000000000000000000ffff01020304';
    expect(theirs.subarray(theirs.length - 16).toString('hex')).not.toBe(want);
    const mine = ours([{ name, type: TYPE.AAAA, class: CLASS_IN, ttl: 5, data: parseIP('::ffff:1.2.3.4')! }], { name, type: TYPE.AAAA });
    expect(mine.subarray(mine.length - 16).toString('hex')).toBe(want);
  });

  it('no OPT in the response to an EDNS query, and malformed packets parse without an error', () => {
    const q = encodeQuery({ id: 1, name: 'web.default.svc.cluster.local', type: TYPE.A, edns: { udpSize: 4096 } });
    const theirs = P.createResponseFromRequest(P.parse(q)).toBuffer();
    expect(theirs.readUInt16BE(10)).toBe(0); // ARCOUNT: no OPT
    // An OPT whose option overruns its record: dns2 drops it silently and returns a "good" packet.
    const bad = Buffer.concat([q.subarray(0, q.length - 2), Buffer.from([0, 4, 0, 10, 0, 99])]);
    const parsed = P.parse(bad);
    expect(parsed.questions).toHaveLength(1);
    expect(() => parseMessage(bad)).toThrow();
    const idx = new ClusterIndex();
    const h = new QueryHandler({ index: idx, zone: { zone: 'cluster.local', ttl: 5, ownNets: [] } });
    const reply = h.handle(bad, 'udp') as Buffer;
    expect(reply[3]! & 0x0f).toBe(1); // FORMERR
    const good = parseMessage(h.handle(q, 'udp') as Buffer);
    expect(good.edns?.udpSize).toBe(1232);
  });
});
