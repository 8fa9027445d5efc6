// Large answers: 1,000 records encode, a headless Service with 1,000 endpoints answers A and SRV
// in full, and the cached reply is the same bytes. The timings (the figures quoted at the top of
// src/dns/index.ts) are measured by `npm run bench` (scripts/bench/dns.mjs), not asserted here.
import { describe, it, expect } from 'vitest';
import { ClusterIndex } from '../../src/dns/cluster-index.js';
import { buildAnswer } from '../../src/dns/records.js';
import { QueryHandler } from '../../src/dns/handler.js';
import { CLASS_IN, TYPE, encodeQuery, encodeResponse, finalize, type RR } from '../../src/dns/wire.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

describe('DNS large answers', () => {
  const name = 'big.default.svc.cluster.local';
  const q = { name, key: name, type: TYPE.A, class: CLASS_IN };
  const records = (n: number): RR[] =>
    Array.from({ length: n }, (_, i) => ({
      name,
      type: TYPE.A,
      class: CLASS_IN,
      ttl: 5,
      data: new Uint8Array([127, 244, i >> 8, i & 255]),
    }));

  it('encodes 1 and 1,000 records', () => {
    const one = records(1);
    const thousand = records(1000);
    const small = finalize(encodeResponse({ aa: true, ra: true, rcode: 0 }, q, one, [], []), { id: 1, rd: true, cd: false }, 512);
    const large = finalize(encodeResponse({ aa: true, ra: true, rcode: 0 }, q, thousand, [], []), { id: 1, rd: true, cd: false }, 65535);
    // Header + question (name compressed after its first use) + 16 bytes per compressed A record.
    expect(large.length - small.length).toBe(999 * 16);
  });

  it('builds and encodes a headless Service with 1,000 endpoints, and serves it from the cache', () => {
    const idx = new ClusterIndex();
    idx.upsert('namespaces', { metadata: { name: 'default' } });
    idx.upsert('services', {
      metadata: { namespace: 'default', name: 'big' },
      spec: { type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
    });
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
      const qq = {
        ...q,
        type,
        name: type === TYPE.SRV ? `_http._tcp.${name}` : name,
        key: type === TYPE.SRV ? `_http._tcp.${name}` : name,
      };
      const a = buildAnswer(idx, qq, zone)!;
      return encodeResponse({ aa: true, ra: true, rcode: a.rcode }, qq, a.answer, a.authority, a.additional);
    };
    expect(build(TYPE.A).an).toBe(1000);
    expect(build(TYPE.SRV).an).toBe(1000);
    const h = new QueryHandler({ index: idx, zone });
    const query = encodeQuery({ id: 7, name, type: TYPE.A });
    const first = h.handle(query, 'tcp');
    const cached = h.handle(query, 'tcp');
    expect(Buffer.isBuffer(first) && first.length > 16_000).toBe(true);
    expect(Buffer.compare(cached as Buffer, first as Buffer)).toBe(0);
  });
});
