// The built-in ingress controller as users meet it: a cluster's Deployment, Service and Ingress
// made with kubectl are reached from the host at the address `kubectl get ingress` shows, by host
// and path, over HTTP and HTTPS (the Secret's certificate chosen by SNI); unresolvable backends
// are Warning events; clusters side by side get addresses of their own; a cluster started
// without root listens on 8080/8443. The controller's routing, headers and WebSockets in detail:
// test/integration/ingress-controller.test.ts.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import https from 'node:https';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { CLI } from '../helpers/cli.js';
import { until } from '../helpers/wait.js';
import { loadOrCreatePKI } from '../../src/pki/certs.js';
import { loadBalancerPool } from '../../src/allocators/loadbalancer-pool.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.52';

interface Reply {
  status: number;
  body: string;
}

function get(port: number, host: string, path: string, hostHeader: string, localAddress?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, path, headers: { host: hostHeader }, agent: false, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Waits for the route to answer 200 (the controller sees the objects a moment after kubectl made them). */
async function getOK(port: number, host: string, path: string, hostHeader: string): Promise<Reply> {
  let last: Reply | undefined;
  await until(async () => (last = await get(port, host, path, hostHeader)).status === 200, { timeout: 30_000 });
  return last!;
}

describe('the built-in ingress controller', () => {
  it('serves a Deployment behind a Service at the address kubectl shows, by host and path', async () => {
    const { ingress, config } = tc.cluster;
    expect(ingress?.http).toBeDefined();
    // The last address of the cluster's load-balancer CIDR: its own on this host.
    expect(ingress!.http!.host).toBe(loadBalancerPool(config.loadBalancerCIDR).ingressIP);
    const port = ingress!.http!.port;
    await tc.kubectl([
      'create',
      'deployment',
      'web',
      `--image=${AGNHOST}`,
      '--replicas=2',
      '--',
      '/agnhost',
      'netexec',
      '--http-port=8080',
    ]);
    await tc.kubectl(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']);
    await tc.kubectl(['create', 'ingress', 'web', '--rule=web.test/hostname*=web:80', '--rule=web.test/header=web:80']);
    await tc.kubectl(['rollout', 'status', 'deployment/web', '--timeout=60s']);
    // The class is the default one the cluster made, and the status says where the Ingress is.
    const ing = JSON.parse((await tc.kubectl(['get', 'ingress', 'web', '-o', 'json'])).stdout);
    expect(ing.spec.ingressClassName).toBe('tinykube');
    await tc.kubectl(['wait', '--for=jsonpath={.status.loadBalancer.ingress[0].ip}', 'ingress/web', '--timeout=30s']);
    const row = (await tc.kubectl(['get', 'ingress', 'web', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(row.slice(0, 5)).toEqual(['web', 'tinykube', 'web.test', ingress!.http!.host, '80']);

    const pods = (await tc.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout.split(' ');
    const seen = new Set<string>();
    await until(
      async () => {
        seen.add((await getOK(port, ingress!.http!.host, '/hostname', 'web.test')).body);
        return seen.size === 2;
      },
      { timeout: 30_000 },
    );
    expect([...seen].sort()).toEqual([...pods].sort());
    // Prefix matching is by path element; another host is not routed; an Exact path is exact.
    expect((await get(port, ingress!.http!.host, '/hostnameX', 'web.test')).status).toBe(404);
    expect((await get(port, ingress!.http!.host, '/hostname', 'other.test')).status).toBe(404);
    expect((await get(port, ingress!.http!.host, '/header/x', 'web.test')).status).toBe(404);
    // The backend learns the client's address from X-Forwarded-For, as behind ingress-nginx.
    const xff = await get(port, ingress!.http!.host, '/header?key=X-Forwarded-For', 'web.test', '127.0.0.77');
    expect(xff).toEqual({ status: 200, body: '127.0.0.77' });
  }, 120_000);

  it('serves HTTPS with the certificate of the TLS Secret the Ingress names, by SNI', async () => {
    const { ingress } = tc.cluster;
    const pki = await loadOrCreatePKI(undefined, { ips: [], dns: ['secure.test'] });
    const dir = mkdtempSync(join(tmpdir(), 'tk-ingress-tls-'));
    try {
      const { writeFileSync } = await import('node:fs');
      writeFileSync(join(dir, 'tls.crt'), pki.certPem);
      writeFileSync(join(dir, 'tls.key'), pki.keyPem);
      await tc.kubectl(['create', 'secret', 'tls', 'secure-tls', `--cert=${join(dir, 'tls.crt')}`, `--key=${join(dir, 'tls.key')}`]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await tc.kubectl(['create', 'deployment', 'secure', `--image=${AGNHOST}`, '--', '/agnhost', 'netexec', '--http-port=8080']);
    await tc.kubectl(['expose', 'deployment', 'secure', '--port=8080']);
    await tc.kubectl(['create', 'ingress', 'secure', '--rule=secure.test/*=secure:8080,tls=secure-tls']);
    await tc.kubectl(['rollout', 'status', 'deployment/secure', '--timeout=60s']);
    const { host, port } = ingress!.https!;
    const fetchTLS = () =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = https.request(
          { host, port, path: '/hostname', servername: 'secure.test', headers: { host: 'secure.test' }, ca: pki.caCertPem, agent: false },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (body += c));
            res.on('end', () => resolve({ status: res.statusCode!, body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
    let r: Awaited<ReturnType<typeof fetchTLS>> | undefined;
    // Verified against the Secret's CA: until the controller has the route, it serves its fake
    // certificate, which this client refuses.
    await until(async () => (r = await fetchTLS().catch(() => undefined))?.status === 200, { timeout: 30_000 });
    expect(r!.body).toMatch(/^secure-/);
  }, 120_000);

  it('says when a backend cannot be resolved, in a Warning event on the Ingress', async () => {
    await tc.kubectl(['create', 'ingress', 'broken', '--rule=broken.test/*=nosuch:80']);
    await until(
      async () =>
        (await tc.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=broken'])).stdout.includes('ServiceNotFound'),
      {
        timeout: 30_000,
      },
    );
    const ev = JSON.parse((await tc.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=broken', '-o', 'json'])).stdout)
      .items[0];
    expect(ev).toMatchObject({
      type: 'Warning',
      reason: 'ServiceNotFound',
      message: 'service "default/nosuch" not found',
      source: { component: 'tinykube-ingress' },
      involvedObject: { kind: 'Ingress', name: 'broken', apiVersion: 'networking.k8s.io/v1' },
    });
    const { host, port } = tc.cluster.ingress!.http!;
    expect((await get(port, host, '/', 'broken.test')).status).toBe(503);
  }, 60_000);

  it('gives clusters side by side addresses of their own, and LoadBalancer Services never the ingress one', async () => {
    // A load-balancer CIDR of six addresses: the ingress controller takes the last, Services the five others.
    const other = await startTestCluster({ loadBalancerCIDR: '127.201.0.0/29' });
    try {
      expect(other.cluster.ingress!.http!.host).toBe('127.201.0.6');
      expect(other.cluster.ingress!.http!.host).not.toBe(tc.cluster.ingress!.http!.host);
      for (let i = 0; i < 6; i++) await other.kubectl(['create', 'service', 'loadbalancer', `lb${i}`, '--tcp=5678:8080']);
      const ips = new Set<string>();
      await until(
        async () => {
          const svcs = JSON.parse((await other.kubectl(['get', 'services', '-o', 'json'])).stdout).items;
          ips.clear();
          for (const s of svcs) for (const i of s.status?.loadBalancer?.ingress ?? []) ips.add(i.ip);
          return ips.size === 5;
        },
        { timeout: 30_000 },
      );
      expect([...ips].sort()).toEqual(['127.201.0.1', '127.201.0.2', '127.201.0.3', '127.201.0.4', '127.201.0.5']);
      await until(
        async () =>
          (await other.kubectl(['get', 'events', '--field-selector', 'reason=SyncLoadBalancerFailed'])).stdout.includes('no free IP'),
        {
          timeout: 30_000,
        },
      );
    } finally {
      await other.stop();
    }
  }, 60_000);

  it('listens on 8080 and 8443 in a cluster started without root, and routes there', async () => {
    // As root, the same cluster started as uid 65534 (root binds 80 and 443).
    const asUser = process.getuid?.() === 0;
    if (asUser) expect(spawnSync('setpriv', ['--version']).status).toBe(0);
    const dir = mkdtempSync(join(tmpdir(), 'tk-ingress-user-'));
    spawnSync('chmod', ['777', dir]);
    const kubeconfig = join(dir, 'kubeconfig');
    const args = [CLI, 'up', '--in-memory', '--api-listen', '127.0.0.1:0', '--kubeconfig', kubeconfig, '--dns-upstream', '127.0.0.1:1'];
    const proc = asUser
      ? spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...args], {
          env: { ...process.env, HOME: dir, XDG_RUNTIME_DIR: dir },
        })
      : spawn(process.execPath, args, { env: { ...process.env } });
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    try {
      await until(() => out.includes(' is up in '), { timeout: 30_000 });
      const m = /Ingress {5}http:\/\/([0-9.]+):(\d+), https:\/\/([0-9.]+):(\d+) \(IngressClass tinykube, the default\)/.exec(out);
      expect(m, out).not.toBeNull();
      expect([m![2], m![4]]).toEqual(['8080', '8443']);
      // Nothing routed yet: the controller's own 404 answers there.
      expect((await get(Number(m![2]), m![1]!, '/', 'any.test')).status).toBe(404);
    } finally {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.once('exit', r));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
