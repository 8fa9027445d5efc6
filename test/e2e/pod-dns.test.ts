// Pods resolve cluster names with their ordinary system resolver (glibc's getent): through the
// cluster DNS server when it holds the kube-dns address on port 53 (root here), and through the
// Service names tinykube writes into the Pod's /etc/hosts when it cannot (a second cluster whose
// kube-dns address something else already holds), with an event that says so. kube-dns's
// EndpointSlice points at the server. A second cluster cannot take the first one's service CIDR.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import dgram from 'node:dgram';
import net from 'node:net';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { nthIP } from '../helpers/ranges.js';
import { canBindPrivileged } from '../../src/dns/index.js';

// The second cluster's service CIDR is pinned so that this file can take its kube-dns address
// before it starts: 127.94.0.0/16 is no host slot's and no other test file's.
const SQUATTED_CIDR = '127.94.0.0/16';
const SQUATTED_DNS = nthIP(SQUATTED_CIDR, 10);
const privileged = canBindPrivileged();

/** Holds ip:53 for UDP and TCP, as another DNS server on the host would (it answers nothing). */
async function holdPort53(ip: string): Promise<() => Promise<void>> {
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind({ address: ip, port: 53, exclusive: true }, () => resolve());
  });
  const tcp = net.createServer((c) => c.destroy());
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(53, ip, () => resolve());
    });
  } catch (err) {
    udp.close();
    throw err;
  }
  return () => new Promise<void>((resolve) => udp.close(() => tcp.close(() => resolve())));
}

let owner: TestCluster;
let second: TestCluster;
let release: (() => Promise<void>) | undefined;
/** The owner's kube-dns ClusterIP: the tenth address of its (host slot's) service CIDR. */
let KUBE_DNS = '';
beforeAll(async () => {
  owner = await startTestCluster();
  KUBE_DNS = nthIP(owner.cluster.config.serviceCIDR, 10);
  // Port 53 of the second cluster's kube-dns address is taken before it starts (without the
  // privilege for port 53, neither this test nor the cluster can have it).
  if (privileged) release = await holdPort53(SQUATTED_DNS);
  second = await startTestCluster({ serviceCIDR: SQUATTED_CIDR });
}, 30_000);
afterAll(async () => {
  await second?.stop();
  await owner?.stop();
  await release?.();
});

const SERVICES = `apiVersion: v1
kind: Namespace
metadata: {name: other}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: other}
spec: {ports: [{port: 5432}]}
`;

/** A Pod that resolves names with getent, then waits for `late` to appear. */
const RESOLVER_POD = `apiVersion: v1
kind: Pod
metadata: {name: resolver}
spec:
  containers:
  - name: c
    image: x
    command: [sh, -c, 'getent hosts web; getent hosts db.other; getent hosts kubernetes.default.svc.cluster.local; grep -v "^#" /etc/resolv.conf | tr "\\n" " "; echo; until getent hosts late; do sleep 0.1; done; echo found-late; sleep 1000']
`;

async function logsUntil(tc: TestCluster, pattern: RegExp): Promise<string> {
  return until(async () => {
    const r = await tc.kubectl(['logs', 'resolver'], { allowFail: true });
    return pattern.test(r.stdout) ? r.stdout : undefined;
  }, 15_000);
}

const ipOf = async (tc: TestCluster, name: string, ns = 'default') =>
  JSON.parse((await tc.kubectl(['get', 'svc', name, '-n', ns, '-o', 'json'])).stdout).spec.clusterIP as string;

describe('DNS for Pods', () => {
  it('kube-dns has EndpointSlice and Endpoints pointing at the server', async () => {
    const port = owner.cluster.ports.dns;
    const slice = JSON.parse((await owner.kubectl(['get', 'endpointslice', 'kube-dns', '-n', 'kube-system', '-o', 'json'])).stdout);
    expect(slice.metadata.labels['kubernetes.io/service-name']).toBe('kube-dns');
    expect(slice.endpoints).toEqual([{ addresses: ['127.0.0.1'], conditions: { ready: true, serving: true, terminating: false } }]);
    expect(slice.ports).toEqual([
      { name: 'dns', port, protocol: 'UDP' },
      { name: 'dns-tcp', port, protocol: 'TCP' },
    ]);
    const row = (await owner.kubectl(['get', 'endpoints', 'kube-dns', '-n', 'kube-system', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(row[1]).toBe(`127.0.0.1:${port},127.0.0.1:${port}`);
    const svc = JSON.parse((await owner.kubectl(['get', 'svc', 'kube-dns', '-n', 'kube-system', '-o', 'json'])).stdout);
    expect(svc.spec.clusterIP).toBe(KUBE_DNS);
    expect(svc.spec.ports.map((p: { name: string; port: number; protocol: string }) => `${p.name}:${p.port}/${p.protocol}`)).toEqual([
      'dns:53/UDP',
      'dns-tcp:53/TCP',
    ]);
    // The DNS server holds kube-dns's ClusterIP:53 itself: the proxy leaves it alone (no listener,
    // no ListenFailed event).
    if (owner.cluster.dns.nameserver === KUBE_DNS) {
      expect((await owner.cluster.proxy!.listeners()).failed.filter((l) => l.service === 'kube-system/kube-dns')).toEqual([]);
      expect((await owner.cluster.proxy!.listeners()).open.filter((l) => l.service === 'kube-system/kube-dns')).toEqual([]);
      const ev = JSON.parse(
        (await owner.kubectl(['get', 'events', '-n', 'kube-system', '--field-selector', 'involvedObject.name=kube-dns', '-o', 'json']))
          .stdout,
      ).items;
      expect(ev.map((e: { reason: string }) => e.reason)).not.toContain('ListenFailed');
    }
  });

  it('a ClusterFirst Pod resolves short, cross-namespace and full names through the cluster DNS', async () => {
    await owner.kubectl(['apply', '-f', '-'], { input: SERVICES });
    await owner.kubectl(['apply', '-f', '-'], { input: RESOLVER_POD });
    const web = await ipOf(owner, 'web');
    const db = await ipOf(owner, 'db', 'other');
    const out = await logsUntil(owner, /nameserver/);
    expect(out).toMatch(new RegExp(`^${web.replace(/\./g, '\\.')}\\s+web\\.default\\.svc\\.cluster\\.local`, 'm'));
    expect(out).toMatch(new RegExp(`^${db.replace(/\./g, '\\.')}\\s+db\\.other\\.svc\\.cluster\\.local`, 'm'));
    expect(out).toMatch(
      new RegExp(
        `^${nthIP(owner.cluster.config.serviceCIDR, 1).replace(/\./g, '\\.')}\\s+kubernetes\\.default\\.svc\\.cluster\\.local`,
        'm',
      ),
    );
    if (privileged) {
      expect(owner.cluster.dns.nameserver).toBe(KUBE_DNS);
      expect(out).toContain(`search default.svc.cluster.local svc.cluster.local cluster.local`);
      expect(out).toContain(`nameserver ${KUBE_DNS}`);
      expect(out).toContain('options ndots:5');
    }
    // A Service created later resolves at once (no cache to wait out: TTL 5 s applies to answers).
    await owner.kubectl(['create', 'service', 'clusterip', 'late', '--tcp=80']);
    await logsUntil(owner, /found-late/);
  }, 30_000);

  it('a second cluster with the same service CIDR is refused, naming the running one', async () => {
    const taken = owner.cluster.config.serviceCIDR;
    await expect(startTestCluster({ serviceCIDR: taken })).rejects.toThrow(
      `--service-cidr: ${taken} overlaps the service CIDR ${taken} of the running cluster "tinykube" (pid ${process.pid}, in memory): choose another range, or leave it out to get a free one`,
    );
  });

  it('without port 53, the Pod finds the Services in its /etc/hosts, kept current, and an event says why', async () => {
    expect(second.cluster.config.serviceCIDR).toBe(SQUATTED_CIDR);
    expect(second.cluster.dns.nameserver).toBeUndefined();
    await second.kubectl(['apply', '-f', '-'], { input: SERVICES });
    await second.kubectl(['apply', '-f', '-'], { input: RESOLVER_POD });
    const web = await ipOf(second, 'web');
    const db = await ipOf(second, 'db', 'other');
    const out = await logsUntil(second, /nameserver/);
    expect(out).toMatch(new RegExp(`^${web.replace(/\./g, '\\.')}\\s+web\\.default\\.svc\\.cluster\\.local`, 'm'));
    expect(out).toMatch(new RegExp(`^${db.replace(/\./g, '\\.')}\\s+db\\.other\\.svc\\.cluster\\.local`, 'm'));
    expect(out).not.toContain(`nameserver ${SQUATTED_DNS}`);
    const ev = await until(async () => {
      const r = JSON.parse(
        (await second.kubectl(['get', 'events', '--field-selector', 'reason=ClusterDNSUnavailable', '-o', 'json'])).stdout,
      ).items;
      return r[0];
    });
    expect(ev.type).toBe('Warning');
    expect(ev.involvedObject.name).toBe('resolver');
    expect(ev.message).toContain(privileged ? `cannot listen on ${SQUATTED_DNS}:53: address already in use` : 'port 53 needs root');
    expect(ev.message).toContain('/etc/hosts');
    // The hosts file follows the Services.
    await second.kubectl(['create', 'service', 'clusterip', 'late', '--tcp=80']);
    await logsUntil(second, /found-late/);
  }, 30_000);
});
