// A Service whose ClusterIP or NodePort this cluster cannot bind (another process holds it, as
// another cluster on the same host would) is told so: a ListenFailed Warning event that `kubectl
// describe` shows, the tinykube.io/PortsBound condition in `kubectl get svc -o json`, one warn log
// line per failure however often it is retried; once the address is free the proxy takes it and
// the condition turns True. A Service that claims another Service's ClusterIP as an externalIP
// gets the same treatment and never takes the owner's traffic, whichever came first.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import net from 'node:net';
import pino from 'pino';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { parseCIDR, nthIP } from '../../src/apimachinery/ipnet.js';

let tc: TestCluster;
const logLines: { level: number; msg: string; service?: string; address?: string; port?: number }[] = [];
const servers: net.Server[] = [];

beforeAll(async () => {
  // Default ranges (read back from the cluster below); a logger that keeps the proxy's lines.
  const logger = pino({ level: 'info' }, { write: (line: string) => void logLines.push(JSON.parse(line)) });
  tc = await startTestCluster({ logger });
}, 30_000);
afterAll(async () => {
  for (const s of servers) s.close();
  await tc?.stop();
});

/** Listens on host:port (resolves false when someone else has it). */
function listen(host: string, port: number, onConn: (s: net.Socket) => void = (s) => s.destroy()): Promise<net.Server | false> {
  return new Promise((resolve) => {
    const srv = net.createServer((s) => {
      s.on('error', () => undefined);
      onConn(s);
    });
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => {
      servers.push(srv);
      resolve(srv);
    });
  });
}
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

/** A free address of the CIDR, high up (the allocator hands out low ones first), held on `port`. */
async function squatIn(cidrText: string, port: number, onConn?: (s: net.Socket) => void): Promise<{ ip: string; server: net.Server }> {
  const cidr = parseCIDR(cidrText.split(',')[0]!.trim())!;
  expect(cidr.family).toBe(4);
  for (;;) {
    const half = cidr.size / 2n;
    const ip = nthIP(cidr, half + BigInt(Math.floor(Math.random() * Number(half - 2n))));
    const server = await listen(ip, port, onConn);
    if (server) return { ip, server };
  }
}

/** A TCP server that writes its name to each client and closes: a Service's endpoint. */
const backend = (name: string) => squatIn(tc.cluster.config.podCIDR, 8080, (s) => s.end(`${name}\n`));

/** What answers on host:port (the first line), or the error code. */
function ask(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d) => (buf += d));
    s.on('end', () => resolve(buf.trim()));
    s.on('close', () => resolve(buf.trim()));
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

const slice = (service: string, ip: string) => `---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${service}-1, labels: {kubernetes.io/service-name: ${service}}}
addressType: IPv4
endpoints: [{addresses: ["${ip}"], conditions: {ready: true}}]
ports: [{name: web, port: 8080, protocol: TCP}]
`;

interface Cond {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime: string;
}
const condition = async (name: string) => {
  const svc = JSON.parse((await tc.kubectl(['get', 'svc', name, '-o', 'json'])).stdout);
  return (svc.status.conditions as Cond[] | undefined)?.find((c) => c.type === 'tinykube.io/PortsBound');
};
const describeSvc = async (name: string) => (await tc.kubectl(['describe', 'service', name])).stdout;
const warnLines = (service: string) =>
  logLines.filter((l) => l.level === 40 && l.service === `default/${service}` && l.msg.startsWith('proxy: cannot listen on'));

describe('Service addresses this cluster cannot bind', () => {
  it('warns (event, condition, one log line) while another process holds the ClusterIP and the NodePort, then serves them once free', async () => {
    const cfg = tc.cluster.config;
    const squatted: string[] = [];
    const clusterIP = await squatIn(cfg.serviceCIDR, 8080, (s) => {
      squatted.push('clusterIP');
      s.end('squatter\n');
    });
    let nodePort = 0;
    let npServer: net.Server | false = false;
    while (!npServer) {
      nodePort = cfg.nodePortRange.base + Math.floor(Math.random() * cfg.nodePortRange.size);
      npServer = await listen('127.0.0.1', nodePort);
    }
    const be = await backend('bound-backend');
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Service
metadata: {name: squatted}
spec:
  type: NodePort
  clusterIP: ${clusterIP.ip}
  ports: [{name: web, port: 8080, targetPort: 8080, nodePort: ${nodePort}}]
${slice('squatted', be.ip)}`,
    });

    // The events, as kubectl describe shows them: address, port, protocol and cause.
    const cipMsg = `Failed to listen on ${clusterIP.ip}:8080/TCP (clusterIP of port "web"): address already in use (another process on this host holds it: another cluster or any other program); retrying`;
    const npMsg = `Failed to listen on 127.0.0.1:${nodePort}/TCP (nodePort of port "web"): address already in use (another process on this host holds it: another cluster or any other program); retrying`;
    const described = await until(async () => {
      const d = await describeSvc('squatted');
      return d.includes(cipMsg) && d.includes(npMsg) && d;
    }, 15_000);
    expect(described).toMatch(/Warning\s+ListenFailed\s+.*kube-proxy\s+Failed to listen on/);

    // The condition, as kubectl get shows it.
    const down = await until(async () => {
      const c = await condition('squatted');
      return c?.status === 'False' && c;
    }, 15_000);
    expect(down.reason).toBe('AddressInUse');
    expect(down.message).toContain(`${clusterIP.ip}:8080/TCP (clusterIP of port "web"): address already in use`);
    expect(down.message).toContain(`127.0.0.1:${nodePort}/TCP (nodePort of port "web"): address already in use`);

    // Nothing of ours answers there meanwhile: the connection is the squatter's.
    expect(await ask(clusterIP.ip, 8080)).toBe('squatter');
    expect(squatted).toEqual(['clusterIP']);

    // Retried several times, reported once: one event per listener, one warn line per listener.
    await until(async () => {
      const f = (await tc.cluster.proxy!.listeners()).failed.filter((x) => x.service === 'default/squatted');
      return f.length === 2 && f.every((x) => x.attempts >= 3);
    }, 15_000);
    expect(
      warnLines('squatted')
        .map((l) => `${l.address}:${l.port}`)
        .sort(),
    ).toEqual([`${clusterIP.ip}:8080`, `127.0.0.1:${nodePort}`].sort());
    const events = JSON.parse(
      (await tc.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=squatted,reason=ListenFailed', '-o', 'json'])).stdout,
    ).items;
    expect(events.map((e: { count: number; type: string }) => [e.type, e.count])).toEqual([
      ['Warning', 1],
      ['Warning', 1],
    ]);
    expect((await condition('squatted'))?.lastTransitionTime).toBe(down.lastTransitionTime);

    // The squatters leave: the proxy binds both and the condition turns True.
    await close(clusterIP.server);
    await close(npServer);
    const up = await until(async () => {
      const c = await condition('squatted');
      return c?.status === 'True' && c;
    }, 20_000);
    expect(up.reason).toBe('Listening');
    expect(up.message).toBe('this cluster listens on every address and port of this Service');
    expect(
      (await tc.cluster.proxy!.listeners()).open
        .filter((l) => l.service === 'default/squatted')
        .map((l) => `${l.address}:${l.port}`)
        .sort(),
    ).toEqual([`${clusterIP.ip}:8080`, `127.0.0.1:${nodePort}`].sort());
    expect(await ask(clusterIP.ip, 8080)).toBe('bound-backend');
    expect(await ask('127.0.0.1', nodePort)).toBe('bound-backend');
    // Recovery is no new failure: still one warn line per listener.
    expect(warnLines('squatted')).toHaveLength(2);
  }, 60_000);

  it('keeps a ClusterIP for its Service when another Service of the cluster claims it as an externalIP first', async () => {
    const cfg = tc.cluster.config;
    // An address of the service CIDR that no Service has yet, and the two Services' backends.
    const free = await squatIn(cfg.serviceCIDR, 9090);
    await close(free.server);
    const ip = free.ip;
    const claimerBackend = await backend('claimer-backend');
    const ownerBackend = await backend('owner-backend');
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Service
metadata: {name: claimer}
spec:
  externalIPs: ["${ip}"]
  ports: [{name: web, port: 9090, targetPort: 8080}]
${slice('claimer', claimerBackend.ip)}`,
    });
    expect(await until(async () => (await ask(ip, 9090)) === 'claimer-backend')).toBe(true);

    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: v1
kind: Service
metadata: {name: owner}
spec:
  clusterIP: ${ip}
  ports: [{name: web, port: 9090, targetPort: 8080}]
${slice('owner', ownerBackend.ip)}`,
    });
    // The owner's ClusterIP carries the owner's traffic, never the claimer's.
    expect(await until(async () => (await ask(ip, 9090)) === 'owner-backend', 10_000)).toBe(true);
    const d = await until(async () => {
      const out = await describeSvc('claimer');
      return out.includes('ListenFailed') && out;
    }, 15_000);
    expect(d).toContain(
      `Failed to listen on ${ip}:9090/TCP (externalIP of port "web"): Service default/owner of this cluster already has it (as its clusterIP); served for this Service once that one no longer wants it`,
    );
    const c = await until(async () => {
      const x = await condition('claimer');
      return x?.status === 'False' && x;
    }, 15_000);
    expect(c.reason).toBe('PortConflict');
    // The owner never had a problem: no condition written for it.
    expect(await condition('owner')).toBeUndefined();
    for (let i = 0; i < 5; i++) expect(await ask(ip, 9090)).toBe('owner-backend');
    expect(warnLines('claimer')).toHaveLength(1);

    // The owner goes: the claimer gets the address and its condition turns True.
    await tc.kubectl(['delete', 'service', 'owner']);
    expect(await until(async () => (await ask(ip, 9090)) === 'claimer-backend', 15_000)).toBe(true);
    expect(
      (
        await until(async () => {
          const x = await condition('claimer');
          return x?.status === 'True' && x;
        }, 15_000)
      ).reason,
    ).toBe('Listening');
  }, 60_000);
});
