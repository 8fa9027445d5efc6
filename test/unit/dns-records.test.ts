// The answer builder (src/dns/records.ts) per record type, against an index fed with objects as
// the store would deliver them, plus the handler's cache invalidation on changes.
import { describe, it, expect, beforeEach } from 'vitest';
import { ClusterIndex } from '../../src/dns/cluster-index.js';
import { buildAnswer, type ZoneConfig } from '../../src/dns/records.js';
import { QueryHandler } from '../../src/dns/handler.js';
import { parseByteCIDR, type ByteCIDR } from '../../src/dns/ip.js';
import { CLASS_IN, RCODE, TYPE, encodeQuery, parseMessage, asciiLower } from '../../src/dns/wire.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import { rrText } from '../helpers/dns.js';

const T = TYPE;
const ownNets = ['127.96.0.0/16', 'fd00:96::/108', '127.244.0.0/16'].map((c) => parseByteCIDR(c) as ByteCIDR);
const CFG: ZoneConfig = { zone: 'cluster.local', ttl: 5, ownNets };

const ns = (name: string): KubeObject => ({ metadata: { name } });
const svc = (name: string, spec: Record<string, unknown>, namespace = 'default'): KubeObject => ({ metadata: { namespace, name }, spec });
const clusterIP = (name: string, ips: string[], ports: unknown[] = [{ name: 'http', port: 80, protocol: 'TCP' }], namespace = 'default') =>
  svc(name, { type: 'ClusterIP', clusterIP: ips[0], clusterIPs: ips, ports }, namespace);
const headless = (name: string, ports: unknown[] = [{ name: 'http', port: 80, protocol: 'TCP' }], extra: Record<string, unknown> = {}) =>
  svc(name, { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], ports, ...extra });
const slice = (
  name: string,
  service: string,
  endpoints: unknown[],
  ports: unknown[] | null = [{ name: 'http', port: 8080, protocol: 'TCP' }],
  addressType = 'IPv4',
): KubeObject => ({
  metadata: { namespace: 'default', name, labels: { 'kubernetes.io/service-name': service } },
  addressType,
  endpoints,
  ...(ports ? { ports } : {}),
});
const ep = (ip: string, o: { ready?: boolean | null; hostname?: string } = {}) => ({
  addresses: [ip],
  ...(o.hostname ? { hostname: o.hostname } : {}),
  conditions: o.ready === null ? {} : { ready: o.ready ?? true },
});
const pod = (name: string, ip: string, o: { hostNetwork?: boolean; phase?: string; namespace?: string } = {}): KubeObject => ({
  metadata: { namespace: o.namespace ?? 'default', name },
  spec: { hostNetwork: o.hostNetwork },
  status: { phase: o.phase ?? 'Running', podIP: ip, podIPs: [{ ip }] },
});

let idx: ClusterIndex;

function q(name: string, type: number, cfg: ZoneConfig = CFG, klass = CLASS_IN) {
  const a = buildAnswer(idx, { name, key: asciiLower(name), type, class: klass }, cfg);
  if (!a) return undefined;
  return {
    rcode: a.rcode,
    answer: a.answer.map((r) => rrText(r)),
    authority: a.authority.map((r) => rrText(r, false)),
    additional: a.additional.map((r) => rrText(r)),
    chase: a.chase,
  };
}

const SOA = (zone = 'cluster.local') => `${zone} SOA ns.dns.${zone} hostmaster.${zone} ${idx.serial()} 7200 1800 86400 5`;
const nodata = () => ({ rcode: RCODE.NOERROR, answer: [], authority: [SOA()], additional: [] });
const nxdomain = () => ({ rcode: RCODE.NXDOMAIN, answer: [], authority: [SOA()], additional: [] });

beforeEach(() => {
  idx = new ClusterIndex();
  for (const n of ['default', 'kube-system', 'other']) idx.upsert('namespaces', ns(n));
  idx.upsert(
    'services',
    clusterIP(
      'kube-dns',
      ['127.96.0.10'],
      [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
      'kube-system',
    ),
  );
  idx.upsert('services', clusterIP('web', ['127.96.5.5']));
});

describe('zone apex and schema version', () => {
  it('answers dns-version TXT "1.1.0" with TTL 28800, NODATA for other types', () => {
    expect(q('dns-version.cluster.local', T.TXT)).toMatchObject({ rcode: 0, answer: ['dns-version.cluster.local 28800 TXT "1.1.0"'] });
    expect(q('dns-version.cluster.local', T.A)).toMatchObject(nodata());
  });

  it('answers the SOA as CoreDNS (ns.dns, hostmaster, 7200 1800 86400, minimum = TTL)', () => {
    expect(q('cluster.local', T.SOA)!.answer).toEqual([
      `cluster.local 5 SOA ns.dns.cluster.local hostmaster.cluster.local ${idx.serial()} 7200 1800 86400 5`,
    ]);
    expect(q('cluster.local', T.A)).toMatchObject(nodata());
  });

  it('names the kube-dns ClusterIP as the zone name server', () => {
    expect(q('cluster.local', T.NS)).toMatchObject({
      answer: ['cluster.local 5 NS ns.dns.cluster.local'],
      additional: ['ns.dns.cluster.local 5 A 127.96.0.10'],
    });
    expect(q('ns.dns.cluster.local', T.A)!.answer).toEqual(['ns.dns.cluster.local 5 A 127.96.0.10']);
    expect(q('ns.dns.cluster.local', T.AAAA)).toMatchObject(nodata());
  });

  it('uses the configured TTL for records and the SOA (capped at 300 for the SOA itself)', () => {
    expect(q('web.default.svc.cluster.local', T.A, { ...CFG, ttl: 30 })!.answer).toEqual(['web.default.svc.cluster.local 30 A 127.96.5.5']);
    const a = buildAnswer(
      idx,
      { name: 'x.default.svc.cluster.local', key: 'x.default.svc.cluster.local', type: T.A, class: 1 },
      { ...CFG, ttl: 600 },
    )!;
    expect([a.authority[0]!.ttl, (a.authority[0]!.data as number[])[6]]).toEqual([300, 600]);
  });
});

describe('NXDOMAIN and NODATA', () => {
  it('follows CoreDNS for the names above Services', () => {
    expect(q('svc.cluster.local', T.A)).toMatchObject(nodata());
    expect(q('pod.cluster.local', T.A)).toMatchObject(nodata());
    expect(q('default.svc.cluster.local', T.A)).toMatchObject(nodata());
    expect(q('default.pod.cluster.local', T.A)).toMatchObject(nodata());
    expect(q('missing.svc.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('web.missing.svc.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('foo.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('nope.default.svc.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('a.b.c.web.default.svc.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('dns.cluster.local', T.A)).toMatchObject(nodata());
  });

  it('answers NODATA to AAAA for an IPv4-only Service (glibc asks AAAA first)', () => {
    expect(q('web.default.svc.cluster.local', T.AAAA)).toMatchObject(nodata());
    expect(q('web.default.svc.cluster.local', T.TXT)).toMatchObject(nodata());
    expect(q('web.default.svc.cluster.local', T.ANY)).toMatchObject(nodata());
  });

  it('matches names case-insensitively and keeps the asked case in owner names', () => {
    expect(q('WEB.Default.SVC.Cluster.Local', T.A)!.answer).toEqual(['WEB.Default.SVC.Cluster.Local 5 A 127.96.5.5']);
  });

  it('refuses other classes in the zone and leaves other names to the forwarder', () => {
    expect(q('web.default.svc.cluster.local', T.A, CFG, 3)!.rcode).toBe(RCODE.REFUSED);
    expect(q('example.com', T.A)).toBeUndefined();
    expect(q('cluster.local.example.com', T.A)).toBeUndefined();
    expect(q('local', T.A)).toBeUndefined();
  });

  it('serves another cluster domain', () => {
    const cfg = { ...CFG, zone: 'k8s.internal' };
    expect(q('web.default.svc.k8s.internal', T.A, cfg)!.answer).toEqual(['web.default.svc.k8s.internal 5 A 127.96.5.5']);
    expect(q('web.default.svc.cluster.local', T.A, cfg)).toBeUndefined();
  });
});

describe('ClusterIP Services', () => {
  it('answers A, and AAAA for IPv6 ClusterIPs (dual stack)', () => {
    idx.upsert('services', clusterIP('dual', ['127.96.7.7', 'fd00:96::7']));
    expect(q('dual.default.svc.cluster.local', T.A)!.answer).toEqual(['dual.default.svc.cluster.local 5 A 127.96.7.7']);
    expect(q('dual.default.svc.cluster.local', T.AAAA)!.answer).toEqual(['dual.default.svc.cluster.local 5 AAAA fd00:96::7']);
    expect(q('_http._tcp.dual.default.svc.cluster.local', T.SRV)).toMatchObject({
      answer: ['_http._tcp.dual.default.svc.cluster.local 5 SRV 0 100 80 dual.default.svc.cluster.local'],
      additional: ['dual.default.svc.cluster.local 5 A 127.96.7.7', 'dual.default.svc.cluster.local 5 AAAA fd00:96::7'],
    });
  });

  it('answers SRV for named ports: priority 0, weight 100 split evenly, target not the port name', () => {
    idx.upsert(
      'services',
      clusterIP(
        'multi',
        ['127.96.8.8'],
        [
          { name: 'http', port: 80, protocol: 'TCP' },
          { name: 'metrics', port: 9090, protocol: 'TCP' },
          { port: 7000, protocol: 'UDP' },
        ],
      ),
    );
    expect(q('_http._tcp.multi.default.svc.cluster.local', T.SRV)).toMatchObject({
      rcode: 0,
      answer: ['_http._tcp.multi.default.svc.cluster.local 5 SRV 0 100 80 multi.default.svc.cluster.local'],
      additional: ['multi.default.svc.cluster.local 5 A 127.96.8.8'],
    });
    // The Service name itself: every port, as CoreDNS (an unnamed one too).
    expect(q('multi.default.svc.cluster.local', T.SRV)!.answer).toEqual([
      'multi.default.svc.cluster.local 5 SRV 0 33 80 multi.default.svc.cluster.local',
      'multi.default.svc.cluster.local 5 SRV 0 33 9090 multi.default.svc.cluster.local',
      'multi.default.svc.cluster.local 5 SRV 0 33 7000 multi.default.svc.cluster.local',
    ]);
    expect(q('_HTTP._TCP.multi.default.svc.cluster.local', T.SRV)!.answer).toHaveLength(1);
    expect(q('_http._udp.multi.default.svc.cluster.local', T.SRV)).toMatchObject(nxdomain());
    expect(q('_http._tcp.multi.default.svc.cluster.local', T.A)!.answer).toEqual([
      '_http._tcp.multi.default.svc.cluster.local 5 A 127.96.8.8',
    ]);
    expect(q('_http._tcp.multi.default.svc.cluster.local', T.TXT)).toMatchObject(nodata());
    // `_tcp.<svc>` has names below it: NODATA; no named UDP port: NXDOMAIN.
    expect(q('_tcp.multi.default.svc.cluster.local', T.SRV)).toMatchObject(nodata());
    expect(q('_udp.multi.default.svc.cluster.local', T.SRV)).toMatchObject(nxdomain());
    expect(q('http.tcp.multi.default.svc.cluster.local', T.SRV)).toMatchObject(nxdomain());
  });

  it('answers PTR for ClusterIPs, IPv4 and IPv6', () => {
    idx.upsert('services', clusterIP('dual', ['127.96.7.7', 'fd00:96::7']));
    expect(q('5.5.96.127.in-addr.arpa', T.PTR)!.answer).toEqual(['5.5.96.127.in-addr.arpa 5 PTR web.default.svc.cluster.local']);
    const v6 = '7.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.6.9.0.0.0.0.d.f.ip6.arpa';
    expect(q(v6, T.PTR)!.answer).toEqual([`${v6} 5 PTR dual.default.svc.cluster.local`]);
    expect(q('5.5.96.127.in-addr.arpa', T.A)!.rcode).toBe(0);
    expect(q('5.5.96.127.in-addr.arpa', T.A)!.answer).toEqual([]);
  });

  it('answers NXDOMAIN for unknown addresses of the cluster ranges, and forwards others', () => {
    const a = q('99.99.96.127.in-addr.arpa', T.PTR)!;
    expect(a.rcode).toBe(RCODE.NXDOMAIN);
    expect(a.authority[0]).toMatch(/^96\.127\.in-addr\.arpa SOA ns\.dns\.96\.127\.in-addr\.arpa hostmaster\.96\.127\.in-addr\.arpa /);
    expect(q('8.8.8.8.in-addr.arpa', T.PTR)).toBeUndefined();
    expect(q('96.127.in-addr.arpa', T.SOA)).toBeUndefined();
  });

  it('sees changes at once: a new Service, a deleted one, a new ClusterIP', () => {
    expect(q('late.default.svc.cluster.local', T.A)!.rcode).toBe(RCODE.NXDOMAIN);
    idx.upsert('services', clusterIP('late', ['127.96.9.9']));
    expect(q('late.default.svc.cluster.local', T.A)!.answer).toEqual(['late.default.svc.cluster.local 5 A 127.96.9.9']);
    expect(q('9.9.96.127.in-addr.arpa', T.PTR)!.answer).toHaveLength(1);
    idx.remove('services', clusterIP('late', ['127.96.9.9']));
    expect(q('late.default.svc.cluster.local', T.A)!.rcode).toBe(RCODE.NXDOMAIN);
    expect(q('9.9.96.127.in-addr.arpa', T.PTR)!.rcode).toBe(RCODE.NXDOMAIN);
  });
});

describe('headless Services', () => {
  beforeEach(() => {
    idx.upsert('services', headless('db', [{ name: 'pg', port: 5432, protocol: 'TCP' }]));
    idx.upsert(
      'discovery.k8s.io/endpointslices',
      slice(
        'db-abc',
        'db',
        [
          ep('127.244.0.1', { hostname: 'db-0' }),
          ep('127.244.0.2'),
          ep('127.244.0.3', { ready: false }),
          ep('127.244.0.4', { ready: null }),
        ],
        [{ name: 'pg', port: 5432, protocol: 'TCP' }],
      ),
    );
  });

  it('answers one A per ready endpoint (a nil ready counts as ready)', () => {
    expect(q('db.default.svc.cluster.local', T.A)!.answer).toEqual([
      'db.default.svc.cluster.local 5 A 127.244.0.1',
      'db.default.svc.cluster.local 5 A 127.244.0.2',
      'db.default.svc.cluster.local 5 A 127.244.0.4',
    ]);
    expect(q('db.default.svc.cluster.local', T.AAAA)).toMatchObject(nodata());
  });

  it('answers hostname records, dashed-address names, SRV per endpoint, and PTR', () => {
    expect(q('db-0.db.default.svc.cluster.local', T.A)!.answer).toEqual(['db-0.db.default.svc.cluster.local 5 A 127.244.0.1']);
    expect(q('127-244-0-2.db.default.svc.cluster.local', T.A)!.answer).toEqual([
      '127-244-0-2.db.default.svc.cluster.local 5 A 127.244.0.2',
    ]);
    expect(q('127-244-0-3.db.default.svc.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('db-0.db.default.svc.cluster.local', T.AAAA)).toMatchObject(nodata());
    expect(q('_pg._tcp.db.default.svc.cluster.local', T.SRV)).toMatchObject({
      answer: [
        '_pg._tcp.db.default.svc.cluster.local 5 SRV 0 33 5432 db-0.db.default.svc.cluster.local',
        '_pg._tcp.db.default.svc.cluster.local 5 SRV 0 33 5432 127-244-0-2.db.default.svc.cluster.local',
        '_pg._tcp.db.default.svc.cluster.local 5 SRV 0 33 5432 127-244-0-4.db.default.svc.cluster.local',
      ],
      additional: [
        'db-0.db.default.svc.cluster.local 5 A 127.244.0.1',
        '127-244-0-2.db.default.svc.cluster.local 5 A 127.244.0.2',
        '127-244-0-4.db.default.svc.cluster.local 5 A 127.244.0.4',
      ],
    });
    expect(q('db-0.db.default.svc.cluster.local', T.SRV)!.answer).toEqual([
      'db-0.db.default.svc.cluster.local 5 SRV 0 100 5432 db-0.db.default.svc.cluster.local',
    ]);
    expect(q('1.0.244.127.in-addr.arpa', T.PTR)!.answer).toEqual(['1.0.244.127.in-addr.arpa 5 PTR db-0.db.default.svc.cluster.local']);
    expect(q('2.0.244.127.in-addr.arpa', T.PTR)!.answer).toEqual([
      '2.0.244.127.in-addr.arpa 5 PTR 127-244-0-2.db.default.svc.cluster.local',
    ]);
    expect(q('3.0.244.127.in-addr.arpa', T.PTR)!.rcode).toBe(RCODE.NXDOMAIN);
  });

  it('is NXDOMAIN without a ready endpoint, for every type', () => {
    idx.upsert('discovery.k8s.io/endpointslices', slice('db-abc', 'db', [ep('127.244.0.1', { ready: false })]));
    expect(q('db.default.svc.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('db.default.svc.cluster.local', T.AAAA)).toMatchObject(nxdomain());
    expect(q('_pg._tcp.db.default.svc.cluster.local', T.SRV)).toMatchObject(nxdomain());
    idx.remove('discovery.k8s.io/endpointslices', slice('db-abc', 'db', []));
    expect(q('db.default.svc.cluster.local', T.A)).toMatchObject(nxdomain());
  });

  it('serves not-ready endpoints when the Service publishes them', () => {
    idx.upsert('services', headless('db', [{ name: 'pg', port: 5432, protocol: 'TCP' }], { publishNotReadyAddresses: true }));
    expect(q('db.default.svc.cluster.local', T.A)!.answer).toHaveLength(4);
  });

  it('merges slices, both families, and dedups addresses', () => {
    idx.upsert(
      'discovery.k8s.io/endpointslices',
      slice('db-v6', 'db', [ep('fd00:244::1', { hostname: 'db-0' })], [{ name: 'pg', port: 5432, protocol: 'TCP' }], 'IPv6'),
    );
    idx.upsert(
      'discovery.k8s.io/endpointslices',
      slice('db-dup', 'db', [ep('127.244.0.1')], [{ name: 'pg', port: 5432, protocol: 'TCP' }]),
    );
    expect(q('db.default.svc.cluster.local', T.A)!.answer).toHaveLength(3);
    expect(q('db.default.svc.cluster.local', T.AAAA)!.answer).toEqual(['db.default.svc.cluster.local 5 AAAA fd00:244::1']);
    expect(q('db-0.db.default.svc.cluster.local', T.AAAA)!.answer).toEqual(['db-0.db.default.svc.cluster.local 5 AAAA fd00:244::1']);
  });

  it('answers addresses but no SRV for slices without ports', () => {
    idx.upsert('services', headless('noports', []));
    idx.upsert('discovery.k8s.io/endpointslices', slice('noports-1', 'noports', [ep('127.244.1.1')], null));
    expect(q('noports.default.svc.cluster.local', T.A)!.answer).toEqual(['noports.default.svc.cluster.local 5 A 127.244.1.1']);
    expect(q('noports.default.svc.cluster.local', T.SRV)).toMatchObject(nodata());
  });

  it('gives endpoint names to ClusterIP Services too (CoreDNS)', () => {
    idx.upsert('discovery.k8s.io/endpointslices', slice('web-1', 'web', [ep('127.244.2.2')]));
    expect(q('127-244-2-2.web.default.svc.cluster.local', T.A)!.answer).toEqual([
      '127-244-2-2.web.default.svc.cluster.local 5 A 127.244.2.2',
    ]);
    expect(q('web.default.svc.cluster.local', T.A)!.answer).toEqual(['web.default.svc.cluster.local 5 A 127.96.5.5']);
  });

  it('builds 1,000 endpoints with weight 1 and no duplicates', () => {
    idx.upsert('services', headless('big'));
    const eps = Array.from({ length: 1000 }, (_, i) => ep(`127.244.${10 + (i >> 8)}.${i & 255}`));
    idx.upsert('discovery.k8s.io/endpointslices', slice('big-1', 'big', eps.slice(0, 500), [{ name: 'http', port: 80, protocol: 'TCP' }]));
    idx.upsert('discovery.k8s.io/endpointslices', slice('big-2', 'big', eps.slice(500), [{ name: 'http', port: 80, protocol: 'TCP' }]));
    expect(q('big.default.svc.cluster.local', T.A)!.answer).toHaveLength(1000);
    const srv = q('_http._tcp.big.default.svc.cluster.local', T.SRV)!;
    expect(srv.answer).toHaveLength(1000);
    expect(srv.answer[0]).toMatch(/ SRV 0 1 80 127-244-10-0\.big\./);
    expect(srv.additional).toHaveLength(1000);
  });
});

describe('ExternalName Services', () => {
  beforeEach(() => {
    idx.upsert('services', svc('ext', { type: 'ExternalName', externalName: 'www.Example.com.' }));
    idx.upsert('services', svc('alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }));
    idx.upsert('services', svc('ipext', { type: 'ExternalName', externalName: '10.1.2.3' }));
  });

  it('answers the CNAME, and asks the server to resolve a target outside the zone', () => {
    expect(q('ext.default.svc.cluster.local', T.A)).toMatchObject({
      rcode: 0,
      answer: ['ext.default.svc.cluster.local 5 CNAME www.example.com'],
      chase: { name: 'www.example.com', type: T.A },
    });
    expect(q('ext.default.svc.cluster.local', T.CNAME)).toMatchObject({
      answer: ['ext.default.svc.cluster.local 5 CNAME www.example.com'],
      chase: undefined,
    });
    expect(q('ext.default.svc.cluster.local', T.AAAA)!.chase).toEqual({ name: 'www.example.com', type: T.AAAA });
  });

  it('follows a target inside the zone', () => {
    expect(q('alias.default.svc.cluster.local', T.A)!.answer).toEqual([
      'alias.default.svc.cluster.local 5 CNAME web.default.svc.cluster.local',
      'web.default.svc.cluster.local 5 A 127.96.5.5',
    ]);
    idx.upsert('services', svc('dangling', { type: 'ExternalName', externalName: 'gone.default.svc.cluster.local' }));
    expect(q('dangling.default.svc.cluster.local', T.A)).toMatchObject({
      rcode: RCODE.NXDOMAIN,
      answer: ['dangling.default.svc.cluster.local 5 CNAME gone.default.svc.cluster.local'],
    });
  });

  it('is NXDOMAIN for address targets and names below it', () => {
    expect(q('ipext.default.svc.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('x.ext.default.svc.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('_http._tcp.ext.default.svc.cluster.local', T.SRV)).toMatchObject(nxdomain());
  });
});

describe('Pods', () => {
  it('answers a-b-c-d.<ns>.pod.<zone> and the IPv6 form (pods insecure)', () => {
    expect(q('10-244-0-5.default.pod.cluster.local', T.A)!.answer).toEqual(['10-244-0-5.default.pod.cluster.local 5 A 10.244.0.5']);
    expect(q('10-244-0-5.default.pod.cluster.local', T.AAAA)).toMatchObject(nodata());
    expect(q('fd00--5.default.pod.cluster.local', T.AAAA)!.answer).toEqual(['fd00--5.default.pod.cluster.local 5 AAAA fd00::5']);
    expect(q('web.default.pod.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('10-244-0-5.missing.pod.cluster.local', T.A)).toMatchObject(nxdomain());
    expect(q('x.10-244-0-5.default.pod.cluster.local', T.A)).toMatchObject(nxdomain());
  });

  it('answers PTR for running Pod IPs, not host-network or finished Pods', () => {
    idx.upsert('pods', pod('p1', '127.244.3.1'));
    idx.upsert('pods', pod('p2', '127.244.3.2', { hostNetwork: true }));
    idx.upsert('pods', pod('p3', '127.244.3.3', { phase: 'Succeeded' }));
    expect(q('1.3.244.127.in-addr.arpa', T.PTR)!.answer).toEqual(['1.3.244.127.in-addr.arpa 5 PTR 127-244-3-1.default.pod.cluster.local']);
    expect(q('2.3.244.127.in-addr.arpa', T.PTR)!.rcode).toBe(RCODE.NXDOMAIN);
    expect(q('3.3.244.127.in-addr.arpa', T.PTR)!.rcode).toBe(RCODE.NXDOMAIN);
    idx.remove('pods', pod('p1', '127.244.3.1'));
    expect(q('1.3.244.127.in-addr.arpa', T.PTR)!.rcode).toBe(RCODE.NXDOMAIN);
  });

  it('prefers the endpoint name over the Pod name for an endpoint address', () => {
    idx.upsert('pods', pod('db-0', '127.244.0.1'));
    idx.upsert('services', headless('db'));
    idx.upsert('discovery.k8s.io/endpointslices', slice('db-1', 'db', [ep('127.244.0.1', { hostname: 'db-0' })]));
    expect(q('1.0.244.127.in-addr.arpa', T.PTR)!.answer).toEqual(['1.0.244.127.in-addr.arpa 5 PTR db-0.db.default.svc.cluster.local']);
  });
});

describe('handler cache', () => {
  const ask = (h: QueryHandler, name: string, type: number) => {
    const r = h.handle(encodeQuery({ id: 1, name, type }), 'udp');
    if (!Buffer.isBuffer(r)) throw new Error('expected a synchronous answer');
    return parseMessage(r);
  };

  it('is invalidated by a change to what the answer was built from, and only by that', () => {
    const h = new QueryHandler({ index: idx, zone: CFG });
    idx.upsert('services', headless('db'));
    idx.upsert('discovery.k8s.io/endpointslices', slice('db-1', 'db', [ep('127.244.0.1')]));
    expect(ask(h, 'db.default.svc.cluster.local', T.A).answers).toHaveLength(1);
    expect(ask(h, 'db.default.svc.cluster.local', T.A).answers).toHaveLength(1);
    expect(h.stats.cacheHits).toBe(1);
    // Another Service changes: still a hit.
    idx.upsert('services', clusterIP('web', ['127.96.5.6']));
    ask(h, 'db.default.svc.cluster.local', T.A);
    expect(h.stats.cacheHits).toBe(2);
    // Readiness changes: the next query sees it.
    idx.upsert('discovery.k8s.io/endpointslices', slice('db-1', 'db', [ep('127.244.0.1', { ready: false }), ep('127.244.0.9')]));
    const m = ask(h, 'db.default.svc.cluster.local', T.A);
    expect(m.answers.map((r) => [...(r.data as Uint8Array)].join('.'))).toEqual(['127.244.0.9']);
    expect(h.stats.cacheHits).toBe(2);
  });

  it('follows CNAME dependencies and namespace changes', () => {
    const h = new QueryHandler({ index: idx, zone: CFG });
    idx.upsert('services', svc('alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }));
    expect(ask(h, 'alias.default.svc.cluster.local', T.A).answers).toHaveLength(2);
    idx.upsert('services', clusterIP('web', ['127.96.5.6']));
    expect([...(ask(h, 'alias.default.svc.cluster.local', T.A).answers[1]!.data as Uint8Array)]).toEqual([127, 96, 5, 6]);
    expect(ask(h, 'new.svc.cluster.local', T.A).rcode).toBe(RCODE.NXDOMAIN);
    idx.upsert('namespaces', ns('new'));
    expect(ask(h, 'new.svc.cluster.local', T.A).rcode).toBe(RCODE.NOERROR);
  });
});
