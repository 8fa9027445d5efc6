// The cluster DNS server against a running cluster, queried with dig (UDP and TCP) and with
// node's dns.Resolver: every record of the Kubernetes DNS specification, NXDOMAIN vs NODATA with
// the SOA, EDNS sizes, truncation and TCP completion, forwarding to a fake upstream, and changes
// visible on the next query. All DNS traffic stays on loopback: the upstream is a fake on
// 127.0.0.1, and neither dig nor the Resolver is ever pointed at the host's resolvers.
// The server is the cluster's own (startCluster starts it), with the fake as its upstream.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Resolver } from 'node:dns/promises';
import pino from 'pino';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { dig, startFakeUpstream, type FakeUpstream } from '../helpers/dns.js';
import { canBindPrivileged, type DnsServer } from '../../src/dns/index.js';
import { TYPE } from '../../src/dns/wire.js';
import { nthIP } from '../helpers/ranges.js';

const Z = 'cluster.local';
// From the cluster's ranges (its host slot's), once it runs: kube-dns's ClusterIP, and the
// addresses of the hand-made slices (in the load-balancer range, see beforeAll).
let KUBE_DNS = '';
let DB0 = '';
let DB1 = '';
let DB2 = '';
let BIG: string[] = [];
const dashed = (ip: string) => ip.replace(/\./g, '-');

let tc: TestCluster;
let up: FakeUpstream;
let dns: Pick<DnsServer, 'udpPort' | 'tcpPort' | 'addresses' | 'upstreams' | 'clusterDNS'>;
const logLines: string[] = [];
let webIP = '';

interface Dig {
  status: string;
  flags: string[];
  answer: string[];
  authority: string[];
  additional: string[];
  size: number;
  udpSize?: number;
  raw: string;
}

function parseDig(out: string): Dig {
  const section = (name: string) => {
    const m = new RegExp(`;; ${name} SECTION:\\n([\\s\\S]*?)(?:\\n\\n|$)`).exec(out);
    return m
      ? m[1]!
          .split('\n')
          .filter((l) => l && !l.startsWith(';'))
          .map((l) => l.split(/\s+/).join(' '))
      : [];
  };
  return {
    status: /status: (\w+)/.exec(out)?.[1] ?? 'NONE',
    flags: (/;; flags: ([^;]*);/.exec(out)?.[1] ?? '').trim().split(' '),
    answer: section('ANSWER'),
    authority: section('AUTHORITY'),
    additional: section('ADDITIONAL'),
    size: Number(/MSG SIZE\s+rcvd: (\d+)/.exec(out)?.[1] ?? 0),
    udpSize: /; EDNS: version: 0, flags:[^;]*; udp: (\d+)/.exec(out) ? Number(/udp: (\d+)/.exec(out)![1]) : undefined,
    raw: out,
  };
}

const q = async (...args: string[]) => parseDig(await dig(dns.udpPort, args));
const apply = (yaml: string) => tc.kubectl(['apply', '-f', '-'], { input: yaml });
const json = async (...args: string[]) => JSON.parse((await tc.kubectl([...args, '-o', 'json'])).stdout);

function slice(name: string, service: string, endpoints: unknown[], ports: unknown[]): string {
  return JSON.stringify({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'default', labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints,
    ports,
  });
}

beforeAll(async () => {
  up = await startFakeUpstream([
    { name: 'example.com', type: TYPE.A, ttl: 120, data: new Uint8Array([192, 0, 2, 1]) },
    { name: 'fwd.example', type: TYPE.A, ttl: 60, data: new Uint8Array([192, 0, 2, 7]) },
    ...Array.from({ length: 100 }, (_, i) => ({ name: 'big.example', type: TYPE.A, ttl: 300, data: new Uint8Array([192, 0, 2, i + 1]) })),
  ]);
  const logger = pino({ level: 'info' }, { write: (s: string) => void logLines.push(s) });
  // The hand-made slices' addresses lie in the load balancer range (allowed for endpoints, as
  // tinykube's own), apart from the Pod IPs, so a Pod's PTR never meets them.
  tc = await startTestCluster({ dnsUpstream: up.address, logger });
  const c = tc.cluster;
  KUBE_DNS = nthIP(c.config.serviceCIDR, 10);
  const lb = c.config.loadBalancerCIDR;
  [DB0, DB1, DB2] = [1, 2, 3].map((i) => nthIP(lb, 9 * 256 + i)) as [string, string, string];
  BIG = Array.from({ length: 1000 }, (_, i) => nthIP(lb, 16 * 256 + i));
  dns = {
    udpPort: c.ports.dns,
    tcpPort: c.ports.dns,
    addresses: c.dns.addresses,
    upstreams: c.dns.upstreams,
    clusterDNS: { nameserver: c.dns.nameserver, domain: c.config.clusterDomain },
  };

  await apply(`apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  ports: [{name: http, port: 80, protocol: TCP}, {name: metrics, port: 9090, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  ports: [{name: pg, port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: big}
spec:
  clusterIP: None
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: ext}
spec: {type: ExternalName, externalName: example.com}
---
apiVersion: v1
kind: Service
metadata: {name: alias}
spec: {type: ExternalName, externalName: web.default.svc.cluster.local}
`);
  await tc.kubectl(['create', '-f', '-'], {
    input: slice(
      'db-1',
      'db',
      [
        { addresses: [DB0], hostname: 'db-0', conditions: { ready: true } },
        { addresses: [DB1], conditions: { ready: true } },
        { addresses: [DB2], hostname: 'db-2', conditions: { ready: false } },
      ],
      [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    ),
  });
  await tc.kubectl(['create', '-f', '-'], {
    input: slice(
      'big-1',
      'big',
      BIG.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      [{ name: 'http', port: 80, protocol: 'TCP' }],
    ),
  });
  webIP = (await json('get', 'svc', 'web')).spec.clusterIP;
}, 60_000);

afterAll(async () => {
  await tc?.stop();
  await up?.stop();
});

describe('cluster DNS with dig', () => {
  it('reports where it listens and what Pods should use', () => {
    expect(dns.udpPort).toBeGreaterThan(0);
    expect(dns.tcpPort).toBe(dns.udpPort);
    expect(dns.addresses[0]).toBe(`127.0.0.1:${dns.udpPort}`);
    expect(dns.upstreams).toEqual([up.address]);
    expect(dns.clusterDNS.domain).toBe(Z);
  });

  it('also serves on the kube-dns ClusterIP, port 53, when it may (else logs why not)', async () => {
    if (!canBindPrivileged()) {
      expect(dns.addresses).toHaveLength(1);
      expect(dns.clusterDNS.nameserver).toBeUndefined();
      return;
    }
    // The cluster's host slot is its own: nobody else holds its kube-dns address (pod-dns.test.ts
    // covers the case where something does).
    expect(dns.addresses, logLines.filter((l) => l.includes('kube-dns')).join('')).toContain(`${KUBE_DNS}:53`);
    expect(dns.clusterDNS.nameserver).toBe(KUBE_DNS);
    const r = parseDig(await dig(53, [`web.default.svc.${Z}`, 'A'], KUBE_DNS));
    expect(r.answer).toEqual([`web.default.svc.${Z}. 5 IN A ${webIP}`]);
  });

  it('answers ClusterIP A with aa and TTL 5, and NODATA with the SOA for AAAA', async () => {
    const a = await q(`web.default.svc.${Z}`, 'A');
    expect(a.status).toBe('NOERROR');
    expect(a.flags).toEqual(expect.arrayContaining(['qr', 'aa', 'rd', 'ra']));
    expect(a.answer).toEqual([`web.default.svc.${Z}. 5 IN A ${webIP}`]);
    expect(a.udpSize).toBe(1232);
    const aaaa = await q(`web.default.svc.${Z}`, 'AAAA');
    expect([aaaa.status, aaaa.answer]).toEqual(['NOERROR', []]);
    expect(aaaa.authority[0]).toMatch(new RegExp(`^${Z}\\. 5 IN SOA ns\\.dns\\.${Z}\\. hostmaster\\.${Z}\\. \\d+ 7200 1800 86400 5$`));
    expect(aaaa.flags).toContain('aa');
  });

  it('answers NXDOMAIN with the SOA, over UDP and TCP', async () => {
    for (const extra of [[], ['+tcp']]) {
      const r = await q(`nope.default.svc.${Z}`, 'A', ...extra);
      expect(r.status).toBe('NXDOMAIN');
      expect(r.authority[0]).toMatch(/ SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. /);
    }
    expect((await q(`default.svc.${Z}`, 'A')).status).toBe('NOERROR');
    expect((await q(`nons.svc.${Z}`, 'A')).status).toBe('NXDOMAIN');
  });

  it('answers SRV for named ports, PTR, TXT dns-version, SOA and NS', async () => {
    const srv = await q(`_http._tcp.web.default.svc.${Z}`, 'SRV');
    expect(srv.answer).toEqual([`_http._tcp.web.default.svc.${Z}. 5 IN SRV 0 100 80 web.default.svc.${Z}.`]);
    expect(srv.additional).toEqual([`web.default.svc.${Z}. 5 IN A ${webIP}`]);
    const all = await q(`web.default.svc.${Z}`, 'SRV', '+tcp');
    expect(all.answer.map((l) => l.split(' ').slice(4).join(' '))).toEqual([
      `0 50 80 web.default.svc.${Z}.`,
      `0 50 9090 web.default.svc.${Z}.`,
    ]);
    const rev = webIP.split('.').reverse().join('.');
    expect((await q('-x', webIP)).answer).toEqual([`${rev}.in-addr.arpa. 5 IN PTR web.default.svc.${Z}.`]);
    expect((await q(`dns-version.${Z}`, 'TXT')).answer).toEqual([`dns-version.${Z}. 28800 IN TXT "1.1.0"`]);
    expect((await q(Z, 'SOA')).answer[0]).toMatch(/ SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. \d+ 7200 1800 86400 5$/);
    const ns = await q(Z, 'NS');
    expect(ns.answer).toEqual([`${Z}. 5 IN NS ns.dns.${Z}.`]);
    expect(ns.additional).toEqual([`ns.dns.${Z}. 5 IN A ${KUBE_DNS}`]);
  });

  it('answers headless Services from ready endpoints: A, hostnames, SRV per endpoint, PTR', async () => {
    const a = await q(`db.default.svc.${Z}`, 'A');
    expect(a.answer.sort()).toEqual([`db.default.svc.${Z}. 5 IN A ${DB0}`, `db.default.svc.${Z}. 5 IN A ${DB1}`].sort());
    expect((await q(`db-0.db.default.svc.${Z}`, 'A')).answer).toEqual([`db-0.db.default.svc.${Z}. 5 IN A ${DB0}`]);
    expect((await q(`db-2.db.default.svc.${Z}`, 'A')).status).toBe('NXDOMAIN');
    expect((await q(`db.default.svc.${Z}`, 'AAAA')).status).toBe('NOERROR');
    const srv = await q(`_pg._tcp.db.default.svc.${Z}`, 'SRV', '+tcp');
    expect(srv.answer.sort()).toEqual([
      `_pg._tcp.db.default.svc.${Z}. 5 IN SRV 0 50 5432 ${dashed(DB1)}.db.default.svc.${Z}.`,
      `_pg._tcp.db.default.svc.${Z}. 5 IN SRV 0 50 5432 db-0.db.default.svc.${Z}.`,
    ]);
    expect(srv.additional.sort()).toEqual([`${dashed(DB1)}.db.default.svc.${Z}. 5 IN A ${DB1}`, `db-0.db.default.svc.${Z}. 5 IN A ${DB0}`]);
    expect((await q('-x', DB0)).answer).toEqual([`${DB0.split('.').reverse().join('.')}.in-addr.arpa. 5 IN PTR db-0.db.default.svc.${Z}.`]);
  });

  it('answers ExternalName with a CNAME, resolved in the zone or upstream', async () => {
    const ext = await q(`ext.default.svc.${Z}`, 'A');
    expect(ext.answer).toEqual([`ext.default.svc.${Z}. 5 IN CNAME example.com.`, 'example.com. 120 IN A 192.0.2.1']);
    expect((await q(`ext.default.svc.${Z}`, 'CNAME')).answer).toEqual([`ext.default.svc.${Z}. 5 IN CNAME example.com.`]);
    expect((await q(`alias.default.svc.${Z}`, 'A')).answer).toEqual([
      `alias.default.svc.${Z}. 5 IN CNAME web.default.svc.${Z}.`,
      `web.default.svc.${Z}. 5 IN A ${webIP}`,
    ]);
  });

  it('answers Pod names, IPv4 and IPv6', async () => {
    expect((await q(`10-1-2-3.default.pod.${Z}`, 'A')).answer).toEqual([`10-1-2-3.default.pod.${Z}. 5 IN A 10.1.2.3`]);
    expect((await q(`fd00--1.default.pod.${Z}`, 'AAAA')).answer).toEqual([`fd00--1.default.pod.${Z}. 5 IN AAAA fd00::1`]);
    expect((await q(`10-1-2-3.default.pod.${Z}`, 'AAAA')).status).toBe('NOERROR');
  });

  it('truncates to 512 without EDNS and to min(client, 1232) with it; TCP completes 1,000 endpoints', async () => {
    const name = `big.default.svc.${Z}`;
    const plain = await q(name, 'A', '+noedns', '+ignore');
    expect(plain.flags).toContain('tc');
    expect(plain.size).toBeLessThanOrEqual(512);
    expect(plain.udpSize).toBeUndefined();
    const small = await q(name, 'A', '+bufsize=800', '+ignore');
    expect(small.flags).toContain('tc');
    expect(small.size).toBeLessThanOrEqual(800);
    expect(small.size).toBeGreaterThan(700);
    const large = await q(name, 'A', '+bufsize=4096', '+ignore');
    expect(large.flags).toContain('tc');
    expect(large.size).toBeLessThanOrEqual(1232);
    expect(large.size).toBeGreaterThan(1100);
    expect(large.udpSize).toBe(1232);
    const tcp = await q(name, 'A', '+tcp');
    expect(tcp.flags).not.toContain('tc');
    expect(tcp.answer).toHaveLength(1000);
    // dig's own fallback: UDP, TC, then TCP.
    const auto = await q(name, 'A');
    expect(auto.raw).toContain('Truncated, retrying in TCP mode');
    expect(auto.answer).toHaveLength(1000);
    const srv = await q(`_http._tcp.${name}`, 'SRV', '+tcp');
    expect(srv.answer).toHaveLength(1000);
    const target = / SRV 0 1 80 (\d+-\d+-\d+-\d+)\.big\.default\.svc\.cluster\.local\.$/.exec(srv.answer[0]!);
    expect(target, srv.answer[0]).not.toBeNull();
    expect(BIG).toContain(target![1]!.replace(/-/g, '.'));
  });

  it('answers queries with a client COOKIE (EDNS option parsing)', async () => {
    const r = await q(`web.default.svc.${Z}`, 'A', '+cookie=0102030405060708');
    expect(r.answer).toHaveLength(1);
  });

  it('forwards other names to the upstream, over TCP when it truncates, and caches', async () => {
    up.queries = [];
    const a = await q('fwd.example', 'A');
    expect(a.answer).toEqual(['fwd.example. 60 IN A 192.0.2.7']);
    expect(a.flags).not.toContain('aa');
    await q('FWD.example', 'A');
    expect(up.queries).toEqual(['fwd.example 1 udp']);
    up.truncateUdp = true;
    try {
      const big = await q('big.example', 'A', '+tcp');
      expect(big.answer).toHaveLength(100);
      expect(up.queries).toEqual(['fwd.example 1 udp', 'big.example 1 udp', 'big.example 1 tcp']);
    } finally {
      up.truncateUdp = false;
    }
    expect((await q('missing.example', 'A')).status).toBe('NXDOMAIN');
    // Reverse names outside the cluster's ranges go upstream too.
    await q('-x', '192.0.2.55');
    expect(up.queries).toContain('55.2.0.192.in-addr.arpa 12 udp');
  });

  it('sees a new Service, a readiness change and a deletion on the next query', async () => {
    await apply('apiVersion: v1\nkind: Service\nmetadata: {name: fresh}\nspec: {ports: [{port: 80}]}\n');
    const ip = (await json('get', 'svc', 'fresh')).spec.clusterIP;
    expect((await q(`fresh.default.svc.${Z}`, 'A')).answer).toEqual([`fresh.default.svc.${Z}. 5 IN A ${ip}`]);
    await tc.kubectl([
      'patch',
      'endpointslice',
      'db-1',
      '--type=json',
      '-p',
      JSON.stringify([{ op: 'replace', path: '/endpoints/0/conditions/ready', value: false }]),
    ]);
    expect((await q(`db.default.svc.${Z}`, 'A')).answer).toEqual([`db.default.svc.${Z}. 5 IN A ${DB1}`]);
    await tc.kubectl(['delete', 'svc', 'fresh']);
    expect((await q(`fresh.default.svc.${Z}`, 'A')).status).toBe('NXDOMAIN');
  });

  it('answers for Pods selected by a headless Service (endpoints from the EndpointSlice controller) and their PTR', async () => {
    await apply(`apiVersion: v1
kind: Service
metadata: {name: pets}
spec:
  clusterIP: None
  selector: {app: pet}
  ports: [{name: http, port: 80}]
---
apiVersion: v1
kind: Pod
metadata: {name: pet-1, labels: {app: pet}}
spec:
  containers: [{name: c, image: x, command: [sleep, "1000"]}]
`);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/pet-1', '--timeout=20s']);
    const podIP = (await json('get', 'pod', 'pet-1')).status.podIP;
    const r = await until(async () => {
      const x = await q(`pets.default.svc.${Z}`, 'A');
      return x.answer.length ? x : undefined;
    });
    expect(r.answer).toEqual([`pets.default.svc.${Z}. 5 IN A ${podIP}`]);
    const dashed = podIP.replaceAll('.', '-');
    expect((await q('-x', podIP)).answer).toEqual([
      `${podIP.split('.').reverse().join('.')}.in-addr.arpa. 5 IN PTR ${dashed}.pets.default.svc.${Z}.`,
    ]);
    await tc.kubectl(['delete', 'pod', 'pet-1', '--grace-period=0', '--force']);
  });
});

describe('cluster DNS with node:dns', () => {
  const resolver = () => {
    const r = new Resolver({ timeout: 3000, tries: 1 });
    r.setServers([`127.0.0.1:${dns.udpPort}`]);
    return r;
  };

  it('resolves A, SRV, PTR, TXT, CNAME and follows truncation to TCP', async () => {
    const r = resolver();
    expect(await r.resolve4(`web.default.svc.${Z}`)).toEqual([webIP]);
    expect(await r.resolveSrv(`_http._tcp.web.default.svc.${Z}`)).toEqual([
      { name: `web.default.svc.${Z}`, port: 80, priority: 0, weight: 100 },
    ]);
    expect(await r.reverse(webIP)).toEqual([`web.default.svc.${Z}`]);
    expect(await r.resolveTxt(`dns-version.${Z}`)).toEqual([['1.1.0']]);
    expect(await r.resolveCname(`ext.default.svc.${Z}`)).toEqual(['example.com']);
    expect((await r.resolve4(`big.default.svc.${Z}`)).length).toBe(1000);
    expect(await r.resolve4('example.com')).toEqual(['192.0.2.1']);
    expect(await r.resolve6(`fd00--2.default.pod.${Z}`)).toEqual(['fd00::2']);
  });

  it('tells NXDOMAIN (ENOTFOUND) from NODATA (ENODATA)', async () => {
    const r = resolver();
    await expect(r.resolve4(`nope.default.svc.${Z}`)).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(r.resolve6(`web.default.svc.${Z}`)).rejects.toMatchObject({ code: 'ENODATA' });
    const soa = await r.resolveSoa(Z);
    expect(soa).toMatchObject({
      nsname: `ns.dns.${Z}`,
      hostmaster: `hostmaster.${Z}`,
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minttl: 5,
    });
  });
});
