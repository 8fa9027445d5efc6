// Encode and answer-build times (the figures quoted at the top of src/dns/index.ts). The goals
// are < 1 ms to build and encode the answer of a headless Service with 1,000 endpoints, and a
// cached answer at the cost of a copy; the assertions leave room for a busy shared machine, the
// printed medians are the measurement.
import { describe, it, expect } from 'vitest';
import { ClusterIndex } from '../../src/dns/cluster-index.js';
import { buildAnswer } from '../../src/dns/records.js';
import { QueryHandler } from '../../src/dns/handler.js';
import { CLASS_IN, TYPE, encodeQuery, encodeResponse, finalize, type RR } from '../../src/dns/wire.js';
import type { KubeObject } from '../../src/resources/types.js';

function median(fn: () => void, runs: number): number {
  for (let i = 0; i < Math.min(50, runs); i++) fn(); // warm up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

const fmt = (ms: number) => (ms < 0.1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(3)} ms`);

describe('DNS performance', () => {
  const name = 'big.default.svc.cluster.local';
  const q = { name, key: name, type: TYPE.A, class: CLASS_IN };
  const records = (n: number): RR[] => Array.from({ length: n }, (_, i) => ({ name, type: TYPE.A, class: CLASS_IN, ttl: 5, data: new Uint8Array([127, 244, i >> 8, i & 255]) }));

  it('encodes 1 and 1,000 records', () => {
    const one = records(1);
    const thousand = records(1000);
    const t1 = median(() => finalize(encodeResponse({ aa: true, ra: true, rcode: 0 }, q, one, [], []), { id: 1, rd: true, cd: false }, 512), 2000);
    const t1000 = median(() => finalize(encodeResponse({ aa: true, ra: true, rcode: 0 }, q, thousand, [], []), { id: 1, rd: true, cd: false }, 65535), 200);
    console.log(`encode: 1 record ${fmt(t1)}, 1,000 records ${fmt(t1000)}`);
    expect(t1000).toBeLessThan(5);
  });

  it('builds and encodes a headless Service with 1,000 endpoints, and serves it from the cache', () => {
    const idx = new ClusterIndex();
    idx.upsert('namespaces', { metadata: { name: 'default' } });
    idx.upsert('services', { metadata: { namespace: 'default', name: 'big' }, spec: { type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } });
    for (let s = 0; s < 10; s++) {
      idx.upsert('discovery.k8s.io/endpointslices', {
        metadata: { namespace: 'default', name: `big-${s}`, labels: { 'kubernetes.io/service-name': 'big' } },
        addressType: 'IPv4',
        endpoints: Array.from({ length: 100 }, (_, i) => ({ addresses: [`127.244.${s}.${i}`], conditions: { ready: true } })),
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      } as KubeObject);
    }
    const zone = { zone: 'cluster.local', ttl: 5, ownNets: [] };
    const build = (type: number) => {
      const qq = { ...q, type, name: type === TYPE.SRV ? `_http._tcp.${name}` : name, key: type === TYPE.SRV ? `_http._tcp.${name}` : name };
      const a = buildAnswer(idx, qq, zone)!;
      return encodeResponse({ aa: true, ra: true, rcode: a.rcode }, qq, a.answer, a.authority, a.additional);
    };
    expect(build(TYPE.A).an).toBe(1000);
    expect(build(TYPE.SRV).an).toBe(1000);
    const tA = median(() => build(TYPE.A), 200);
    const tSRV = median(() => build(TYPE.SRV), 100);
    const h = new QueryHandler({ index: idx, zone });
    const query = encodeQuery({ id: 7, name, type: TYPE.A });
    h.handle(query, 'tcp');
    const tCached = median(() => h.handle(query, 'tcp'), 2000);
    const tCachedUdp = median(() => h.handle(query, 'udp'), 2000);
    console.log(`headless 1,000 endpoints: build+encode A ${fmt(tA)}, SRV (+1,000 additional) ${fmt(tSRV)}; cached reply TCP ${fmt(tCached)}, UDP (truncated) ${fmt(tCachedUdp)}`);
    expect(tA).toBeLessThan(5);
    expect(tCached).toBeLessThan(1);
  });
});
