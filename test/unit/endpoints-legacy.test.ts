import { describe, it, expect } from 'vitest';
import {
  computeSubsets,
  podToEndpointAddress,
  reconcileEndpoints,
  repackSubsets,
  subsetsEqual,
  truncateSubsets,
  type EndpointsAction,
  type EndpointsObj,
  type EndpointSubset,
} from '../../src/controllers/endpointslice/endpoints.js';
import { validateEndpoints } from '../../src/registry/endpoints.js';
import type { PodObj } from '../../src/registry/pod/strategy.js';
import type { ServiceObj } from '../../src/registry/service/strategy.js';
import { NS, ip4, ip6, pod, pods, service } from './endpointslice-fixtures.js';

const OVER = 'endpoints.kubernetes.io/over-capacity';
const TRIGGER = 'endpoints.kubernetes.io/last-change-trigger-time';

const ref = (i: number) => ({ kind: 'Pod', namespace: NS, name: `web-${i}`, uid: `pod-uid-${i}` });
const addr = (i: number, node = 'node-a') => ({ ip: ip4(i), nodeName: node, targetRef: ref(i) });

function written(a: EndpointsAction): EndpointsObj {
  expect(a.action === 'create' || a.action === 'update').toBe(true);
  const ep = (a as { endpoints: EndpointsObj }).endpoints;
  expect(validateEndpoints(ep)).toEqual([]);
  return ep;
}

/** Runs the sync and "stores" the result (resourceVersion bump), like the API would. */
function sync(
  svc: ServiceObj | undefined,
  ps: PodObj[],
  current?: EndpointsObj,
  now?: Date,
): { action: EndpointsAction['action']; stored?: EndpointsObj } {
  const a = reconcileEndpoints({ service: svc, pods: ps, current, now });
  if (a.action === 'none') return { action: 'none', stored: current };
  if (a.action === 'delete') return { action: 'delete' };
  const ep = written(a);
  return {
    action: a.action,
    stored: { ...ep, metadata: { ...ep.metadata, resourceVersion: String(Number(current?.metadata.resourceVersion ?? 0) + 1) } },
  };
}

describe('legacy Endpoints: subsets', () => {
  it('puts ready Pods in addresses and the others in notReadyAddresses, sorted', () => {
    const ps = [pod(3), pod(1), pod(2, { ready: false }), pod(0, { phase: 'Failed' }), pod(4, { deleting: true })];
    expect(computeSubsets(service(), ps)).toEqual({
      subsets: [{ addresses: [addr(1), addr(3)], notReadyAddresses: [addr(2)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
      ready: 2,
      notReady: 1,
    });
  });

  it('publishNotReadyAddresses: every Pod (terminating ones too) is a ready address', () => {
    const ps = [pod(1, { ready: false }), pod(2, { deleting: true })];
    const { subsets } = computeSubsets(service({ publishNotReadyAddresses: true }), ps);
    expect(subsets).toEqual([{ addresses: [addr(1), addr(2)], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }]);
  });

  it('groups Pods by resolved port set and merges ports shared by the same addresses', () => {
    const svc = service({
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' },
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 5353, appProtocol: 'dns' },
      ],
    });
    const ps = [pod(1), pod(2), pod(3, { ports: [{ name: 'http', containerPort: 9090, protocol: 'TCP' }] })];
    const { subsets } = computeSubsets(svc, ps);
    expect(subsets).toHaveLength(3);
    expect(subsets.find((x) => x.ports![0]!.name === 'dns')!.ports).toEqual([
      { name: 'dns', port: 5353, protocol: 'UDP', appProtocol: 'dns' },
    ]);
    // dns is served by 1,2,3, http:8080 by 1,2 and http:9090 by 3
    const byPorts = new Map(
      subsets.map((s) => [JSON.stringify(s.ports!.map((p) => `${p.name}:${p.port}`)), (s.addresses ?? []).map((a) => a.ip)]),
    );
    expect(byPorts).toEqual(
      new Map([
        [JSON.stringify(['dns:5353']), [ip4(1), ip4(2), ip4(3)]],
        [JSON.stringify(['http:8080']), [ip4(1), ip4(2)]],
        [JSON.stringify(['http:9090']), [ip4(3)]],
      ]),
    );
    // two ports served by the same addresses share one subset
    const two = service({
      ports: [
        { name: 'metrics', protocol: 'TCP', port: 9100, targetPort: 9100 },
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
      ],
    });
    expect(computeSubsets(two, pods(2)).subsets).toEqual([
      {
        addresses: [addr(0), addr(1)],
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9100, protocol: 'TCP' },
        ],
      },
    ]);
  });

  it('uses only the first IP family of the Service', () => {
    const ps = [pod(1, { ips: [ip4(1), ip6(1)] })];
    expect(computeSubsets(service({ ipFamilies: ['IPv6', 'IPv4'] }), ps).subsets[0]!.addresses!.map((a) => a.ip)).toEqual(['2001:db8::1']);
    expect(computeSubsets(service({ ipFamilies: ['IPv4', 'IPv6'] }), ps).subsets[0]!.addresses!.map((a) => a.ip)).toEqual([ip4(1)]);
    // a Pod without an IP of that family is left out
    expect(podToEndpointAddress(service({ ipFamilies: ['IPv6'] }), pod(2))).toBeUndefined();
  });

  it('headless without ports: port-less subsets; with ClusterIP and no ports: none', () => {
    expect(computeSubsets(service({ clusterIP: 'None', ports: [] }), [pod(1), pod(2, { ready: false })]).subsets).toEqual([
      { addresses: [addr(1)], notReadyAddresses: [addr(2)] },
    ]);
    expect(computeSubsets(service({ ports: [] }), [pod(1)]).subsets).toEqual([]);
  });

  it('sets hostname by the hostname+subdomain rule', () => {
    const a = podToEndpointAddress(service(), pod(1, { hostname: 'h1', subdomain: 'web' }));
    expect(a).toEqual({ ip: ip4(1), hostname: 'h1', nodeName: 'node-a', targetRef: ref(1) });
    expect(podToEndpointAddress(service(), pod(1, { hostname: 'h1', subdomain: 'x' }))!.hostname).toBeUndefined();
  });

  it('repacks: not ready wins for the same address and port; order does not matter', () => {
    const p = [{ name: 'http', port: 80, protocol: 'TCP' }];
    const a: EndpointSubset[] = [
      { addresses: [addr(2), addr(1)], ports: p },
      { notReadyAddresses: [addr(1)], ports: p },
    ];
    expect(repackSubsets(a)).toEqual([{ addresses: [addr(2)], notReadyAddresses: [addr(1)], ports: p }]);
    expect(repackSubsets([...a].reverse())).toEqual(repackSubsets(a));
    expect(
      subsetsEqual(repackSubsets(a), [
        { addresses: [addr(2)], notReadyAddresses: [addr(1)], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
      ]),
    ).toBe(true);
  });
});

describe('legacy Endpoints: the sync', () => {
  it('creates the object with the Service labels (+ headless label) and writes nothing when unchanged', () => {
    const svc = service({ clusterIP: 'None', clusterIPs: ['None'] }, { labels: { app: 'web' } });
    const first = sync(svc, pods(3), undefined, new Date('2025-01-01T00:00:00Z'));
    expect(first.action).toBe('create');
    expect(first.stored!.metadata).toMatchObject({
      name: 'web',
      namespace: NS,
      labels: { app: 'web', 'service.kubernetes.io/headless': '' },
      annotations: { [TRIGGER]: '2025-01-01T00:00:00Z' },
    });
    expect(first.stored).toMatchObject({ apiVersion: 'v1', kind: 'Endpoints' });
    expect(sync(svc, pods(3), first.stored).action).toBe('none');
    // a Pod's resourceVersion (targetRef) does not matter
    const withRV = structuredClone(first.stored!);
    (withRV.subsets![0]!.addresses![0]!.targetRef as Record<string, unknown>).resourceVersion = '77';
    expect(sync(svc, pods(3), withRV).action).toBe('none');
  });

  it('updates on changes, keeps foreign annotations, follows label changes and clears the trigger time', () => {
    const svc = service();
    const a = sync(svc, pods(2), undefined, new Date('2025-01-01T00:00:00Z'));
    const stored = { ...a.stored!, metadata: { ...a.stored!.metadata, annotations: { ...a.stored!.metadata.annotations, mine: 'x' } } };
    const b = sync(svc, pods(3), stored);
    expect(b.action).toBe('update');
    expect(b.stored!.metadata.annotations).toEqual({ mine: 'x' });
    expect(b.stored!.metadata.resourceVersion).toBe('2');
    expect(b.stored!.subsets![0]!.addresses).toHaveLength(3);
    const relabelled = service({}, { labels: { tier: 'front' } });
    const c = sync(relabelled, pods(3), b.stored);
    expect(c.action).toBe('update');
    expect(c.stored!.metadata.labels).toEqual({ tier: 'front' });
    expect(sync(relabelled, pods(3), c.stored).action).toBe('none');
  });

  it('caps at 1000 addresses with the over-capacity annotation, then clears it', () => {
    const svc = service();
    const big = sync(svc, pods(1200));
    expect(big.action).toBe('create');
    const addrs = big.stored!.subsets!.flatMap((s) => s.addresses ?? []);
    expect(addrs).toHaveLength(1000);
    expect(big.stored!.metadata.annotations).toEqual({ [OVER]: 'truncated' });
    expect(sync(svc, pods(1200), big.stored).action).toBe('none');
    const small = sync(svc, pods(900), big.stored);
    expect(small.action).toBe('update');
    expect(small.stored!.metadata.annotations).toBeUndefined();
    expect(small.stored!.subsets![0]!.addresses).toHaveLength(900);
    // a stale annotation alone is fixed too
    const stale = { ...small.stored!, metadata: { ...small.stored!.metadata, annotations: { [OVER]: 'truncated' } } };
    expect(sync(svc, pods(900), stale).action).toBe('update');
  });

  it('keeps ready addresses first when truncating, spreading the cut over subsets', () => {
    const ps = [...pods(900), ...pods(300, { ready: false }, 900)];
    const s = sync(service(), ps).stored!;
    expect(s.subsets!.flatMap((x) => x.addresses ?? [])).toHaveLength(900);
    expect(s.subsets!.flatMap((x) => x.notReadyAddresses ?? [])).toHaveLength(100);
    const mk = (n: number, from: number, port: number): EndpointSubset => ({
      addresses: Array.from({ length: n }, (_, k) => addr(from + k)),
      ports: [{ port, protocol: 'TCP' }],
    });
    const t = truncateSubsets([mk(900, 0, 1), mk(300, 1000, 2)]);
    expect(t.truncated).toBe(true);
    expect(t.subsets.map((x) => (x.addresses ?? []).length)).toEqual([750, 250]);
    expect(truncateSubsets([mk(10, 0, 1)]).truncated).toBe(false);
  });

  it('deletes the Endpoints of a gone Service and leaves selector-less and ExternalName Services alone', () => {
    const current = sync(service(), pods(1)).stored!;
    expect(reconcileEndpoints({ service: undefined, pods: [], current })).toEqual({ action: 'delete', endpoints: current });
    expect(reconcileEndpoints({ service: undefined, pods: [] })).toEqual({ action: 'none' });
    expect(reconcileEndpoints({ service: service({ selector: undefined }), pods: pods(1), current })).toEqual({ action: 'none' });
    expect(reconcileEndpoints({ service: service({ type: 'ExternalName', externalName: 'a.example.com' }), pods: pods(1) })).toEqual({
      action: 'none',
    });
  });

  it('writes an object without subsets when no Pod qualifies', () => {
    const s = sync(service(), [pod(1, { phase: 'Succeeded' })]).stored!;
    expect(s.subsets).toBeUndefined();
    expect(sync(service(), [], s).action).toBe('none');
  });
});
