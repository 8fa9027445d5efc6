// Backend selection as upstream kube-proxy does it (endpointslicecache.go, topology.go): pure
// functions of the Service, its slices and the node.
import { describe, it, expect } from 'vitest';
import {
  categorize,
  localReadyEndpointCount,
  portEndpoints,
  selectBackends,
  trafficPolicy,
  type Endpoint,
} from '../../src/proxy/endpoints.js';
import type { EndpointSliceObj, SliceEndpoint, SlicePort } from '../../src/registry/endpointslice.js';
import type { ServiceObj, ServiceSpec } from '../../src/registry/service/strategy.js';

const NODE = { name: 'node-a', zone: 'zone-1' };

const svc = (spec: ServiceSpec = {}): ServiceObj => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'web', namespace: 'default' },
  spec: {
    type: 'ClusterIP',
    clusterIP: '127.96.0.5',
    clusterIPs: ['127.96.0.5'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    ...spec,
  },
});

let n = 0;
const slice = (
  endpoints: SliceEndpoint[],
  ports: SlicePort[] = [{ name: 'http', port: 8080, protocol: 'TCP' }],
  addressType = 'IPv4',
): EndpointSliceObj => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `web-${n++}`, namespace: 'default', labels: { 'kubernetes.io/service-name': 'web' } },
  addressType,
  endpoints,
  ports,
});

const ep = (ip: string, more: Partial<SliceEndpoint> = {}): SliceEndpoint => ({
  addresses: [ip],
  conditions: { ready: true, serving: true, terminating: false },
  nodeName: 'node-a',
  ...more,
});
const notReady = { ready: false, serving: false, terminating: false };
const terminating = { ready: false, serving: true, terminating: true };
const keys = (eps: Endpoint[]) => eps.map((e) => e.key);
const http = { name: 'http', protocol: 'TCP' };

describe('endpoints of a Service port', () => {
  it('takes the slice port with the same name and protocol, from every slice, sorted by address:port', () => {
    const slices = [
      slice(
        [ep('127.244.0.3'), ep('127.244.0.1')],
        [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9090, protocol: 'TCP' },
        ],
      ),
      slice([ep('127.244.0.2')], [{ name: 'http', port: 8081, protocol: 'TCP' }]),
      slice([ep('127.244.0.9')], [{ name: 'http', port: 53, protocol: 'UDP' }]),
    ];
    expect(keys(portEndpoints(slices, http, 4, NODE))).toEqual(['127.244.0.1:8080', '127.244.0.2:8081', '127.244.0.3:8080']);
    expect(keys(portEndpoints(slices, { name: 'metrics', protocol: 'TCP' }, 4, NODE))).toEqual(['127.244.0.1:9090', '127.244.0.3:9090']);
    expect(keys(portEndpoints(slices, { name: 'http', protocol: 'UDP' }, 4, NODE))).toEqual(['127.244.0.9:53']);
    expect(portEndpoints(slices, { name: 'other', protocol: 'TCP' }, 4, NODE)).toEqual([]);
  });

  it('matches an unnamed Service port to the unnamed slice port; absent name and protocol read as "" and TCP', () => {
    const slices = [slice([ep('127.244.0.1')], [{ port: 8080 }]), slice([ep('127.244.0.2')], [{ name: 'x', port: 8081 }])];
    expect(keys(portEndpoints(slices, {}, 4, NODE))).toEqual(['127.244.0.1:8080']);
    expect(keys(portEndpoints(slices, { name: '', protocol: 'TCP' }, 4, NODE))).toEqual(['127.244.0.1:8080']);
  });

  it('deduplicates an address in two slices, preferring the copy that is local', () => {
    const slices = [
      slice([ep('127.244.0.1', { nodeName: 'node-b' })]),
      slice([ep('127.244.0.1', { nodeName: 'node-a' })]),
      slice([ep('127.244.0.1', { nodeName: 'node-c' })]),
    ];
    const eps = portEndpoints(slices, http, 4, NODE);
    expect(eps).toHaveLength(1);
    expect(eps[0]).toMatchObject({ ip: '127.244.0.1', port: 8080, nodeName: 'node-a', local: true });
    // The same address on two different ports is two endpoints.
    const two = portEndpoints(
      [slice([ep('127.244.0.1')]), slice([ep('127.244.0.1')], [{ name: 'http', port: 8081, protocol: 'TCP' }])],
      http,
      4,
      NODE,
    );
    expect(keys(two)).toEqual(['127.244.0.1:8080', '127.244.0.1:8081']);
  });

  it('keeps to one address family, uses the first address, skips FQDN slices and ports without a number', () => {
    const slices = [
      slice([ep('127.244.0.1'), { addresses: ['127.244.0.2', '127.244.0.3'] }]),
      slice([ep('fd00::1')], undefined, 'IPv6'),
      slice([{ addresses: ['db.example.com'] }], undefined, 'FQDN'),
      slice([ep('127.244.0.7')], [{ name: 'http', protocol: 'TCP' }]),
    ];
    expect(keys(portEndpoints(slices, http, 4, NODE))).toEqual(['127.244.0.1:8080', '127.244.0.2:8080']);
    expect(keys(portEndpoints(slices, http, 6, NODE))).toEqual(['[fd00::1]:8080']);
  });

  it('reads absent conditions as upstream does: ready and serving true, terminating false', () => {
    const [e] = portEndpoints([slice([{ addresses: ['127.244.0.1'] }])], http, 4, NODE);
    expect(e).toMatchObject({ ready: true, serving: true, terminating: false, local: false, nodeName: '' });
  });
});

describe('categorising endpoints', () => {
  it('uses Ready endpoints only, and none that is not ready', () => {
    const b = selectBackends(
      svc(),
      http,
      [slice([ep('127.244.0.1'), ep('127.244.0.2', { conditions: notReady }), ep('127.244.0.3', { conditions: terminating })])],
      NODE,
      4,
    );
    expect(keys(b.clusterBackends)).toEqual(['127.244.0.1:8080']);
    expect(keys(b.externalBackends)).toEqual(['127.244.0.1:8080']);
  });

  it('falls back to serving-and-terminating endpoints when no endpoint is ready', () => {
    const slices = [
      slice([
        ep('127.244.0.1', { conditions: notReady }),
        ep('127.244.0.2', { conditions: terminating }),
        ep('127.244.0.3', { conditions: { ready: false, serving: false, terminating: true } }),
      ]),
    ];
    expect(keys(selectBackends(svc(), http, slices, NODE, 4).clusterBackends)).toEqual(['127.244.0.2:8080']);
    // Nothing serving at all: no backends.
    expect(selectBackends(svc(), http, [slice([ep('127.244.0.1', { conditions: notReady })])], NODE, 4).clusterBackends).toEqual([]);
  });

  it('restricts ClusterIP traffic to this node with internalTrafficPolicy Local', () => {
    const slices = [slice([ep('127.244.0.1'), ep('127.244.0.2', { nodeName: 'node-b' })])];
    const b = selectBackends(svc({ internalTrafficPolicy: 'Local' }), http, slices, NODE, 4);
    expect(keys(b.clusterBackends)).toEqual(['127.244.0.1:8080']);
    // ClusterIP-only Service: no external traffic, so no Cluster endpoints are computed.
    expect(b.externalBackends).toEqual([]);
    const none = selectBackends(
      svc({ internalTrafficPolicy: 'Local' }),
      http,
      [slice([ep('127.244.0.2', { nodeName: 'node-b' })])],
      NODE,
      4,
    );
    expect(none.clusterBackends).toEqual([]);
  });

  it('restricts NodePort, load-balancer and externalIP traffic with externalTrafficPolicy Local, not ClusterIP traffic', () => {
    const slices = [slice([ep('127.244.0.1'), ep('127.244.0.2', { nodeName: 'node-b' })])];
    const b = selectBackends(svc({ type: 'NodePort', externalTrafficPolicy: 'Local' }), http, slices, NODE, 4);
    expect(keys(b.externalBackends)).toEqual(['127.244.0.1:8080']);
    expect(keys(b.clusterBackends)).toEqual(['127.244.0.1:8080', '127.244.0.2:8080']);
    const both = selectBackends(
      svc({ type: 'LoadBalancer', externalTrafficPolicy: 'Local', internalTrafficPolicy: 'Local' }),
      http,
      slices,
      NODE,
      4,
    );
    expect(keys(both.clusterBackends)).toEqual(['127.244.0.1:8080']);
    expect(keys(both.externalBackends)).toEqual(['127.244.0.1:8080']);
    // A ClusterIP Service with externalIPs is externally accessible too.
    expect(trafficPolicy(svc({ externalIPs: ['127.96.0.77'], externalTrafficPolicy: 'Local' })).externalLocal).toBe(true);
    expect(trafficPolicy(svc({ externalTrafficPolicy: 'Local' })).externalLocal).toBe(false);
  });

  it('falls back to local serving-and-terminating endpoints separately for Local policy', () => {
    const slices = [slice([ep('127.244.0.1', { conditions: terminating }), ep('127.244.0.2', { nodeName: 'node-b' })])];
    const b = selectBackends(svc({ type: 'NodePort', externalTrafficPolicy: 'Local' }), http, slices, NODE, 4);
    // Cluster traffic has a ready endpoint elsewhere; Local has only the terminating local one.
    expect(keys(b.clusterBackends)).toEqual(['127.244.0.2:8080']);
    expect(keys(b.externalBackends)).toEqual(['127.244.0.1:8080']);
  });

  it('prefers endpoints hinted for this zone when every ready endpoint has hints (PreferClose)', () => {
    const hint = (z: string) => ({ hints: { forZones: [{ name: z }] } });
    const s = svc({ trafficDistribution: 'PreferClose' });
    const hinted = [
      slice([
        ep('127.244.0.1', hint('zone-1')),
        ep('127.244.0.2', { nodeName: 'node-b', ...hint('zone-2') }),
        ep('127.244.0.3', { conditions: notReady }),
      ]),
    ];
    expect(keys(selectBackends(s, http, hinted, NODE, 4).clusterBackends)).toEqual(['127.244.0.1:8080']);
    // One ready endpoint without hints: hints are ignored.
    const partial = [slice([ep('127.244.0.1', hint('zone-1')), ep('127.244.0.2')])];
    expect(keys(selectBackends(s, http, partial, NODE, 4).clusterBackends)).toEqual(['127.244.0.1:8080', '127.244.0.2:8080']);
    // No endpoint hinted for this node's zone, or the node has no zone: hints are ignored.
    const elsewhere = [slice([ep('127.244.0.1', hint('zone-2')), ep('127.244.0.2', hint('zone-3'))])];
    expect(keys(selectBackends(s, http, elsewhere, NODE, 4).clusterBackends)).toHaveLength(2);
    expect(keys(selectBackends(s, http, hinted, { name: 'node-a' }, 4).clusterBackends)).toEqual(['127.244.0.1:8080', '127.244.0.2:8080']);
    // Hints do not restrict Local policy.
    const local = selectBackends(
      svc({ type: 'NodePort', externalTrafficPolicy: 'Local' }),
      http,
      [slice([ep('127.244.0.1', hint('zone-2')), ep('127.244.0.2', hint('zone-1'))])],
      NODE,
      4,
    );
    expect(keys(local.externalBackends)).toEqual(['127.244.0.1:8080', '127.244.0.2:8080']);
  });

  it('reports whether any endpoint is usable anywhere', () => {
    const eps = portEndpoints([slice([ep('127.244.0.1', { nodeName: 'node-b' })])], http, 4, NODE);
    const c = categorize(eps, trafficPolicy(svc({ internalTrafficPolicy: 'Local' })), NODE);
    expect(c.local).toEqual([]);
    expect(c.hasAny).toBe(true);
    expect(categorize([], trafficPolicy(svc()), NODE)).toEqual({ cluster: [], local: [], hasAny: false });
  });
});

describe('health check node port count', () => {
  it('counts distinct ready local addresses over every port and slice', () => {
    const slices = [
      slice(
        [ep('127.244.0.1'), ep('127.244.0.2', { nodeName: 'node-b' }), ep('127.244.0.3', { conditions: terminating })],
        [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'https', port: 8443, protocol: 'TCP' },
        ],
      ),
      slice([ep('127.244.0.1'), ep('127.244.0.4')], [{ name: 'http', port: 8081, protocol: 'TCP' }]),
      slice([ep('127.244.0.5')], []),
    ];
    expect(localReadyEndpointCount(slices, NODE)).toBe(2);
    expect(localReadyEndpointCount(slices, { name: 'node-z' })).toBe(0);
  });
});
