// Builders for the EndpointSlice/Endpoints/mirroring unit tests, and a tiny in-memory slice store
// that applies a reconcile result the way the API would (generateName, resourceVersion, upstream
// validation of every written slice).
import { expect } from 'vitest';
import type { ServiceObj } from '../../src/registry/service/strategy.js';
import type { Container, PodObj } from '../../src/registry/pod/strategy.js';
import type { EndpointSliceObj } from '../../src/registry/endpointslice.js';
import { validateEndpointSlice } from '../../src/registry/endpointslice.js';
import type { ReconcileResult } from '../../src/controllers/endpointslice/reconcile.js';

export const NS = 'default';
export const SVC_UID = '11111111-2222-3333-4444-555555555555';

type Spec = NonNullable<ServiceObj['spec']>;

export function service(spec: Partial<Spec> = {}, meta: Partial<ServiceObj['metadata']> = {}): ServiceObj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: NS, uid: SVC_UID, creationTimestamp: '2025-01-01T00:00:00Z', ...meta },
    spec: {
      type: 'ClusterIP',
      selector: { app: 'web' },
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
      ...spec,
    },
  };
}

/** 10.1.x.y for index i (i < 65536). */
export const ip4 = (i: number) => `10.1.${(i >> 8) & 255}.${i & 255}`;
export const ip6 = (i: number) => `2001:db8::${i.toString(16)}`;

export interface PodOpts {
  ready?: boolean;
  node?: string;
  ips?: string[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  deleting?: boolean;
  phase?: string;
  hostname?: string;
  subdomain?: string;
  namespace?: string;
  labels?: Record<string, string>;
  initContainers?: Container[];
  readySince?: string;
}

export function pod(i: number, o: PodOpts = {}): PodObj {
  const ips = o.ips ?? [ip4(i)];
  const p: PodObj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${i}`,
      namespace: o.namespace ?? NS,
      uid: `pod-uid-${i}`,
      labels: o.labels ?? { app: 'web' },
      resourceVersion: '1',
    },
    spec: {
      nodeName: o.node ?? 'node-a',
      containers: [{ name: 'app', ports: o.ports ?? [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }],
    },
    status: {
      phase: o.phase ?? 'Running',
      podIP: ips[0],
      podIPs: ips.map((ip) => ({ ip })),
      conditions: [
        { type: 'Ready', status: o.ready === false ? 'False' : 'True', ...(o.readySince ? { lastTransitionTime: o.readySince } : {}) } as {
          type: string;
          status: string;
        },
      ],
    },
  };
  if (o.deleting) p.metadata.deletionTimestamp = '2025-01-01T00:10:00Z';
  if (o.hostname) p.spec!.hostname = o.hostname;
  if (o.subdomain) p.spec!.subdomain = o.subdomain;
  if (o.initContainers) p.spec!.initContainers = o.initContainers;
  return p;
}

export const pods = (n: number, o: PodOpts = {}, from = 0) => Array.from({ length: n }, (_, k) => pod(from + k, o));

export const NODES = {
  'node-a': { 'topology.kubernetes.io/zone': 'zone-a', 'kubernetes.io/hostname': 'node-a' },
  'node-b': { 'topology.kubernetes.io/zone': 'zone-b' },
  'node-c': {},
};

/** Applies reconcile results like the API server would; every written slice must validate. */
export class SliceStore {
  private seq = 0;
  private rv = 100;
  readonly slices = new Map<string, EndpointSliceObj>();

  constructor(initial: EndpointSliceObj[] = []) {
    for (const s of initial) this.slices.set(s.metadata.name!, structuredClone(s));
  }

  list(): EndpointSliceObj[] {
    return [...this.slices.values()].map((s) => structuredClone(s));
  }

  apply(r: Pick<ReconcileResult, 'create' | 'update' | 'delete'>): void {
    for (const d of r.delete) {
      expect(this.slices.has(d.metadata.name!), `delete of unknown slice ${d.metadata.name}`).toBe(true);
      this.slices.delete(d.metadata.name!);
    }
    for (const u of r.update) {
      const cur = this.slices.get(u.metadata.name!);
      expect(cur, `update of unknown slice ${u.metadata.name}`).toBeDefined();
      if (u.metadata.resourceVersion) expect(u.metadata.resourceVersion).toBe(cur!.metadata.resourceVersion);
      this.write({ ...structuredClone(u), metadata: { ...structuredClone(u.metadata), uid: cur!.metadata.uid } });
    }
    for (const c of r.create) {
      expect(c.metadata.name).toBeUndefined();
      expect(c.metadata.resourceVersion).toBeUndefined();
      const name = `${c.metadata.generateName}${String(this.seq++).padStart(5, 'x')}`;
      this.write({ ...structuredClone(c), metadata: { ...structuredClone(c.metadata), name, uid: `slice-uid-${name}` } });
    }
  }

  private write(s: EndpointSliceObj): void {
    expect(validateEndpointSlice(s)).toEqual([]);
    s.metadata.resourceVersion = String(this.rv++);
    this.slices.set(s.metadata.name!, s);
  }
}

/** Every endpoint's first address, over all slices. */
export const allAddresses = (slices: EndpointSliceObj[]) => slices.flatMap((s) => (s.endpoints ?? []).map((e) => e.addresses[0]!)).sort();
