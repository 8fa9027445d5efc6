// Many clusters on one host without options (issue 20): disjoint ranges and CAs, each cluster's
// kube-dns and kubernetes Service answer for that cluster only, an explicit range that collides
// with a running cluster's is refused naming it, and nothing is left behind by stop().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { dig } from '../helpers/dns.js';
import { until } from '../helpers/wait.js';
import { parseCIDR } from '../../src/apimachinery/ipnet.js';
import { runningClusters } from '../../src/config/host-registry.js';
import { overlaps } from '../../src/config/slots.js';
import type { RunningCluster } from '../../src/index.js';

const ranges = (c: RunningCluster) => ({
  service: [c.config.serviceCIDR],
  pod: c.config.podCIDR,
  loadBalancer: c.config.loadBalancerCIDR,
  nodePorts: c.config.nodePortRange,
  nodePortAddresses: c.config.nodePortAddresses,
});

/** The fingerprint of the certificate a TLS server on host:port presents. */
function peerCert(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host, port, rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.on('error', reject);
  });
}

describe('four clusters in one process, no options', () => {
  let tcs: TestCluster[] = [];
  beforeAll(async () => {
    tcs = await Promise.all([1, 2, 3, 4].map(() => startTestCluster()));
  });
  afterAll(async () => {
    await Promise.all(tcs.map((t) => t.stop()));
  });

  it('get disjoint service, pod and load-balancer CIDRs and NodePort ranges, and their own CA', () => {
    const cs = tcs.map((t) => t.cluster);
    for (let i = 0; i < cs.length; i++) {
      for (let j = i + 1; j < cs.length; j++) expect(overlaps(ranges(cs[i]!), ranges(cs[j]!)), `${i} and ${j}`).toEqual([]);
    }
    expect(new Set(cs.map((c) => c.slot)).size).toBe(4);
    expect(new Set(cs.map((c) => c.caCert)).size).toBe(4);
    // Every range is on loopback: traffic for them really reaches this host.
    for (const c of cs)
      for (const r of [c.config.serviceCIDR, c.config.podCIDR, c.config.loadBalancerCIDR]) expect(parseCIDR(r)!.text).toMatch(/^127\./);
  });

  it('are in the host registry with their ranges', async () => {
    const reg = await runningClusters();
    for (const t of tcs) {
      const r = reg.find((x) => x.pid === process.pid && x.slot === t.cluster.slot);
      expect(r?.ranges.service).toEqual([t.cluster.config.serviceCIDR]);
      expect(r?.server).toBe(t.cluster.server);
    }
  });

  it("each kube-dns ClusterIP answers with its own cluster's Services", async () => {
    for (const t of tcs) {
      const ns = t.cluster.dns.nameserver!;
      expect(ns, t.cluster.dns.unavailable).toBe(
        (await t.kubectl(['get', 'svc', '-n', 'kube-system', 'kube-dns', '-o', 'jsonpath={.spec.clusterIP}'])).stdout,
      );
      const out = await dig(53, ['+short', `kubernetes.default.svc.${t.cluster.config.clusterDomain}`], ns);
      const kubernetesIP = (await t.kubectl(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
      expect(out.trim()).toBe(kubernetesIP);
    }
  });

  it("each kubernetes ClusterIP:443 presents its own cluster's certificate", async () => {
    for (const t of tcs) {
      const ip = (await t.kubectl(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
      await t.cluster.idle();
      const direct = await peerCert('127.0.0.1', t.cluster.ports.api);
      expect(await until(() => peerCert(ip, 443).catch(() => undefined))).toBe(direct);
    }
    const certs = await Promise.all(tcs.map((t) => peerCert('127.0.0.1', t.cluster.ports.api)));
    expect(new Set(certs).size).toBe(4);
  });

  it('refuses an explicit range that overlaps a running cluster, naming it', async () => {
    const taken = tcs[0]!.cluster.config.serviceCIDR;
    await expect(startTestCluster({ serviceCIDR: taken })).rejects.toThrow(
      new RegExp(
        `^--service-cidr: ${taken.replace(/\./g, '\\.')} overlaps the service CIDR ${taken.replace(/\./g, '\\.')} of the running cluster "tinykube" \\(pid ${process.pid}, in memory\\)`,
      ),
    );
    const podsOfOther = tcs[1]!.cluster.config.podCIDR;
    await expect(startTestCluster({ loadBalancerCIDR: podsOfOther })).rejects.toThrow(
      `--loadbalancer-cidr: ${podsOfOther} overlaps the pod CIDR ${podsOfOther} of the running cluster`,
    );
    const np = tcs[2]!.cluster.config.nodePortRange;
    await expect(startTestCluster({ serviceNodePortRange: `${np.base + 5}-${np.base + 5}` })).rejects.toThrow(
      `--service-node-port-range: ${np.base + 5}-${np.base + 5} overlaps the NodePort range ${np.base}-${np.base + np.size - 1} of the running cluster`,
    );
    // The same NodePorts on another address do not collide; an API-data range (not loopback) neither.
    const apart = await startTestCluster({
      serviceNodePortRange: `${np.base}-${np.base + np.size - 1}`,
      nodePortAddresses: '127.0.0.3/32',
      serviceCIDR: '10.96.0.0/16',
    });
    expect(apart.cluster.config.nodePortRange).toEqual(np);
    await apart.stop();
  });
});

describe('stop()', () => {
  it('leaves no runtime directory behind (TMPDIR, /dev/shm), Pods included', async () => {
    const tc = await startTestCluster();
    await tc.kubectl(['run', 'sleeper', '--image=busybox', '--restart=Never', '--command', '--', 'sleep', '300']);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=20s']);
    const uid = (await tc.kubectl(['get', 'pod', 'sleeper', '-o', 'jsonpath={.metadata.uid}'])).stdout;
    // This cluster's directories: the ones holding its Pod (other test files run clusters meanwhile).
    const holding = (root: string, prefix: string) =>
      readdirSync(root)
        .filter((n) => n.startsWith(prefix) && existsSync(join(root, n, uid)))
        .map((n) => join(root, n));
    const dirs = [...holding(tmpdir(), 'tinykube-pods-'), ...holding('/dev/shm', 'tinykube-')];
    expect(dirs).toHaveLength(2);
    await tc.stop();
    expect(dirs.filter((d) => existsSync(d))).toEqual([]);
  });

  it('of a cluster with a data dir removes its /dev/shm directory too (the Pods stay in the data dir)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tinykube-stop-'));
    try {
      const tc = await startTestCluster({ dataDir });
      await tc.kubectl(['run', 'sleeper', '--image=busybox', '--restart=Never', '--command', '--', 'sleep', '300']);
      await tc.kubectl(['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=20s']);
      const uid = (await tc.kubectl(['get', 'pod', 'sleeper', '-o', 'jsonpath={.metadata.uid}'])).stdout;
      const shm = readdirSync('/dev/shm').filter((n) => n.startsWith('tinykube-') && existsSync(join('/dev/shm', n, uid)));
      expect(shm).toHaveLength(1);
      await tc.stop();
      expect(existsSync(join('/dev/shm', shm[0]!))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a data dir', () => {
  it('keeps the ranges it was made with across restarts, and refuses to start while another cluster holds them', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tinykube-ranges-'));
    try {
      const first = await startTestCluster({ dataDir });
      const made = first.cluster.config;
      const kubernetesIP = (await first.kubectl(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).stdout;
      await first.stop();
      // Whatever slots are free now, the restart keeps its ranges (and the Services their addresses).
      const again = await startTestCluster({ dataDir });
      expect([again.cluster.config.serviceCIDR, again.cluster.config.podCIDR, again.cluster.config.nodePortRange]).toEqual([
        made.serviceCIDR,
        made.podCIDR,
        made.nodePortRange,
      ]);
      expect((await again.kubectl(['get', 'svc', 'kubernetes', '-o', 'jsonpath={.spec.clusterIP}'])).stdout).toBe(kubernetesIP);
      await again.stop();
      // Another cluster takes those ranges meanwhile: the data dir's cluster cannot start.
      const squatter = await startTestCluster({ serviceCIDR: made.serviceCIDR });
      try {
        await expect(startTestCluster({ dataDir })).rejects.toThrow(
          `the data dir's service CIDR (kept from its first start; ${dataDir}): ${made.serviceCIDR} overlaps the service CIDR ${made.serviceCIDR} of the running cluster "tinykube" (pid ${process.pid}, in memory): stop that cluster first`,
        );
      } finally {
        await squatter.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
