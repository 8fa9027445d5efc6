// The data side alone, over a route table filled by hand and fake sockets: the target of each
// connection and flow (backends, source address, affinity), tracking by backend address, and the
// resets and prunes the sync asks for.
import { describe, it, expect } from 'vitest';
import {
  killAddress,
  killAll,
  newConnections,
  openListener,
  pruneFlows,
  sourceFor,
  tcpSourceFor,
  tcpTarget,
  udpTarget,
} from '../../src/proxy/connections.js';
import { newRouteTable, setServiceRoutes } from '../../src/proxy/routes.js';
import type { Endpoint } from '../../src/proxy/endpoints.js';
import type { ListenerSpec } from '../../src/proxy/listeners.js';
import type { UdpListener } from '../../src/proxy/udp.js';
import { NODE, ep, fakeSocket, recordingLog, slice, svc } from './proxy-fixtures.js';

const spec = (more: Partial<ListenerSpec> = {}): ListenerSpec => ({
  key: 'TCP 127.96.0.5:80',
  kind: 'TCP',
  address: '127.96.0.5',
  port: 80,
  family: 4,
  service: 'default/web',
  route: 'default/web:80/TCP',
  external: false,
  role: 'clusterIP',
  portName: 'http',
  ...more,
});

/** A route table with default/web:80/TCP → three ready endpoints (one on another node), ClientIP affinity optional. */
function world(affinity = false) {
  const t = newRouteTable();
  const s = svc({
    type: 'NodePort',
    externalTrafficPolicy: 'Local',
    sessionAffinity: affinity ? 'ClientIP' : 'None',
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 },
      { name: 'dns', port: 53, protocol: 'UDP' },
    ],
  });
  const slices = [
    slice('web', [ep('127.244.0.1'), ep('127.244.0.2'), ep('127.244.0.3', { nodeName: 'node-b' })]),
    slice('web', [ep('127.244.0.1'), ep('127.244.0.2')], [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
  ];
  setServiceRoutes(t, 'default/web', s, slices, NODE);
  const log = recordingLog();
  return { t, s, slices, log, c: newConnections(t.routes, log) };
}
const backend = (ip: string, port = 8080) => ({ ip, port, key: `${ip}:${port}` }) as Endpoint;
const keys = (l: Endpoint[]) => l.map((b) => b.key).sort();

describe('connection targets', () => {
  it('go to the listener’s side of the route (external: Local policy) with its counters; none once the route is gone', () => {
    const { t, c } = world();
    const client = fakeSocket('127.0.0.5');
    const cluster = tcpTarget(c, spec(), client)!;
    expect(keys(cluster.order)).toEqual(['127.244.0.1:8080', '127.244.0.2:8080', '127.244.0.3:8080']);
    expect(cluster.counters).toBe(t.routes.get('default/web:80/TCP')!.counters);
    const external = tcpTarget(c, spec({ external: true, role: 'nodePort' }), client)!;
    expect(keys(external.order)).toEqual(['127.244.0.1:8080', '127.244.0.2:8080']);
    expect(tcpTarget(c, spec({ route: 'default/gone:80/TCP' }), client)).toBeUndefined();
    expect(udpTarget(c, spec({ route: 'default/gone:53/UDP' }), { address: '127.0.0.5' })).toBeUndefined();
  });

  it('keep a client on the backend it last used with ClientIP affinity (TCP and UDP)', () => {
    const { c } = world(true);
    const client = fakeSocket('127.0.0.5');
    const first = tcpTarget(c, spec(), client)!;
    const chosen = first.order[1]!;
    first.spliced(chosen, client, fakeSocket('127.244.0.1'));
    for (let i = 0; i < 20; i++) expect(tcpTarget(c, spec(), fakeSocket('127.0.0.5'))!.order[0]).toBe(chosen);
    const udpSpec = spec({ kind: 'UDP', route: 'default/web:53/UDP' });
    const u = udpTarget(c, udpSpec, { address: '127.0.0.7' })!;
    const b = u.order[1]!;
    u.started(b);
    for (let i = 0; i < 20; i++) expect(udpTarget(c, udpSpec, { address: '127.0.0.7' })!.order[0]).toBe(b);
  });

  it('bind the client’s loopback address as the source, except 127.0.0.1 while the kernel picks that itself', () => {
    const { c, log } = world();
    const b = backend('127.244.0.1');
    expect(sourceFor('127.0.0.5')(b)).toBe('127.0.0.5');
    expect(sourceFor('::ffff:127.0.0.5')(b)).toBe('127.0.0.5');
    expect(sourceFor('192.0.2.1')(b)).toBeUndefined();
    expect(sourceFor('::1')(b)).toBeUndefined(); // across families
    expect(sourceFor('127.0.0.5')(backend('192.0.2.9'))).toBeUndefined();
    expect(tcpSourceFor(c, '127.0.0.1')(b)).toBeUndefined();
    expect(tcpSourceFor(c, '127.0.0.5')(b)).toBe('127.0.0.5');

    // The kernel keeps 127.0.0.1: nothing changes, and that family is not checked again.
    const client = fakeSocket('127.0.0.1');
    tcpTarget(c, spec(), client)!.spliced(b, client, fakeSocket('127.244.0.1', '127.0.0.1'));
    expect(c.kernelPicksLoopbackSource).toBe(true);
    expect([...c.sourceChecked]).toEqual(['127.0.0.1']);

    // Were another source seen (a fresh state), binding resumes for 127.0.0.1 too, with a warning.
    const fresh = newConnections(c.routes, log);
    const cl = fakeSocket('127.0.0.1');
    tcpTarget(fresh, spec(), cl)!.spliced(b, cl, fakeSocket('127.244.0.1', '127.0.0.9'));
    expect(fresh.kernelPicksLoopbackSource).toBe(false);
    expect(tcpSourceFor(fresh, '127.0.0.1')(b)).toBe('127.0.0.1');
    expect(log.lines.filter((l) => l.startsWith('warn:'))).toHaveLength(1);
  });
});

describe('connections to a backend gone for good', () => {
  it('are reset both ways; closed ones are no longer tracked', () => {
    const { c } = world();
    const b1 = backend('127.244.0.1');
    const pairs = [1, 2, 3].map((i) => {
      const client = fakeSocket(`127.0.0.${i}`);
      const upstream = fakeSocket('127.244.0.1');
      tcpTarget(c, spec(), client)!.spliced(b1, client, upstream);
      return { client, upstream };
    });
    const other = fakeSocket('127.0.0.9');
    const otherUp = fakeSocket('127.244.0.2');
    tcpTarget(c, spec(), other)!.spliced(backend('127.244.0.2'), other, otherUp);
    pairs[2]!.client.emit('close');
    expect(c.tracked.get('127.244.0.1')?.size).toBe(2);

    killAddress(c, '127.244.0.1');
    expect(pairs.map((p) => [p.client.resets, p.upstream.resets])).toEqual([
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    expect(c.tracked.has('127.244.0.1')).toBe(false);
    expect([other.resets, otherUp.resets]).toEqual([0, 0]);
    killAll(c);
    expect([other.resets, otherUp.resets]).toEqual([1, 1]);
    expect(c.tracked.size).toBe(0);
  });

  it('UDP flows: those whose backend left the route are pruned per Service, those of a dead address everywhere', () => {
    const { t, s, slices, c } = world();
    const dropped: string[][] = [];
    const flows = [backend('127.244.0.1', 5353), backend('127.244.0.2', 5353)];
    const fakeUdp = (service: string) => {
      const got: string[] = [];
      dropped.push(got);
      const l: UdpListener = {
        flowCount: 0,
        prune: (drop) => got.push(...flows.filter(drop).map((b) => b.key)),
        close: async () => undefined,
      };
      return { current: () => spec({ kind: 'UDP', service, route: `${service}:53/UDP` }), l };
    };
    c.udp.add(fakeUdp('default/web'));
    c.udp.add(fakeUdp('default/other'));
    // 127.244.0.2 leaves the dns port's slice.
    setServiceRoutes(t, 'default/web', s, [slices[0]!, slice('web', [ep('127.244.0.1')], slices[1]!.ports)], NODE);
    pruneFlows(c, 'default/web');
    expect(dropped).toEqual([['127.244.0.2:5353'], []]);
    killAddress(c, '127.244.0.1');
    expect(dropped).toEqual([['127.244.0.2:5353', '127.244.0.1:5353'], ['127.244.0.1:5353']]);
  });
});

describe('listener sockets', () => {
  it('a UDP listener is known to the connections while open (for pruning), and forgotten when closed', async () => {
    const { c } = world();
    const s = spec({ kind: 'UDP', key: 'UDP 127.0.0.1:0', address: '127.0.0.1', port: 0, route: 'default/web:53/UDP' });
    const h = await openListener(c, s, () => s, { connectTimeoutMs: 1000, udpIdleMs: 1000, health: () => undefined });
    expect([...c.udp].map((u) => u.current())).toEqual([s]);
    await h.close();
    expect(c.udp.size).toBe(0);
  });
});
