// The service proxy against a running cluster with real Pods (local node processes serving TCP and
// UDP on their Pod IPs) and real clients: ClusterIP, NodePort, load-balancer IP and externalIP
// listeners, spreading, affinity, readiness, the terminating fallback, traffic policies, Pod
// deletion under load, rejects, UDP flows, a large transfer, half-close, many concurrent
// connections, listener failures with their events, and the health answers.
import { requireDef } from '../../src/registry/kinds.js';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { api } from '../helpers/http.js';
import { inCIDR, nthIP } from '../helpers/ranges.js';
import { silentLogger } from '../../src/base/log.js';
import { eventRecorder } from '../../src/controllers/events.js';

import { allResourceDefs } from '../../src/registry/kinds.js';
import { startServiceProxy, type ServiceProxy } from '../../src/proxy/index.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

/** The large transfer: 256 MiB keeps CI quick; the proxy has no size limit (1 GiB measured the same way). */
const LARGE_TRANSFER_BYTES = 256 * 2 ** 20;
const CHUNK = 2 ** 20;

// Every Pod runs this: 8080 writes "<pod> <peer address>\n" and echoes until the client ends;
// 8081 hashes everything it gets and answers "<pod> <bytes> <sha256>" after the client's FIN;
// UDP 8082 answers "<pod> <peer addr:port> <datagram>". SIGTERM stops accepting and lets open
// connections finish, as a well-behaved server does.
const SERVER = `
const net = require('net'), dgram = require('dgram'), crypto = require('crypto');
const ip = process.env.POD_IP, name = process.env.POD_NAME;
const hello = net.createServer({ allowHalfOpen: true }, (s) => {
  s.on('error', () => {});
  s.write(name + ' ' + s.remoteAddress + '\\n');
  s.pipe(s);
});
hello.listen({ host: ip, port: 8080, backlog: 2048 });
const sink = net.createServer({ allowHalfOpen: true }, (s) => {
  s.on('error', () => {});
  const h = crypto.createHash('sha256');
  let n = 0;
  s.on('data', (d) => { h.update(d); n += d.length; });
  s.on('end', () => s.end(name + ' ' + n + ' ' + h.digest('hex')));
});
sink.listen(8081, ip);
const u = dgram.createSocket('udp4');
u.on('message', (m, r) => u.send(name + ' ' + r.address + ':' + r.port + ' ' + m, r.port, r.address));
u.bind(8082, ip);
process.on('SIGTERM', () => { hello.close(); sink.close(); u.close(); });
`;

let tc: TestCluster;
let proxy: ServiceProxy;
const podIPs: Record<string, string> = {};

const pod = (name: string, labels: Record<string, string>, ready = true) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, labels },
  spec: {
    terminationGracePeriodSeconds: 3,
    containers: [
      {
        name: 'srv',
        image: 'local/node',
        command: [process.execPath, '-e', SERVER],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        ],
        ports: [
          { name: 'hello', containerPort: 8080 },
          { name: 'sink', containerPort: 8081 },
          { name: 'udp', containerPort: 8082, protocol: 'UDP' },
        ],
        // A Pod that never passes its probe (nothing listens on 9) must get no traffic.
        readinessProbe: { tcpSocket: { port: ready ? 8080 : 9 }, periodSeconds: 1 },
      },
    ],
  },
});

const post = async (path: string, body: object) => {
  const r = await api(tc.cluster, 'POST', path, { body });
  if (r.status >= 300) throw new Error(`POST ${path}: ${r.status} ${r.text}`);
  return r.json();
};
const patch = async (path: string, body: object) => {
  const r = await api(tc.cluster, 'PATCH', path, { body, contentType: 'application/merge-patch+json' });
  if (r.status >= 300) throw new Error(`PATCH ${path}: ${r.status} ${r.text}`);
  return r.json();
};
const get = async (path: string) => (await api(tc.cluster, 'GET', path)).json();
const createService = (name: string, spec: object) => post('/api/v1/namespaces/default/services', { metadata: { name }, spec });
const createSlice = (name: string, service: string, endpoints: object[], ports: object[] = [{ name: '', port: 8080, protocol: 'TCP' }]) =>
  post('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', {
    metadata: { name, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    endpoints,
    ports,
  });
const eventsFor = (name: string) =>
  tc.cluster.store.listObjects('events', 'default').filter((e) => (e.involvedObject as { name: string }).name === name) as (KubeObject & {
    reason: string;
    type: string;
    message: string;
    source: { component: string };
  })[];

/** Connects, reads the first line "<pod> <peer>", ends. */
function hello(host: string, port: number, localAddress?: string): Promise<{ pod: string; peer: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, localAddress });
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i < 0) return;
      const [pod, peer] = buf.slice(0, i).split(' ') as [string, string];
      s.end();
      resolve({ pod, peer });
    });
    s.on('error', reject);
    s.on('close', () => reject(new Error(`closed before a reply (${buf})`)));
  });
}

/** Sends payload, half-closes, and returns everything received until the server closes. */
function exchange(host: string, port: number, payload: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (buf += d));
    s.on('end', () => resolve(buf));
    s.on('error', reject);
    s.end(payload);
  });
}

function udpAsk(host: string, port: number, msg: string, sock?: dgram.Socket): Promise<{ text: string; from: string }> {
  const s = sock ?? dgram.createSocket('udp4');
  return new Promise<{ text: string; from: string }>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no UDP reply')), 2000);
    s.once('message', (m, r) => {
      clearTimeout(t);
      resolve({ text: m.toString(), from: `${r.address}:${r.port}` });
    });
    s.send(msg, port, host);
  }).finally(() => {
    if (!sock) s.close();
  });
}

const count = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
/** Addresses of the cluster's service CIDR in its static band (no Service gets them unless it asks): x.x.0.n. */
const staticIP = (n: number) => nthIP(tc.cluster.config.serviceCIDR, n);
const svcIP = async (name: string) => (await get(`/api/v1/namespaces/default/services/${name}`)).spec.clusterIP as string;

beforeAll(async () => {
  tc = await startTestCluster({
    nodeName: 'node-a',
    zone: 'zone-1',
    // This file drives its own proxy (short UDP idle timeout, its own retry timings).
    proxy: false,
  });
  const record = eventRecorder(tc.cluster.registry, requireDef(allResourceDefs(), '', 'events'), 'kube-proxy', () => undefined);
  proxy = await startServiceProxy({
    store: tc.cluster.store,
    log: silentLogger(),
    nodeName: tc.cluster.config.nodeName,
    zone: 'zone-1',
    recordEvent: record,
    udpIdleTimeoutMs: 400,
    listenRetryMaxMs: 300,
  });
  for (const [name, labels, ready] of [
    ['echo-0', { app: 'echo' }, true],
    ['echo-1', { app: 'echo' }, true],
    ['echo-2', { app: 'echo' }, true],
    ['sick', { app: 'echo' }, false],
    ['churn-0', { app: 'churn' }, true],
    ['churn-1', { app: 'churn' }, true],
  ] as const) {
    await post('/api/v1/namespaces/default/pods', pod(name, labels, ready));
  }
  await until(async () => {
    const items = (await get('/api/v1/namespaces/default/pods')).items as {
      metadata: { name: string };
      status: { podIP?: string; conditions?: { type: string; status: string }[] };
    }[];
    for (const p of items) if (p.status.podIP) podIPs[p.metadata.name] = p.status.podIP;
    const ready = items
      .filter((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.metadata.name);
    return ready.length === 5 && Object.keys(podIPs).length === 6;
  }, 20_000);
  await createService('echo', {
    selector: { app: 'echo' },
    ports: [
      { name: 'hello', port: 8000, targetPort: 'hello' },
      { name: 'sink', port: 8001, targetPort: 'sink' },
      { name: 'udp', port: 8053, protocol: 'UDP', targetPort: 'udp' },
    ],
  });
  await until(async () => {
    await proxy.idle();
    const s = proxy.stats();
    return !!s['default/echo:8000/TCP'] && (await hello(await svcIP('echo'), 8000).catch(() => undefined));
  });
}, 40_000);

afterAll(async () => {
  await proxy?.stop();
  await tc?.stop();
});

describe('TCP Services', () => {
  it('spreads ClusterIP connections over the three ready Pods and never to the unready one', async () => {
    const ip = await svcIP('echo');
    const seen: string[] = [];
    for (let i = 0; i < 150; i++) seen.push((await hello(ip, 8000)).pod);
    const c = count(seen);
    expect(Object.keys(c).sort()).toEqual(['echo-0', 'echo-1', 'echo-2']);
    for (const n of Object.values(c)) expect(n).toBeGreaterThan(20);
    const st = proxy.stats()['default/echo:8000/TCP']!;
    expect(st.connections).toBeGreaterThanOrEqual(150);
    expect(st.rejected).toBe(0);
  });

  it('serves a NodePort with a named targetPort on 127.0.0.1', async () => {
    const s = await createService('echo-np', {
      type: 'NodePort',
      selector: { app: 'echo' },
      ports: [{ name: 'web', port: 8000, targetPort: 'hello' }],
    });
    const nodePort = s.spec.ports[0].nodePort as number;
    const range = tc.cluster.config.nodePortRange;
    expect(nodePort).toBeGreaterThanOrEqual(range.base);
    expect(nodePort).toBeLessThan(range.base + range.size);
    await proxy.idle();
    const r = await hello('127.0.0.1', nodePort);
    expect(r.pod).toMatch(/^echo-[012]$/);
    // The backend sees the client's own address (127.0.0.1), not the proxy's.
    expect(r.peer).toBe('127.0.0.1');
    expect(proxy.listeners().open).toContainEqual({
      address: '127.0.0.1',
      port: nodePort,
      protocol: 'TCP',
      service: 'default/echo-np',
      role: 'nodePort',
    });
  });

  it('serves the load balancer ingress IP and a local externalIP, but opens nothing for a foreign externalIP or SCTP', async () => {
    const lb = await createService('echo-lb', {
      type: 'LoadBalancer',
      selector: { app: 'echo' },
      ports: [{ name: 'web', port: 8000, targetPort: 8080 }],
    });
    const ingress = await until(
      async () => (await get('/api/v1/namespaces/default/services/echo-lb')).status?.loadBalancer?.ingress?.[0]?.ip as string | undefined,
    );
    expect(inCIDR(tc.cluster.config.loadBalancerCIDR, ingress), `${ingress} in ${tc.cluster.config.loadBalancerCIDR}`).toBe(true);
    await proxy.idle();
    expect((await hello(ingress, 8000)).pod).toMatch(/^echo-[012]$/);
    expect((await hello('127.0.0.1', lb.spec.ports[0].nodePort)).pod).toMatch(/^echo-[012]$/);

    await createService('echo-ext', {
      selector: { app: 'echo' },
      externalIPs: [staticIP(77), '192.0.2.10'],
      ports: [
        { name: 'web', port: 8000, targetPort: 8080 },
        { name: 'sctp', port: 8002, protocol: 'SCTP' },
      ],
    });
    await proxy.idle();
    expect((await hello(staticIP(77), 8000)).pod).toMatch(/^echo-[012]$/);
    const open = proxy.listeners().open.filter((l) => l.service === 'default/echo-ext');
    expect(open.map((l) => `${l.address}:${l.port}/${l.protocol}`).sort()).toEqual(
      [`${await svcIP('echo-ext')}:8000/TCP`, `${staticIP(77)}:8000/TCP`].sort(),
    );
    const ev = await until(async () => {
      const e = eventsFor('echo-ext');
      return e.length >= 2 ? e : undefined;
    });
    expect(ev.map((e) => `${e.type} ${e.reason}`).sort()).toEqual(['Warning ExternalIPNotLocal', 'Warning UnsupportedProtocol']);
    expect(ev.find((e) => e.reason === 'ExternalIPNotLocal')!.message).toContain('192.0.2.10');
    expect(ev[0]!.source.component).toBe('kube-proxy');
    // Another change to the Service does not repeat the warnings.
    await patch('/api/v1/namespaces/default/services/echo-ext', { metadata: { labels: { touched: 'yes' } } });
    await proxy.idle();
    expect(eventsFor('echo-ext')).toHaveLength(2);
  });

  it("opens nothing on this host's own non-loopback address for an externalIP unless --external-ip-addresses allows it", async () => {
    // Any token holder could otherwise make tinykube listen on the host's public address. The
    // address is only looked up and bound-checked here: nothing connects to it.
    const own = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
    const ip = own ?? '192.0.2.10';
    await createService('echo-hostip', {
      selector: { app: 'echo' },
      externalIPs: [ip],
      ports: [{ name: 'web', port: 8000, targetPort: 8080 }],
    });
    await proxy.idle();
    expect(
      proxy
        .listeners()
        .open.filter((l) => l.service === 'default/echo-hostip')
        .map((l) => l.address),
    ).toEqual([await svcIP('echo-hostip')]);
    const ev = await until(async () => eventsFor('echo-hostip')[0]);
    // A host without a non-loopback address can only show the "not local" case.
    expect(ev.reason).toBe(own ? 'ExternalIPNotAllowed' : 'ExternalIPNotLocal');
    if (own)
      expect(ev.message).toBe(
        `externalIP ${ip} is an address of this host outside --external-ip-addresses: no listener is opened for it (start tinykube with --external-ip-addresses ${ip}/32 to serve it)`,
      );
  });

  it('keeps a client on one Pod with sessionAffinity ClientIP, per client address', async () => {
    const s = await createService('sticky', {
      selector: { app: 'echo' },
      sessionAffinity: 'ClientIP',
      ports: [{ port: 8000, targetPort: 8080 }],
    });
    await proxy.idle();
    for (const client of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) {
      const seen = new Set<string>();
      for (let i = 0; i < 15; i++) {
        const r = await hello(s.spec.clusterIP, 8000, client);
        seen.add(r.pod);
        expect(r.peer).toBe(client);
      }
      expect(seen.size).toBe(1);
    }
  });

  it('resets a connection to a Service without endpoints at once', async () => {
    const s = await createService('nobody', {
      selector: { app: 'nobody' },
      ports: [
        { name: 'tcp', port: 8000 },
        { name: 'udp', port: 8053, protocol: 'UDP' },
      ],
    });
    await proxy.idle();
    const t0 = performance.now();
    const err = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
      const c = net.connect({ host: s.spec.clusterIP, port: 8000 });
      c.on('data', () => resolve(new Error('got data')));
      c.on('error', (e) => resolve(e));
      c.on('close', () => resolve(undefined));
    });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(['ECONNRESET', 'ECONNREFUSED']).toContain(err?.code);
    expect(proxy.stats()['default/nobody:8000/TCP']!.rejected).toBe(1);
  });

  it('passes a half-close through: the client ends and still gets the reply', async () => {
    const reply = await exchange(await svcIP('echo'), 8001, 'hello world');
    const [podName, n, hash] = reply.split(' ');
    expect(podName).toMatch(/^echo-[012]$/);
    expect(Number(n)).toBe(11);
    expect(hash).toBe(createHash('sha256').update('hello world').digest('hex'));
  });

  it(`carries ${LARGE_TRANSFER_BYTES / 2 ** 20} MiB both ways intact`, async () => {
    const ip = await svcIP('echo');
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let received = 0;
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const s = net.connect({ host: ip, port: 8000 });
      let header = true;
      s.on('data', (d: Buffer) => {
        if (header) {
          // The first line is the hello; the echo follows.
          const i = d.indexOf(10);
          header = false;
          d = d.subarray(i + 1);
        }
        received += d.length;
        got.update(d);
      });
      s.on('end', () => resolve());
      s.on('error', reject);
      let i = 0;
      const base = Buffer.alloc(CHUNK);
      for (let j = 0; j < CHUNK; j += 4) base.writeUInt32LE((j * 2654435761) >>> 0, j);
      const write = () => {
        while (i < LARGE_TRANSFER_BYTES / CHUNK) {
          const chunk = Buffer.from(base);
          chunk.writeUInt32LE(i++, 0);
          sent.update(chunk);
          if (!s.write(chunk)) return void s.once('drain', write);
        }
        s.end();
      };
      write();
    });
    const secs = (performance.now() - t0) / 1000;
    expect(received).toBe(LARGE_TRANSFER_BYTES);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    console.log(
      `proxy: ${LARGE_TRANSFER_BYTES / 2 ** 20} MiB echoed in ${secs.toFixed(2)} s (${((2 * LARGE_TRANSFER_BYTES) / 2 ** 20 / secs).toFixed(0)} MiB/s through the proxy, both directions)`,
    );
  }, 60_000);

  it('handles 1,000 concurrent connections', async () => {
    const ip = await svcIP('echo');
    const t0 = performance.now();
    const replies = await Promise.all(Array.from({ length: 1000 }, (_, i) => exchange(ip, 8000, `ping-${i}`)));
    const ms = performance.now() - t0;
    replies.forEach((r, i) => expect(r).toMatch(new RegExp(`^echo-[012] 127\\.0\\.0\\.1\\nping-${i}$`)));
    expect(Object.keys(count(replies.map((r) => r.split(' ')[0]!))).length).toBe(3);
    console.log(`proxy: 1,000 concurrent connections in ${ms.toFixed(0)} ms`);
    await until(async () => proxy.stats()['default/echo:8000/TCP']!.activeConnections === 0);
  });
});

describe('backends following the API', () => {
  it('loses no request of 1,000 sequential ones while a Pod is deleted', async () => {
    const s = await createService('churn', { selector: { app: 'churn' }, ports: [{ port: 8000, targetPort: 8080 }] });
    await proxy.idle();
    const seen: string[] = [];
    let failures = 0;
    let deleted = false;
    for (let i = 0; i < 1000; i++) {
      if (i === 300) {
        await api(tc.cluster, 'DELETE', '/api/v1/namespaces/default/pods/churn-1');
        deleted = true;
      }
      try {
        seen.push((await hello(s.spec.clusterIP, 8000)).pod);
      } catch {
        failures++;
      }
    }
    expect(deleted).toBe(true);
    expect(failures).toBe(0);
    expect(seen.slice(0, 300)).toContain('churn-1');
    expect(seen.slice(-200)).not.toContain('churn-1');
    await until(async () => (await api(tc.cluster, 'GET', '/api/v1/namespaces/default/pods/churn-1')).status === 404, 10_000);
  });

  it('skips a backend that refuses the connection before the client sees an error', async () => {
    // Two slices of one port: echo-0 on 8080 (serving) and echo-1 on 9 (nothing listens).
    await createService('refusing', { ports: [{ port: 8000, targetPort: 8080 }] });
    await createSlice('refusing-1', 'refusing', [{ addresses: [podIPs['echo-0']] }]);
    await createSlice('refusing-2', 'refusing', [{ addresses: [podIPs['echo-1']] }], [{ name: '', port: 9, protocol: 'TCP' }]);
    await proxy.idle();
    const ip = await svcIP('refusing');
    const seen: string[] = [];
    for (let i = 0; i < 40; i++) seen.push((await hello(ip, 8000)).pod);
    expect(new Set(seen)).toEqual(new Set(['echo-0']));
    const st = proxy.stats()['default/refusing:8000/TCP']!;
    expect(st.backendFailures).toBeGreaterThan(5);
    expect(st.rejected).toBe(0);
  });

  it('falls back to serving-and-terminating endpoints when none is ready', async () => {
    await createService('fallback', { ports: [{ port: 8000, targetPort: 8080 }] });
    await createSlice('fallback-1', 'fallback', [
      { addresses: [podIPs['echo-0']], conditions: { ready: false, serving: true, terminating: true } },
      { addresses: [podIPs['echo-1']], conditions: { ready: false, serving: false, terminating: true } },
    ]);
    await proxy.idle();
    const ip = await svcIP('fallback');
    const first: string[] = [];
    for (let i = 0; i < 20; i++) first.push((await hello(ip, 8000)).pod);
    expect(new Set(first)).toEqual(new Set(['echo-0']));
    await patch('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/fallback-1', {
      endpoints: [
        { addresses: [podIPs['echo-0']], conditions: { ready: false, serving: true, terminating: true } },
        { addresses: [podIPs['echo-2']], conditions: { ready: true } },
      ],
    });
    await proxy.idle();
    const then: string[] = [];
    for (let i = 0; i < 20; i++) then.push((await hello(ip, 8000)).pod);
    expect(new Set(then)).toEqual(new Set(['echo-2']));
  });

  it('applies externalTrafficPolicy and internalTrafficPolicy Local, and answers the health check node port', async () => {
    const s = await createService('local', {
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      ports: [{ port: 8000, targetPort: 8080 }],
    });
    const hc = s.spec.healthCheckNodePort as number;
    expect(hc).toBeGreaterThan(0);
    await createSlice('local-1', 'local', [
      { addresses: [podIPs['echo-0']], conditions: { ready: true }, nodeName: 'node-a' },
      { addresses: [podIPs['echo-1']], conditions: { ready: true }, nodeName: 'node-b' },
    ]);
    await proxy.idle();
    const nodePort = s.spec.ports[0].nodePort as number;
    const external: string[] = [];
    const internal: string[] = [];
    for (let i = 0; i < 30; i++) external.push((await hello('127.0.0.1', nodePort)).pod);
    for (let i = 0; i < 30; i++) internal.push((await hello(s.spec.clusterIP, 8000)).pod);
    expect(new Set(external)).toEqual(new Set(['echo-0']));
    expect(new Set(internal)).toEqual(new Set(['echo-0', 'echo-1']));

    const res = await request(`http://127.0.0.1:${hc}/`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const body = await res.body.text();
    expect(body).toBe(
      '{\n\t"service": {\n\t\t"namespace": "default",\n\t\t"name": "local"\n\t},\n\t"localEndpoints": 1,\n\t"serviceProxyHealthy": true\n}',
    );

    await patch('/api/v1/namespaces/default/services/local', { spec: { internalTrafficPolicy: 'Local' } });
    await proxy.idle();
    const internalLocal: string[] = [];
    for (let i = 0; i < 20; i++) internalLocal.push((await hello(s.spec.clusterIP, 8000)).pod);
    expect(new Set(internalLocal)).toEqual(new Set(['echo-0']));

    // No local endpoint left: 503 with localEndpoints 0, and external traffic is refused.
    await patch('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/local-1', {
      endpoints: [{ addresses: [podIPs['echo-1']], conditions: { ready: true }, nodeName: 'node-b' }],
    });
    await proxy.idle();
    const res2 = await request(`http://127.0.0.1:${hc}/healthz`);
    expect(res2.statusCode).toBe(503);
    expect(JSON.parse(await res2.body.text())).toEqual({
      service: { namespace: 'default', name: 'local' },
      localEndpoints: 0,
      serviceProxyHealthy: true,
    });
    await expect(hello('127.0.0.1', nodePort)).rejects.toThrow();
  });

  it('keeps connections whose backend left the slices, and resets them once the address is gone everywhere', async () => {
    // A backend that is not a Pod: a server of this test on an address no Pod has.
    const conns: net.Socket[] = [];
    const server = net.createServer({ allowHalfOpen: true }, (c) => {
      conns.push(c);
      c.on('error', () => undefined);
      c.write('outside 0\n');
      c.pipe(c);
    });
    await new Promise<void>((r) => server.listen(9000, staticIP(200), r));
    try {
      await createService('outside', { ports: [{ port: 8000, targetPort: 9000 }] });
      await createSlice(
        'outside-1',
        'outside',
        [{ addresses: [staticIP(200)] }, { addresses: [podIPs['echo-0']] }],
        [{ name: '', port: 9000, protocol: 'TCP' }],
      );
      await proxy.idle();
      const ip = await svcIP('outside');
      // One connection to the outside server and one to echo-0 (which does not serve 9000: refused, so retried).
      const c = net.connect({ host: ip, port: 8000 });
      const closed = new Promise<string>((resolve) => {
        c.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        c.on('close', () => resolve('close'));
      });
      const line = await new Promise<string>((resolve) => c.once('data', (d) => resolve(d.toString())));
      expect(line).toBe('outside 0\n');
      // Out of the slice, but still an endpoint of nothing else and no Pod: reset.
      await patch('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/outside-1', {
        endpoints: [{ addresses: [podIPs['echo-0']] }],
      });
      await proxy.idle();
      expect(await closed).toBe('ECONNRESET');
    } finally {
      for (const c of conns) c.destroy();
      server.close();
    }
  });

  it('lets an established connection continue when its Pod backend leaves the slice', async () => {
    await createService('stay', { ports: [{ port: 8000, targetPort: 8080 }] });
    await createSlice('stay-1', 'stay', [{ addresses: [podIPs['echo-0']] }]);
    await proxy.idle();
    const c = net.connect({ host: await svcIP('stay'), port: 8000 });
    c.setEncoding('utf8');
    let got = '';
    c.on('data', (d) => (got += d));
    await until(async () => got.includes('\n'));
    await patch('/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/stay-1', { endpoints: [{ addresses: [podIPs['echo-1']] }] });
    await proxy.idle();
    c.write('still here');
    await until(async () => got.endsWith('still here'));
    expect(got.startsWith('echo-0 ')).toBe(true);
    c.destroy();
  });
});

describe('UDP Services', () => {
  it('echoes through the ClusterIP, answering from the Service address with the client seen as itself', async () => {
    const ip = await svcIP('echo');
    const r = await udpAsk(ip, 8053, 'hi');
    expect(r.from).toBe(`${ip}:8053`);
    expect(r.text).toMatch(/^echo-[012] 127\.0\.0\.1:\d+ hi$/);
    const st = proxy.stats()['default/echo:8053/UDP']!;
    expect(st.packetsIn).toBeGreaterThanOrEqual(1);
    expect(st.packetsOut).toBeGreaterThanOrEqual(1);
  });

  it('drops datagrams for a Service without endpoints', async () => {
    const sock = dgram.createSocket('udp4');
    const got: string[] = [];
    sock.on('message', (m) => got.push(m.toString()));
    try {
      sock.send('anyone?', 8053, await svcIP('nobody'));
      await until(async () => proxy.stats()['default/nobody:8053/UDP']!.rejected >= 1);
      // The echo Service answers the same socket at once; nothing came from the empty one.
      await udpAsk(await svcIP('echo'), 8053, 'ping', sock);
      expect(got.filter((m) => m.includes('anyone?'))).toEqual([]);
      expect(proxy.stats()['default/nobody:8053/UDP']!.activeFlows).toBe(0);
    } finally {
      sock.close();
    }
  });

  it('keeps a flow while it is used and forgets it after the idle timeout', async () => {
    const ip = await svcIP('echo');
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
    try {
      const a = await udpAsk(ip, 8053, 'one', sock);
      const b = await udpAsk(ip, 8053, 'two', sock);
      // Same flow: same Pod, same source port towards it.
      expect(b.text.split(' ').slice(0, 2)).toEqual(a.text.split(' ').slice(0, 2));
      await until(async () => proxy.stats()['default/echo:8053/UDP']!.activeFlows === 0, 3000);
      const c = await udpAsk(ip, 8053, 'three', sock);
      expect(c.text.split(' ')[1]).not.toBe(a.text.split(' ')[1]);
    } finally {
      sock.close();
    }
  });
});

describe('listener failures and health', () => {
  it('warns once when a port is taken and opens it when it is free again', async () => {
    const blocker = net.createServer();
    const ext = staticIP(78);
    await new Promise<void>((r) => blocker.listen(8000, ext, r));
    await createService('taken', { selector: { app: 'echo' }, externalIPs: [ext], ports: [{ name: 'web', port: 8000, targetPort: 8080 }] });
    await proxy.idle();
    const ev = await until(async () => eventsFor('taken').find((e) => e.reason === 'ListenFailed'));
    expect(ev.type).toBe('Warning');
    expect(ev.message).toBe(
      `Failed to listen on ${ext}:8000/TCP (externalIP of port "web"): address already in use (another process on this host holds it: another cluster or any other program); retrying`,
    );
    expect(proxy.listeners().failed).toContainEqual(expect.objectContaining({ address: ext, port: 8000, code: 'EADDRINUSE' }));
    // The Service's other listener is unaffected.
    expect((await hello(await svcIP('taken'), 8000)).pod).toMatch(/^echo-[012]$/);
    // Retries (several back-off rounds) do not repeat the event.
    await until(async () => proxy.listeners().failed.some((f) => f.address === ext && f.attempts >= 4), 5000);
    expect(eventsFor('taken').filter((e) => e.reason === 'ListenFailed')).toHaveLength(1);
    await new Promise<void>((r) => blocker.close(() => r()));
    const r = await until(() => hello(ext, 8000).catch(() => undefined), 5000);
    expect(r.pod).toMatch(/^echo-[012]$/);
    expect(proxy.listeners().failed.filter((f) => f.service === 'default/taken')).toEqual([]);
  });

  it('answers /healthz and /livez like kube-proxy', async () => {
    const res = await request(`http://127.0.0.1:${proxy.healthzPort}/healthz`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const body = await res.body.text();
    expect(body).toMatch(
      /^\{"lastUpdated": "\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}","currentTime": "[^"]+", "nodeEligible": true\}$/,
    );
    const live = await request(`http://127.0.0.1:${proxy.healthzPort}/livez`);
    expect(live.statusCode).toBe(200);
    expect(Object.keys(JSON.parse(await live.body.text()))).toEqual(['lastUpdated', 'currentTime']);
    const other = await request(`http://127.0.0.1:${proxy.healthzPort}/metrics`);
    expect(other.statusCode).toBe(404);
    await other.body.text();
  });

  it('gives headless and ExternalName Services no listener, and closes a deleted Service’s', async () => {
    await createService('headless', { clusterIP: 'None', selector: { app: 'echo' }, ports: [{ port: 8000 }] });
    await createService('extname', { type: 'ExternalName', externalName: 'example.com' });
    await proxy.idle();
    const services = new Set(proxy.listeners().open.map((l) => l.service));
    expect(services.has('default/headless')).toBe(false);
    expect(services.has('default/extname')).toBe(false);
    const ip = await svcIP('nobody');
    expect(services.has('default/nobody')).toBe(true);
    await api(tc.cluster, 'DELETE', '/api/v1/namespaces/default/services/nobody');
    await proxy.idle();
    expect(proxy.listeners().open.some((l) => l.service === 'default/nobody')).toBe(false);
    await expect(hello(ip, 8000)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
