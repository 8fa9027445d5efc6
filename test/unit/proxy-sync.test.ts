// The service-to-listener sync alone: Services and slices from plain maps, a recording listener
// set (or the real one with sockets that never open), recorded events, status writes, prunes and
// resets. No socket, no informer, no timer.
import { describe, it, expect } from 'vitest';
import type { KubeObject } from '../../src/apimachinery/types.js';
import type { ServiceObj } from '../../src/registry/service/strategy.js';
import type { EndpointSliceObj } from '../../src/registry/endpointslice.js';
import {
  describeListener,
  healthAnswer,
  listenerReports,
  newSyncState,
  syncChanges,
  syncService,
  type SyncDeps,
} from '../../src/proxy/sync.js';
import { newChanges, podDeleted, serviceChanged, sliceAdded, sliceDeleted, sliceService } from '../../src/proxy/changes.js';
import { createListenerSet, type ListenerSpec } from '../../src/proxy/listeners.js';
import { PORTS_BOUND, type Condition } from '../../src/proxy/conditions.js';
import { hostView, newHostState, parseNodePortCIDRs, refreshHost, type HostAddress } from '../../src/proxy/nodeport-addresses.js';
import { NODE, ep, pod, recordingLog, slice, svc } from './proxy-fixtures.js';

const KEY = 'default/web';
const keyOf = (o: KubeObject) => `${o.metadata.namespace}/${o.metadata.name}`;

/** Services, slices and Pods in plain maps, and everything the sync does recorded. */
function world(o: { listeners?: SyncDeps['listeners'] } = {}) {
  const services = new Map<string, ServiceObj>();
  const slices: EndpointSliceObj[] = [];
  const podIPs = new Set<string>();
  const applied = new Map<string, string[]>();
  const events: string[] = [];
  const pruned: string[] = [];
  const killed: string[] = [];
  const writes: string[] = [];
  const reads: string[] = [];
  const log = recordingLog();
  const deps: SyncDeps = {
    log,
    node: NODE,
    service: (key) => services.get(key),
    slicesOf: (key) => slices.filter((s) => sliceService(s) === key),
    podHas: (ip) => podIPs.has(ip),
    host: () => ({
      nodePortAddresses: ['127.0.0.1'],
      isLocal: (ip) => ip.startsWith('127.') || ip === '192.0.2.2',
      externalIPAllowed: (ip) => ip.startsWith('127.'),
    }),
    reserved: new Set(['TCP 127.96.0.5:53']),
    listeners: o.listeners ?? {
      apply: (key, specs) =>
        applied.set(
          key,
          specs.map((s) => `${s.key} ${s.role}`),
        ),
      stateOf: () => ({ failures: [], wanted: 1, settled: true }),
    },
    pruneFlows: (key) => pruned.push(key),
    killAddress: (ip) => killed.push(ip),
    recordEvent: (obj, type, reason, message) => events.push(`${obj.metadata.name} ${type} ${reason}: ${message}`),
    serviceStatus: (ns, name, update) => {
      reads.push(`${ns}/${name}`);
      const cur = services.get(`${ns}/${name}`)!;
      const status = update(cur);
      if (!status) return;
      services.set(`${ns}/${name}`, { ...cur, status } as ServiceObj);
      writes.push(`${ns}/${name}`);
    },
  };
  const put = (s: ServiceObj) => services.set(keyOf(s), s);
  return { deps, state: newSyncState(), services, slices, podIPs, applied, events, pruned, killed, writes, reads, log, put };
}
const condition = (s: ServiceObj | undefined) => (s?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === PORTS_BOUND);

describe('syncing one Service', () => {
  it('wants its listeners (not the reserved ones), fills its routes and health count, prunes its UDP flows', () => {
    const w = world();
    w.put(
      svc({
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
        ports: [
          { name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 },
          { name: 'dns', port: 53, protocol: 'TCP', nodePort: 30053 },
        ],
      }),
    );
    w.slices.push(slice('web', [ep('127.244.0.1'), ep('127.244.0.2', { nodeName: 'node-b' })]));
    syncService(w.state, w.deps, KEY);
    expect(w.applied.get(KEY)).toEqual([
      'TCP 127.96.0.5:80 clusterIP',
      'TCP 127.0.0.1:30080 nodePort',
      'TCP 127.0.0.1:30053 nodePort',
      'TCP 127.0.0.1:32000 healthCheckNodePort',
    ]);
    expect([...w.state.table.routes.keys()]).toEqual(['default/web:80/TCP', 'default/web:53/TCP']);
    expect(healthAnswer(w.state, KEY, true)).toEqual({ namespace: 'default', name: 'web', localEndpoints: 1, proxyHealthy: true });
    expect(w.pruned).toEqual([KEY]);
  });

  it('a Service gone, headless or ExternalName loses its listeners, routes and health answer', () => {
    for (const change of [
      (w: ReturnType<typeof world>) => w.services.delete(KEY),
      (w: ReturnType<typeof world>) => w.put(svc({ clusterIP: 'None', clusterIPs: ['None'] })),
      (w: ReturnType<typeof world>) => w.put(svc({ type: 'ExternalName', externalName: 'example.com' })),
    ]) {
      const w = world();
      w.put(svc());
      syncService(w.state, w.deps, KEY);
      expect(w.state.table.routes.size).toBe(1);
      change(w);
      syncService(w.state, w.deps, KEY);
      expect(w.applied.get(KEY)).toEqual([]);
      expect(w.state.table.routes.size).toBe(0);
      expect(healthAnswer(w.state, KEY, true)).toBeUndefined();
    }
  });

  it('warns once per cause (SCTP port, externalIP not on this host, externalIP not allowed), again once a cause comes back', () => {
    const w = world();
    const s = svc({
      externalIPs: ['198.51.100.1', '192.0.2.2'],
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'sig', port: 9, protocol: 'SCTP' },
      ],
    });
    w.put(s);
    syncService(w.state, w.deps, KEY);
    syncService(w.state, w.deps, KEY);
    expect(w.events.map((e) => e.split(':')[0])).toEqual([
      'web Warning UnsupportedProtocol',
      'web Warning ExternalIPNotLocal',
      'web Warning ExternalIPNotAllowed',
    ]);
    expect(w.events[0]).toContain('port "sig" 9/SCTP: SCTP is not supported');
    expect(w.events[2]).toContain('--external-ip-addresses 192.0.2.2/32');
    expect(w.log.lines.filter((l) => l.startsWith('warn:'))).toHaveLength(1);
    w.put(svc());
    syncService(w.state, w.deps, KEY);
    w.put(s);
    syncService(w.state, w.deps, KEY);
    expect(w.events).toHaveLength(6);
  });
});

describe('a sync pass', () => {
  it('syncs the changed Services, one failing without stopping the others, and resets addresses gone for good', () => {
    const w = world();
    const c = newChanges();
    w.put(svc());
    w.put(svc({ clusterIP: '127.96.0.6', clusterIPs: ['127.96.0.6'] }, 'api'));
    const gone = slice('web', [ep('127.244.0.1'), ep('127.244.0.2'), ep('127.244.0.3')]);
    serviceChanged(c, svc({}, 'api'));
    sliceAdded(c, gone);
    w.slices.push(gone);
    const slicesOf = w.deps.slicesOf;
    w.deps.slicesOf = (key) => {
      if (key === 'default/api') throw new Error('boom');
      return slicesOf(key);
    };
    expect(syncChanges(w.state, w.deps, c)).toBe(2);
    expect(w.applied.has(KEY)).toBe(true);
    expect(w.log.lines).toContain('error: proxy: sync failed');

    // .1 left every slice, .2 too but a Pod still has it, .3 is still listed but its Pod was deleted.
    sliceDeleted(c, gone);
    sliceAdded(c, slice('web', [ep('127.244.0.3')]));
    podDeleted(c, pod('p3', ['127.244.0.3']));
    w.podIPs.add('127.244.0.2');
    syncChanges(w.state, w.deps, c);
    expect(w.killed).toEqual(['127.244.0.1', '127.244.0.3']);
  });

  it('keeps the PortsBound condition from what the listener set says: False with the cause, True once listening', async () => {
    let free = false;
    const c = newChanges();
    let w!: ReturnType<typeof world>;
    const listeners = createListenerSet({
      retryBaseMs: 1,
      retryMaxMs: 1,
      open: async (spec) => {
        if (spec.role === 'nodePort' && !free) throw Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
        return { close: async () => undefined };
      },
      ...listenerReports({
        log: recordingLog(),
        node: NODE,
        service: (key) => w.deps.service(key),
        recordEvent: (...a) => w.deps.recordEvent!(...a),
      }),
      changed: (service) => c.statusDirty.add(service),
    });
    w = world({ listeners });
    w.put(svc({ type: 'NodePort', ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 }] }));
    serviceChanged(c, w.services.get(KEY)!);
    syncChanges(w.state, w.deps, c);
    await listeners.idle();
    syncChanges(w.state, w.deps, c);
    expect(condition(w.services.get(KEY))).toMatchObject({
      status: 'False',
      reason: 'AddressInUse',
      observedGeneration: 1,
      message: expect.stringContaining('127.0.0.1:30080/TCP (nodePort of port "http")'),
    });
    expect(w.events).toEqual([
      expect.stringMatching(/^web Warning ListenFailed: Failed to listen on 127\.0\.0\.1:30080\/TCP .*; retrying$/),
    ]);
    // Nothing changed: no second write, and the informer's copy told so without reading the store.
    serviceChanged(c, w.services.get(KEY)!);
    syncChanges(w.state, w.deps, c);
    expect(w.writes).toEqual([KEY]);
    expect(w.reads).toEqual([KEY]);

    free = true;
    await new Promise((r) => setTimeout(r, 5));
    listeners.retryDue();
    await listeners.idle();
    syncChanges(w.state, w.deps, c);
    expect(condition(w.services.get(KEY))).toMatchObject({ status: 'True', reason: 'Listening' });
    expect(w.writes).toEqual([KEY, KEY]);
  });

  it('without a status writer, writes no condition', () => {
    const w = world();
    w.deps.serviceStatus = undefined;
    const c = newChanges();
    w.put(svc());
    serviceChanged(c, w.services.get(KEY)!);
    c.statusDirty.add(KEY);
    syncChanges(w.state, w.deps, c);
    expect(w.writes).toEqual([]);
  });
});

describe('listener reports', () => {
  const spec = (more: Partial<ListenerSpec>): ListenerSpec => ({
    key: 'TCP 127.0.0.1:32000',
    kind: 'TCP',
    address: '127.0.0.1',
    port: 32000,
    family: 4,
    service: KEY,
    route: 'default/web:80/TCP',
    external: true,
    role: 'nodePort',
    portName: '',
    ...more,
  });

  it('name the listener; a health check port failure is upstream’s FailedToStartServiceHealthcheck; a conflict waits, not retries', () => {
    const w = world();
    w.put(svc());
    const r = listenerReports(w.deps);
    expect(describeListener(spec({ kind: 'UDP', address: 'fd00::5', port: 53, role: 'clusterIP', portName: 'dns' }))).toBe(
      '[fd00::5]:53/UDP (clusterIP of port "dns")',
    );
    r.failed({ spec: spec({ kind: 'health', role: 'healthCheckNodePort', route: KEY }), code: 'EACCES', message: 'permission denied' });
    r.failed({ spec: spec({}), code: 'CONFLICT', message: 'Service default/api of this cluster already has it (as its nodePort)' });
    r.recovered(spec({}));
    expect(w.events).toEqual([
      'web Warning FailedToStartServiceHealthcheck: node node-a failed to start healthcheck "default/web" on 127.0.0.1:32000: permission denied; retrying',
      'web Warning ListenFailed: Failed to listen on 127.0.0.1:32000/TCP (nodePort): Service default/api of this cluster already has it (as its nodePort); served for this Service once that one no longer wants it',
    ]);
    expect(w.log.lines.at(-1)).toBe('info: proxy: listening on 127.0.0.1:32000/TCP (nodePort) after earlier failures');
  });
});

describe('host state', () => {
  it('notices new host addresses and NodePort address changes; the view answers from the addresses read', () => {
    const a = (address: string): HostAddress => ({ address, family: address.includes(':') ? 6 : 4 });
    const h = newHostState(parseNodePortCIDRs(['127.0.0.1/32', '192.0.2.0/24']), parseNodePortCIDRs([]), [a('127.0.0.1')]);
    expect(h.nodePortAddresses).toEqual(['127.0.0.1']);
    expect(refreshHost(h, [a('127.0.0.1')])).toBe(false);
    expect(hostView(h).isLocal('192.0.2.2')).toBe(false);
    expect(refreshHost(h, [a('127.0.0.1'), a('192.0.2.2')])).toBe(true);
    expect(h.nodePortAddresses).toEqual(['127.0.0.1', '192.0.2.2']);
    const v = hostView(h);
    expect([v.isLocal('192.0.2.2'), v.externalIPAllowed('192.0.2.2'), v.externalIPAllowed('127.9.9.9')]).toEqual([true, false, true]);
    expect(refreshHost(h, [a('127.0.0.1'), a('198.51.100.1')])).toBe(true);
    // Another address outside the NodePort CIDRs: the NodePort addresses stay, isLocal changes.
    expect(refreshHost(h, [a('127.0.0.1'), a('198.51.100.2')])).toBe(true);
    expect(h.nodePortAddresses).toEqual(['127.0.0.1']);
  });
});
