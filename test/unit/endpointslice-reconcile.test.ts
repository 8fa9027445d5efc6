import { describe, it, expect } from 'vitest';
import { reconcile, isNoop, ownedBy, type ReconcileInput } from '../../src/controllers/endpointslice/reconcile.js';
import {
  addressTypesForService,
  controllerManagesService,
  endpointPortsFor,
  findPort,
  podContribution,
  podsForService,
  podToEndpoint,
  shouldPodBeInEndpoints,
} from '../../src/controllers/endpointslice/desired.js';
import { canonicalIP, formatRFC3339Nano, portMapKey } from '../../src/controllers/endpointslice/util.js';
import { TriggerTimeTracker } from '../../src/controllers/endpointslice/trigger-time.js';
import type { EndpointSliceObj } from '../../src/registry/endpointslice.js';
import type { ServiceObj } from '../../src/registry/service/strategy.js';
import type { PodObj } from '../../src/registry/pod/strategy.js';
import { NODES, NS, SVC_UID, SliceStore, allAddresses, ip4, ip6, pod, pods, service } from './endpointslice-fixtures.js';

const base = (svc: ServiceObj, ps: PodObj[], existing: EndpointSliceObj[] = [], extra: Partial<ReconcileInput> = {}): ReconcileInput => ({
  service: svc,
  pods: ps,
  nodes: NODES,
  existingSlices: existing,
  ...extra,
});

/** Reconciles, applies to the store, and returns the result. */
function step(store: SliceStore, svc: ServiceObj, ps: PodObj[], extra: Partial<ReconcileInput> = {}) {
  const r = reconcile(base(svc, ps, store.list(), extra));
  store.apply(r);
  return r;
}

const sizes = (slices: EndpointSliceObj[]) => slices.map((s) => (s.endpoints ?? []).length).sort((a, b) => b - a);
const epOf = (slices: EndpointSliceObj[], addr: string) => slices.flatMap((s) => s.endpoints ?? []).find((e) => e.addresses.includes(addr));
const sliceWith = (slices: EndpointSliceObj[], addr: string) =>
  slices.find((s) => (s.endpoints ?? []).some((e) => e.addresses.includes(addr)));

describe('which Pods are endpoints and what they contribute', () => {
  const svc = service();
  it('includes running and pending Pods with an IP; excludes terminal phases and Pods without IP', () => {
    expect(shouldPodBeInEndpoints(pod(1), true)).toBe(true);
    expect(shouldPodBeInEndpoints(pod(1, { phase: 'Pending' }), true)).toBe(true);
    expect(shouldPodBeInEndpoints(pod(1, { phase: 'Succeeded' }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod(1, { phase: 'Failed' }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod(1, { ips: [] }), true)).toBe(false);
    expect(shouldPodBeInEndpoints(pod(1, { deleting: true }), true)).toBe(true);
    expect(shouldPodBeInEndpoints(pod(1, { deleting: true }), false)).toBe(false);
    expect(podContribution(svc, pod(1, { phase: 'Failed' }), 'IPv4')).toBeUndefined();
    expect(podContribution(svc, pod(1), 'IPv6')).toBeUndefined(); // no IP of that family
  });

  it('sets ready/serving/terminating as upstream, publishNotReadyAddresses forcing ready', () => {
    const c = (p: PodObj, s = svc) => podToEndpoint(p, s, 'IPv4').conditions;
    expect(c(pod(1))).toEqual({ ready: true, serving: true, terminating: false });
    expect(c(pod(1, { ready: false }))).toEqual({ ready: false, serving: false, terminating: false });
    expect(c(pod(1, { deleting: true }))).toEqual({ ready: false, serving: true, terminating: true });
    expect(c(pod(1, { deleting: true, ready: false }))).toEqual({ ready: false, serving: false, terminating: true });
    const pna = service({ publishNotReadyAddresses: true });
    expect(c(pod(1, { ready: false }), pna)).toEqual({ ready: true, serving: false, terminating: false });
    expect(c(pod(1, { deleting: true }), pna)).toEqual({ ready: true, serving: true, terminating: true });
  });

  it('builds the endpoint: canonical address of the family, nodeName, zone from node labels, targetRef', () => {
    const p = pod(7, { ips: ['10.1.0.7', '2001:DB8:0:0:0:0:0:7'], node: 'node-b' });
    expect(podToEndpoint(p, svc, 'IPv4', NODES['node-b'])).toEqual({
      addresses: ['10.1.0.7'],
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', namespace: NS, name: 'web-7', uid: 'pod-uid-7' },
      nodeName: 'node-b',
      zone: 'zone-b',
    });
    expect(podToEndpoint(p, svc, 'IPv6', NODES['node-b']).addresses).toEqual(['2001:db8::7']);
    // no zone label (or unknown node): no zone
    expect(podToEndpoint(p, svc, 'IPv4', NODES['node-c']).zone).toBeUndefined();
    expect(podToEndpoint(p, svc, 'IPv4').zone).toBeUndefined();
  });

  it('canonicalises IPs as Go does', () => {
    expect(canonicalIP('010.001.000.009')).toEqual({ ip: '10.1.0.9', family: 'IPv4' });
    expect(canonicalIP('::ffff:10.1.2.3')).toEqual({ ip: '10.1.2.3', family: 'IPv4' });
    expect(canonicalIP('2001:0db8:0000:0000:0001:0000:0000:0001')).toEqual({ ip: '2001:db8::1:0:0:1', family: 'IPv6' });
    expect(canonicalIP('fe80::1%eth0')).toBeUndefined();
    expect(canonicalIP('10.1.2.256')).toBeUndefined();
    expect(canonicalIP('nope')).toBeUndefined();
  });

  it('sets hostname only for spec.hostname with spec.subdomain = the Service, same namespace', () => {
    const h = (p: PodObj) => podToEndpoint(p, svc, 'IPv4').hostname;
    expect(h(pod(1, { hostname: 'db-0', subdomain: 'web' }))).toBe('db-0');
    expect(h(pod(1, { hostname: 'db-0', subdomain: 'other' }))).toBeUndefined();
    expect(h(pod(1, { hostname: 'db-0' }))).toBeUndefined();
    expect(h(pod(1, { subdomain: 'web' }))).toBeUndefined();
    expect(h(pod(1, { hostname: 'db-0', subdomain: 'web', namespace: 'other' }))).toBeUndefined();
  });

  it('resolves named targetPorts through container ports (name and protocol), sidecars too', () => {
    const named = (targetPort: number | string, protocol = 'TCP') => ({ name: 'p', protocol, port: 80, targetPort });
    const p = pod(1, {
      ports: [
        { name: 'http', containerPort: 8080, protocol: 'TCP' },
        { name: 'dns', containerPort: 5353, protocol: 'UDP' },
      ],
    });
    expect(findPort(p, named(9000))).toBe(9000);
    expect(findPort(p, named('http'))).toBe(8080);
    expect(findPort(p, named('http', 'UDP'))).toBeUndefined(); // protocol must match
    expect(findPort(p, named('dns', 'UDP'))).toBe(5353);
    expect(findPort(p, named('missing'))).toBeUndefined();
    expect(findPort(p, { port: 80 })).toBe(80); // targetPort defaults to port
    const sidecar = pod(2, {
      ports: [],
      initContainers: [{ name: 'proxy', restartPolicy: 'Always', ports: [{ name: 'admin', containerPort: 15000 }] }],
    });
    expect(findPort(sidecar, named('admin'))).toBe(15000);
    const plainInit = pod(3, { ports: [], initContainers: [{ name: 'setup', ports: [{ name: 'admin', containerPort: 15000 }] }] });
    expect(findPort(plainInit, named('admin'))).toBeUndefined();
  });

  it('drops ports whose name does not resolve and copies name, protocol and appProtocol', () => {
    const s = service({
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', appProtocol: 'kubernetes.io/h2c' },
        { name: 'metrics', protocol: 'TCP', port: 9100, targetPort: 'metrics' },
        { name: 'raw', protocol: 'UDP', port: 53, targetPort: 5353 },
      ],
    });
    expect(endpointPortsFor(s, pod(1))).toEqual([
      { name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
      { name: 'raw', port: 5353, protocol: 'UDP' },
    ]);
    // a headless Service without ports has none
    expect(endpointPortsFor(service({ clusterIP: 'None', ports: [] }), pod(1))).toEqual([]);
  });

  it('port sets are compared as sets', () => {
    expect(
      portMapKey([
        { name: 'a', port: 1, protocol: 'TCP' },
        { name: 'b', port: 2 },
      ]),
    ).toBe(
      portMapKey([
        { name: 'b', port: 2, protocol: 'TCP' },
        { name: 'a', port: 1 },
      ]),
    );
    expect(portMapKey(undefined)).toBe(portMapKey([]));
    expect(portMapKey([{ name: 'a', port: 1 }])).not.toBe(portMapKey([{ name: 'a', port: 1, appProtocol: 'http' }]));
  });

  it('address types follow ipFamilies; selector-less and ExternalName Services are not managed', () => {
    expect(addressTypesForService(service())).toEqual(['IPv4']);
    expect(addressTypesForService(service({ ipFamilies: ['IPv6', 'IPv4'] }))).toEqual(['IPv6', 'IPv4']);
    expect(addressTypesForService(service({ ipFamilies: undefined, clusterIP: 'fd00::10' }))).toEqual(['IPv6']);
    expect(addressTypesForService(service({ ipFamilies: undefined, clusterIP: 'None' }))).toEqual(['IPv4', 'IPv6']);
    expect(controllerManagesService(service())).toBe(true);
    expect(controllerManagesService(service({ selector: undefined }))).toBe(false);
    expect(controllerManagesService(service({ selector: {} }))).toBe(false);
    expect(controllerManagesService(service({ type: 'ExternalName', externalName: 'x.example.com' }))).toBe(false);
    expect(
      podsForService(service(), [pod(1), pod(2, { labels: { app: 'db' } }), pod(3, { namespace: 'other' })]).map((p) => p.metadata.name),
    ).toEqual(['web-1']);
  });
});

describe('slice shape: labels, ownerReferences, generateName', () => {
  it('writes upstream metadata on new slices', () => {
    const svc = service(
      {},
      { labels: { team: 'a', 'kubernetes.io/service-name': 'spoof', 'endpointslice.kubernetes.io/managed-by': 'me' } },
    );
    const r = reconcile(base(svc, pods(2)));
    expect(r.update).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(r.create).toHaveLength(1);
    const s = r.create[0]!;
    expect(s.apiVersion).toBe('discovery.k8s.io/v1');
    expect(s.kind).toBe('EndpointSlice');
    expect(s.metadata.generateName).toBe('web-');
    expect(s.metadata.name).toBeUndefined();
    expect(s.metadata.namespace).toBe(NS);
    expect(s.metadata.labels).toEqual({
      team: 'a',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
    });
    expect(s.metadata.ownerReferences).toEqual([
      { apiVersion: 'v1', kind: 'Service', name: 'web', uid: SVC_UID, controller: true, blockOwnerDeletion: true },
    ]);
    expect(s.metadata.annotations).toBeUndefined();
    expect(s.addressType).toBe('IPv4');
    expect(s.ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(ownedBy(s, svc)).toBe(true);
  });

  it('labels headless Services and honours a custom controller name', () => {
    const r = reconcile(base(service({ clusterIP: 'None', clusterIPs: ['None'] }), pods(1), [], { controllerName: 'other.example.com' }));
    expect(r.create[0]!.metadata.labels).toEqual({
      'service.kubernetes.io/headless': '',
      'kubernetes.io/service-name': 'web',
      'endpointslice.kubernetes.io/managed-by': 'other.example.com',
    });
  });

  it('follows Service label changes with label-only updates, then settles', () => {
    const store = new SliceStore();
    step(store, service(), pods(250));
    const relabelled = service({}, { labels: { tier: 'front' } });
    const r = step(store, relabelled, pods(250));
    expect(r.create).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(r.update).toHaveLength(3);
    for (const s of store.list()) expect(s.metadata.labels?.tier).toBe('front');
    expect(isNoop(reconcile(base(relabelled, pods(250), store.list())))).toBe(true);
  });

  it('sets the trigger-time annotation on written slices and clears it when no time is given', () => {
    const store = new SliceStore();
    const t = new Date('2025-01-02T03:04:05.500Z');
    step(store, service(), pods(150), { now: t });
    for (const s of store.list())
      expect(s.metadata.annotations).toEqual({ 'endpoints.kubernetes.io/last-change-trigger-time': '2025-01-02T03:04:05.5Z' });
    const r = step(store, service(), pods(149)); // web-149 goes: one slice written, without a time
    expect(r.update).toHaveLength(1);
    expect(r.update[0]!.metadata.annotations).toBeUndefined();
    expect(store.list().filter((s) => s.metadata.annotations).length).toBe(1); // the other one is untouched
    expect(formatRFC3339Nano(new Date('2025-01-02T03:04:05.000Z'))).toBe('2025-01-02T03:04:05Z');
    expect(formatRFC3339Nano(new Date('2025-01-02T03:04:05.120Z'))).toBe('2025-01-02T03:04:05.12Z');
  });
});

describe('packing', () => {
  it('puts 1000 endpoints into 10 slices of 100 by default', () => {
    const store = new SliceStore();
    const r = step(store, service(), pods(1000));
    expect(r.create).toHaveLength(10);
    expect(r.update).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(sizes(store.list())).toEqual(Array(10).fill(100));
    expect(allAddresses(store.list())).toEqual(
      pods(1000)
        .map((p) => p.status!.podIP!)
        .sort(),
    );
  });

  it('honours maxEndpointsPerSlice', () => {
    expect(sizes(reconcile(base(service(), pods(250))).create)).toEqual([100, 100, 50]);
    expect(sizes(reconcile(base(service(), pods(250), [], { maxEndpointsPerSlice: 1000 })).create)).toEqual([250]);
    expect(sizes(reconcile(base(service(), pods(5), [], { maxEndpointsPerSlice: 2 })).create)).toEqual([2, 2, 1]);
    expect(() => reconcile(base(service(), pods(1), [], { maxEndpointsPerSlice: 0 }))).toThrow(RangeError);
    expect(() => reconcile(base(service(), pods(1), [], { maxEndpointsPerSlice: 1001 }))).toThrow(RangeError);
  });

  it('fills an untouched slice with room before creating a new one', () => {
    const store = new SliceStore();
    step(store, service(), pods(250)); // 100 + 100 + 50
    const r = step(store, service(), pods(280));
    expect(r.create).toEqual([]);
    expect(r.update).toHaveLength(1);
    expect(r.update[0]!.endpoints).toHaveLength(80);
    expect(sizes(store.list())).toEqual([100, 100, 80]);
  });

  it('fills slices that are written anyway, fullest first, before anything else', () => {
    const store = new SliceStore();
    step(store, service(), pods(300));
    // three Pods of different slices go, three new ones come: only those slices are written
    const before = store.list();
    const gone = [0, 150, 299].map((i) => ip4(i));
    const touched = new Set(gone.map((a) => sliceWith(before, a)!.metadata.name));
    const next = [...pods(300).filter((p) => !gone.includes(p.status!.podIP!)), ...pods(3, {}, 1000)];
    const r = step(store, service(), next);
    expect(r.create).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(new Set(r.update.map((s) => s.metadata.name))).toEqual(touched);
    expect(sizes(store.list())).toEqual([100, 100, 100]);
  });

  it('creates a new slice when no existing one has room', () => {
    const store = new SliceStore();
    step(store, service(), pods(1000));
    const r = step(store, service(), pods(1001));
    expect(r.update).toEqual([]);
    expect(r.create).toHaveLength(1);
    expect(r.create[0]!.endpoints!.map((e) => e.addresses[0])).toEqual([ip4(1000)]);
  });
});

describe('churn', () => {
  it('writes nothing for an unchanged input', () => {
    const store = new SliceStore();
    step(store, service(), pods(1000));
    expect(isNoop(reconcile(base(service(), pods(1000), store.list())))).toBe(true);
  });

  it('rewrites exactly one slice when one Pod of a 1000-endpoint Service changes', () => {
    const store = new SliceStore();
    step(store, service(), pods(1000));
    const before = store.list();
    const changed = pods(1000);
    changed[437] = pod(437, { ready: false });
    const r = step(store, service(), changed);
    expect(r.create).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(r.update).toHaveLength(1);
    expect(r.update[0]!.metadata.name).toBe(sliceWith(before, ip4(437))!.metadata.name);
    expect(r.update[0]!.endpoints).toHaveLength(100);
    expect(epOf(store.list(), ip4(437))!.conditions).toEqual({ ready: false, serving: false, terminating: false });
    // the other nine slices are byte-for-byte what they were
    for (const s of before) if (s.metadata.name !== r.update[0]!.metadata.name) expect(store.slices.get(s.metadata.name!)).toEqual(s);
    expect(isNoop(reconcile(base(service(), changed, store.list())))).toBe(true);
  });

  it('keeps other endpoints in place when one Pod goes', () => {
    const store = new SliceStore();
    step(store, service(), pods(1000));
    const r = step(
      store,
      service(),
      pods(1000).filter((p) => p.metadata.name !== 'web-3'),
    );
    expect(r.update).toHaveLength(1);
    expect(r.update[0]!.endpoints).toHaveLength(99);
    expect(r.create).toEqual([]);
    expect(r.delete).toEqual([]);
  });

  it('ignores order-irrelevant differences: endpoint, address and port order, targetRef resourceVersion', () => {
    const svc = service({
      ports: [
        { name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'https', protocol: 'TCP', port: 443, targetPort: 8443 },
      ],
    });
    const store = new SliceStore();
    step(store, svc, pods(50));
    const shuffled = store.list().map((s) => ({
      ...s,
      endpoints: [...(s.endpoints ?? [])].reverse().map((e) => ({ ...e, targetRef: { ...e.targetRef, resourceVersion: '999' } })),
      ports: [...(s.ports ?? [])].reverse(),
    }));
    expect(isNoop(reconcile(base(svc, pods(50), shuffled)))).toBe(true);
  });

  it('does not modify its input', () => {
    const store = new SliceStore();
    step(store, service(), pods(120));
    const existing = store.list();
    const snapshot = structuredClone(existing);
    const ps = pods(120, { ready: false });
    const psSnapshot = structuredClone(ps);
    const r = reconcile(base(service({ trafficDistribution: 'PreferClose' }), ps, existing, { now: new Date() }));
    expect(r.update).toHaveLength(2);
    expect(existing).toEqual(snapshot);
    expect(ps).toEqual(psSnapshot);
  });

  it('moves a Pod between slices when its hostname (part of the endpoint identity) changes', () => {
    const store = new SliceStore();
    step(store, service(), pods(3));
    const r = step(store, service(), [pod(0, { hostname: 'h0', subdomain: 'web' }), pod(1), pod(2)]);
    expect(r.update).toHaveLength(1);
    expect(r.update[0]!.endpoints).toHaveLength(3);
    expect(epOf(store.list(), ip4(0))!.hostname).toBe('h0');
  });
});

describe('named ports', () => {
  const svc = service({ ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http' }] });
  const on = (port: number) => ({ ports: [{ name: 'http', containerPort: port, protocol: 'TCP' }] });

  it('splits Pods whose named port resolves differently into separate slices', () => {
    const ps = [...pods(3, on(8080)), ...pods(2, on(9090), 10), pod(20, { ports: [] })];
    const r = reconcile(base(svc, ps));
    expect(r.create).toHaveLength(3);
    const byPort = new Map(r.create.map((s) => [JSON.stringify(s.ports), s.endpoints!.map((e) => e.targetRef!.name)]));
    expect(byPort.get(JSON.stringify([{ name: 'http', port: 8080, protocol: 'TCP' }]))).toEqual(['web-0', 'web-1', 'web-2']);
    expect(byPort.get(JSON.stringify([{ name: 'http', port: 9090, protocol: 'TCP' }]))).toEqual(['web-10', 'web-11']);
    // the Pod without the port is still an endpoint, with no ports (upstream keeps it)
    expect(byPort.get('[]')).toEqual(['web-20']);
  });

  it('recycles the old slice when every Pod moves to another port', () => {
    const store = new SliceStore();
    step(store, svc, pods(3, on(8080)));
    const [old] = store.list();
    const r = step(store, svc, pods(3, on(9090)));
    expect(r.create).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(r.update).toHaveLength(1);
    expect(r.update[0]!.metadata.name).toBe(old!.metadata.name);
    expect(r.update[0]!.ports).toEqual([{ name: 'http', port: 9090, protocol: 'TCP' }]);
    expect(store.list()).toHaveLength(1);
  });
});

describe('placeholder slice', () => {
  it('creates one placeholder (no endpoints, no ports) when there are no endpoints, and keeps it', () => {
    const store = new SliceStore();
    const r = step(store, service(), []);
    expect(r.create).toHaveLength(1);
    expect(r.create[0]).toMatchObject({ addressType: 'IPv4', endpoints: [], ports: [], metadata: { generateName: 'web-' } });
    expect(isNoop(reconcile(base(service(), [], store.list())))).toBe(true);
    // unready-but-unpublished Pods on unknown nodes add nothing either
    expect(isNoop(reconcile(base(service(), [pod(1, { node: 'gone' })], store.list())))).toBe(true);
  });

  it('turns the placeholder into the first real slice (recycled, not deleted and created)', () => {
    const store = new SliceStore();
    step(store, service(), []);
    const [ph] = store.list();
    const r = step(store, service(), pods(2));
    expect(r.create).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(r.update.map((s) => s.metadata.name)).toEqual([ph!.metadata.name]);
    expect(store.list()[0]!.endpoints).toHaveLength(2);
  });

  it('turns the last slice back into the placeholder when the endpoints go', () => {
    const store = new SliceStore();
    step(store, service(), pods(2));
    const r = step(store, service(), []);
    expect(r.create).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(r.update).toHaveLength(1);
    expect(r.update[0]).toMatchObject({ endpoints: [], ports: [] });
  });

  it('deletes the placeholder when another slice holds the endpoints', () => {
    const store = new SliceStore();
    step(store, service(), []);
    const [ph] = store.list();
    const real = reconcile(base(service(), pods(2))).create[0]!;
    store.apply({ create: [real], update: [], delete: [] });
    const r = reconcile(base(service(), pods(2), store.list()));
    expect(r.create).toEqual([]);
    expect(r.update).toEqual([]);
    expect(r.delete.map((s) => s.metadata.name)).toEqual([ph!.metadata.name]);
  });

  it('rewrites the placeholder when the Service labels change', () => {
    const store = new SliceStore();
    step(store, service(), []);
    const r = step(store, service({}, { labels: { v: '2' } }), []);
    expect(r.create).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(r.update).toHaveLength(1);
    expect(store.list()[0]!.metadata.labels?.v).toBe('2');
  });
});

describe('address types', () => {
  const dual = service({ ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'PreferDualStack', clusterIPs: ['10.96.0.10', 'fd00::10'] });

  it('gives each address type its own slices on a dual-stack Service', () => {
    const ps = Array.from({ length: 3 }, (_, i) => pod(i, { ips: [ip4(i), ip6(i)] }));
    const r = reconcile(base(dual, ps));
    expect(r.create.map((s) => s.addressType)).toEqual(['IPv4', 'IPv6']);
    expect(r.create[0]!.endpoints!.map((e) => e.addresses)).toEqual([[ip4(0)], [ip4(1)], [ip4(2)]]);
    expect(r.create[1]!.endpoints!.map((e) => e.addresses)).toEqual([['2001:db8::'], ['2001:db8::1'], ['2001:db8::2']]);
  });

  it('keeps a placeholder for a family without addresses', () => {
    const r = reconcile(base(dual, pods(2)));
    expect(r.create.map((s) => [s.addressType, s.endpoints!.length])).toEqual([
      ['IPv4', 2],
      ['IPv6', 0],
    ]);
  });

  it('deletes the slices of a family the Service no longer has', () => {
    const store = new SliceStore();
    const ps = Array.from({ length: 3 }, (_, i) => pod(i, { ips: [ip4(i), ip6(i)] }));
    step(store, dual, ps);
    const single = service();
    const r = step(store, single, ps);
    expect(r.create).toEqual([]);
    expect(r.update).toEqual([]);
    expect(r.delete.map((s) => s.addressType)).toEqual(['IPv6']);
    // explicit addressTypes win over ipFamilies
    expect(reconcile(base(dual, ps, [], { addressTypes: ['IPv6'] })).create.map((s) => s.addressType)).toEqual(['IPv6']);
  });
});

describe('not-ready, terminating, unknown nodes', () => {
  it('publishes not-ready and terminating Pods with their conditions', () => {
    const ps = [pod(0), pod(1, { ready: false }), pod(2, { deleting: true }), pod(3, { phase: 'Succeeded' })];
    const eps = reconcile(base(service(), ps)).create[0]!.endpoints!;
    expect(eps.map((e) => [e.targetRef!.name, e.conditions])).toEqual([
      ['web-0', { ready: true, serving: true, terminating: false }],
      ['web-1', { ready: false, serving: false, terminating: false }],
      ['web-2', { ready: false, serving: true, terminating: true }],
    ]);
  });

  it('marks every endpoint ready with publishNotReadyAddresses', () => {
    const ps = [pod(0, { ready: false }), pod(1, { deleting: true, ready: false })];
    const eps = reconcile(base(service({ publishNotReadyAddresses: true }), ps)).create[0]!.endpoints!;
    expect(eps.map((e) => e.conditions)).toEqual([
      { ready: true, serving: false, terminating: false },
      { ready: true, serving: false, terminating: true },
    ]);
  });

  it('leaves out Pods on unknown Nodes (reported), unless publishNotReadyAddresses', () => {
    const ps = [pod(0), pod(1, { node: 'gone' })];
    const r = reconcile(base(service(), ps));
    expect(r.create[0]!.endpoints!.map((e) => e.targetRef!.name)).toEqual(['web-0']);
    expect(r.podsOnUnknownNodes).toEqual(['web-1']);
    const p = reconcile(base(service({ publishNotReadyAddresses: true }), ps, [], { nodes: new Map([['node-a', NODES['node-a']]]) }));
    expect(p.create[0]!.endpoints!.map((e) => [e.targetRef!.name, e.zone])).toEqual([
      ['web-0', 'zone-a'],
      ['web-1', undefined],
    ]);
    expect(p.podsOnUnknownNodes).toEqual([]);
  });
});

describe('ownership and deletion', () => {
  it('deletes slices another Service (same name, other uid) owns and does not reuse them', () => {
    const store = new SliceStore();
    step(store, service({}, { uid: 'old-uid' }), pods(2));
    const r = reconcile(base(service(), pods(2), store.list()));
    expect(r.delete).toHaveLength(1);
    expect(r.create).toHaveLength(1);
    expect(r.update).toEqual([]);
  });

  it('ignores slices being deleted and creates nothing while the Service is being deleted', () => {
    const store = new SliceStore();
    step(store, service(), pods(150));
    const [full, half] = store.list(); // 100 and 50 endpoints
    const dying = { ...half!, metadata: { ...half!.metadata, deletionTimestamp: '2025-01-01T00:00:00Z' } };
    const ps = pods(150).filter((p) => p.metadata.name !== 'web-0'); // web-0 is in the full slice
    const r = reconcile(base(service(), ps, [full!, dying]));
    expect(r.delete).toEqual([]);
    // the full slice loses web-0 and takes one of the dying slice's 50; the other 49 get a new slice
    expect(r.update.map((s) => [s.metadata.name, s.endpoints!.length])).toEqual([[full!.metadata.name, 100]]);
    expect(r.create.map((s) => s.endpoints!.length)).toEqual([49]);
    const gone = reconcile(base(service({}, { deletionTimestamp: '2025-01-01T00:00:00Z' }), ps, [full!, dying]));
    expect(gone.create).toEqual([]);
    expect(gone.update).toHaveLength(1);
  });
});

describe('trafficDistribution: PreferClose hints', () => {
  const close = service({ trafficDistribution: 'PreferClose' });
  const mixed = [
    pod(0, { node: 'node-a' }),
    pod(1, { node: 'node-b' }),
    pod(2, { node: 'node-b', ready: false }),
    pod(3, { node: 'node-c' }),
  ];

  it('hints each ready endpoint with its own zone', () => {
    const eps = reconcile(base(close, mixed)).create[0]!.endpoints!;
    expect(eps.map((e) => [e.targetRef!.name, e.hints])).toEqual([
      ['web-0', { forZones: [{ name: 'zone-a' }] }],
      ['web-1', { forZones: [{ name: 'zone-b' }] }],
      ['web-2', undefined], // not ready
      ['web-3', undefined], // no zone
    ]);
  });

  it('adds hints to unchanged slices when turned on, removes them when turned off, then settles', () => {
    const store = new SliceStore();
    step(store, service(), mixed);
    const on = step(store, close, mixed);
    expect(on.update).toHaveLength(1);
    expect(epOf(store.list(), ip4(0))!.hints).toEqual({ forZones: [{ name: 'zone-a' }] });
    expect(isNoop(reconcile(base(close, mixed, store.list())))).toBe(true);
    // a changed endpoint keeps the others' hints
    const changed = [...mixed.slice(0, 3), pod(3, { node: 'node-c', ready: false })];
    step(store, close, changed);
    expect(epOf(store.list(), ip4(1))!.hints).toEqual({ forZones: [{ name: 'zone-b' }] });
    const off = step(store, service(), changed);
    expect(off.update).toHaveLength(1);
    expect(store.list()[0]!.endpoints!.every((e) => e.hints === undefined)).toBe(true);
    expect(isNoop(reconcile(base(service(), changed, store.list())))).toBe(true);
  });

  it('ignores trafficDistribution under the topology-mode annotation (no topology cache here)', () => {
    const annotated = service({ trafficDistribution: 'PreferClose' }, { annotations: { 'service.kubernetes.io/topology-mode': 'Auto' } });
    expect(reconcile(base(annotated, mixed)).create[0]!.endpoints!.every((e) => e.hints === undefined)).toBe(true);
  });

  it('PreferSameNode adds node hints only when enabled', () => {
    const sameNode = service({ trafficDistribution: 'PreferSameNode' });
    expect(reconcile(base(sameNode, [pod(0)])).create[0]!.endpoints![0]!.hints).toBeUndefined();
    expect(reconcile(base(sameNode, [pod(0)], [], { preferSameTrafficDistribution: true })).create[0]!.endpoints![0]!.hints).toEqual({
      forZones: [{ name: 'zone-a' }],
      forNodes: [{ name: 'node-a' }],
    });
  });
});

describe('TriggerTimeTracker', () => {
  it('reports the creation time first, then the earliest change, then nothing', () => {
    const t = new TriggerTimeTracker();
    const svc = service();
    const ps = [pod(0, { readySince: '2025-01-01T00:01:00Z' }), pod(1, { readySince: '2025-01-01T00:02:00Z' })];
    expect(t.compute(svc, ps)?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
    expect(t.compute(svc, ps)).toBeUndefined();
    const later = [pod(0, { readySince: '2025-01-01T00:05:00Z' }), pod(1, { readySince: '2025-01-01T00:04:00Z' })];
    expect(t.compute(svc, later)?.toISOString()).toBe('2025-01-01T00:04:00.000Z');
    t.delete(NS, 'web');
    expect(t.compute(svc, later)?.toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });
});
