// The route table alone: one route per Service port, its backends per family and per side
// (cluster/external traffic policy), its affinity and counters across syncs.
import { describe, it, expect } from 'vitest';
import { backendsFor, dropServiceRoutes, newRouteTable, routeStats, setServiceRoutes, sweepRoutes } from '../../src/proxy/routes.js';
import { remember } from '../../src/proxy/affinity.js';
import { NODE, ep, slice, svc } from './proxy-fixtures.js';

const KEY = 'default/web';
const keys = (list: { key: string }[] | undefined) => list?.map((b) => b.key);

describe('route table', () => {
  it('has one route per TCP or UDP port (not SCTP), with backends per family and per traffic side', () => {
    const t = newRouteTable();
    const s = svc({
      type: 'NodePort',
      externalTrafficPolicy: 'Local',
      clusterIPs: ['127.96.0.5', 'fd00::5'],
      ports: [
        { name: 'http', port: 80, protocol: 'TCP', nodePort: 30080 },
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'sctp', port: 9, protocol: 'SCTP' },
      ],
    });
    const slices = [
      slice('web', [ep('127.244.0.1'), ep('127.244.0.2', { nodeName: 'node-b' })]),
      slice('web', [ep('fd00::a')], [{ name: 'http', port: 8080, protocol: 'TCP' }], 'IPv6'),
      slice('web', [ep('127.244.0.1')], [{ name: 'dns', port: 5353, protocol: 'UDP' }]),
    ];
    setServiceRoutes(t, KEY, s, slices, NODE);
    expect([...t.routes.keys()]).toEqual(['default/web:80/TCP', 'default/web:53/UDP']);
    expect([...t.byService.get(KEY)!]).toEqual(['default/web:80/TCP', 'default/web:53/UDP']);
    const spec = (route: string, family: 4 | 6, external: boolean) => ({ route, family, external });
    // Cluster traffic goes to every ready endpoint; external (Local policy) only to this node's.
    expect(keys(backendsFor(t.routes, spec('default/web:80/TCP', 4, false))?.list)).toEqual(['127.244.0.1:8080', '127.244.0.2:8080']);
    expect(keys(backendsFor(t.routes, spec('default/web:80/TCP', 4, true))?.list)).toEqual(['127.244.0.1:8080']);
    expect(keys(backendsFor(t.routes, spec('default/web:80/TCP', 6, false))?.list)).toEqual(['[fd00::a]:8080']);
    expect(keys(backendsFor(t.routes, spec('default/web:53/UDP', 4, false))?.list)).toEqual(['127.244.0.1:5353']);
    expect(backendsFor(t.routes, spec('default/web:9/SCTP', 4, false))).toBeUndefined();
  });

  it('keeps a port’s route (and counters) across syncs, drops the routes of ports removed, and all with the Service', () => {
    const t = newRouteTable();
    const two = svc({
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'https', port: 443, protocol: 'TCP' },
      ],
    });
    setServiceRoutes(t, KEY, two, [slice('web', [ep('127.244.0.1')])], NODE);
    const http = t.routes.get('default/web:80/TCP')!;
    http.counters.connections = 7;
    setServiceRoutes(t, KEY, svc(), [slice('web', [ep('127.244.0.9')])], NODE);
    expect([...t.routes.keys()]).toEqual(['default/web:80/TCP']);
    expect(t.routes.get('default/web:80/TCP')).toBe(http);
    expect(keys(http.backends[4].clusterBackends)).toEqual(['127.244.0.9:8080']);
    expect(routeStats(t)['default/web:80/TCP']).toMatchObject({ connections: 7, activeConnections: 0 });

    setServiceRoutes(t, 'default/other', svc({}, 'other'), [], NODE);
    dropServiceRoutes(t, KEY);
    expect([...t.routes.keys()]).toEqual(['default/other:80/TCP']);
    expect(t.byService.has(KEY)).toBe(false);
  });

  it('keeps ClientIP affinity entries while the timeout stays, starts over when it changes, drops them when turned off', () => {
    const t = newRouteTable();
    const sticky = (timeoutSeconds?: number) =>
      svc({ sessionAffinity: 'ClientIP', sessionAffinityConfig: timeoutSeconds ? { clientIP: { timeoutSeconds } } : undefined });
    setServiceRoutes(t, KEY, sticky(), [], NODE);
    const r = t.routes.get('default/web:80/TCP')!;
    expect(r.affinity?.timeoutMs).toBe(10_800_000);
    remember(r.affinity!, '127.0.0.5', '127.244.0.1:8080', 0);
    setServiceRoutes(t, KEY, sticky(10_800), [], NODE);
    expect(r.affinity?.entries.size).toBe(1);
    setServiceRoutes(t, KEY, sticky(60), [], NODE);
    expect(r.affinity).toMatchObject({ timeoutMs: 60_000 });
    expect(r.affinity?.entries.size).toBe(0);
    remember(r.affinity!, '127.0.0.5', '127.244.0.1:8080', 0);
    sweepRoutes(t, 59_999);
    expect(r.affinity?.entries.size).toBe(1);
    sweepRoutes(t, 60_000);
    expect(r.affinity?.entries.size).toBe(0);
    setServiceRoutes(t, KEY, svc(), [], NODE);
    expect(r.affinity).toBeUndefined();
  });
});
