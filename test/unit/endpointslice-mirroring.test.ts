import { describe, it, expect } from 'vitest';
import {
  reconcileMirroring,
  shouldMirror,
  mirroredSliceLabels,
  type MirroringInput,
} from '../../src/controllers/endpointslice/mirroring.js';
import type { EndpointsObj } from '../../src/registry/endpoints.js';
import { NS, SliceStore, service } from './endpointslice-fixtures.js';

const EP_UID = 'ep-uid-1';
const selectorless = service({ selector: undefined, clusterIP: '10.96.0.20', clusterIPs: ['10.96.0.20'] }, { name: 'ext' });

function endpoints(subsets: EndpointsObj['subsets'], meta: Partial<EndpointsObj['metadata']> = {}): EndpointsObj {
  return { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'ext', namespace: NS, uid: EP_UID, ...meta }, subsets };
}

const port = { name: 'db', port: 5432, protocol: 'TCP' };
const basic = () =>
  endpoints(
    [
      {
        addresses: [
          { ip: '192.168.0.2', hostname: 'db-0', nodeName: 'node-a', targetRef: { kind: 'Pod', namespace: NS, name: 'db-0', uid: 'u0' } },
          { ip: '192.168.0.1' },
        ],
        notReadyAddresses: [{ ip: '192.168.0.3' }],
        ports: [port],
      },
    ],
    {
      labels: { team: 'data' },
      annotations: {
        note: 'x',
        'endpoints.kubernetes.io/last-change-trigger-time': '2025-01-01T00:00:00Z',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
      },
    },
  );

const run = (over: Partial<MirroringInput> = {}) =>
  reconcileMirroring({ endpoints: basic(), service: selectorless, existingSlices: [], ...over });

describe('EndpointSlice mirroring', () => {
  it('mirrors a selector-less Service’s Endpoints into one slice per subset and family', () => {
    const r = run();
    expect(r.update).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(r.events).toEqual([]);
    expect(r.create).toHaveLength(1);
    const s = r.create[0]!;
    expect(s.metadata).toEqual({
      namespace: NS,
      generateName: 'ext-',
      labels: {
        team: 'data',
        'kubernetes.io/service-name': 'ext',
        'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
      },
      annotations: { note: 'x' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Endpoints', name: 'ext', uid: EP_UID, controller: true, blockOwnerDeletion: true }],
    });
    expect(s.addressType).toBe('IPv4');
    expect(s.ports).toEqual([{ name: 'db', port: 5432, protocol: 'TCP' }]);
    expect(s.endpoints).toEqual([
      { addresses: ['192.168.0.1'], conditions: { ready: true } },
      {
        addresses: ['192.168.0.2'],
        conditions: { ready: true },
        hostname: 'db-0',
        targetRef: { kind: 'Pod', namespace: NS, name: 'db-0', uid: 'u0' },
        nodeName: 'node-a',
      },
      { addresses: ['192.168.0.3'], conditions: { ready: false } },
    ]);
  });

  it('splits families and port sets, canonicalising addresses', () => {
    const ep = endpoints([
      { addresses: [{ ip: '192.168.0.1' }, { ip: '2001:DB8::0:1' }], ports: [port] },
      { addresses: [{ ip: '192.168.0.9' }], ports: [{ name: 'other', port: 1, protocol: 'UDP' }] },
    ]);
    const r = run({ endpoints: ep });
    expect(r.create.map((s) => [s.addressType, s.ports!.map((p) => p.port), s.endpoints!.map((e) => e.addresses[0])])).toEqual(
      expect.arrayContaining([
        ['IPv4', [5432], ['192.168.0.1']],
        ['IPv6', [5432], ['2001:db8::1']],
        ['IPv4', [1], ['192.168.0.9']],
      ]),
    );
    expect(r.create).toHaveLength(3);
  });

  it('skips invalid IPs and addresses beyond the per-subset limit, with upstream events', () => {
    // repacked (sorted) first: the invalid address is met before the limit
    const ep = endpoints([
      {
        addresses: [{ ip: '192.168.0.1' }, { ip: '1.2.3.999' }, { ip: '192.168.0.2' }, { ip: '192.168.0.3' }],
        notReadyAddresses: [{ ip: '192.168.0.4' }],
        ports: [port],
      },
    ]);
    const r = run({ endpoints: ep, maxEndpointsPerSubset: 2 });
    expect(r.create[0]!.endpoints!.map((e) => e.addresses[0])).toEqual(['192.168.0.1', '192.168.0.2']);
    expect(r.skippedAddresses).toBe(3);
    expect(r.events).toEqual([
      { type: 'Warning', reason: 'InvalidIPAddress', message: 'Skipped 1 invalid IP addresses when mirroring to EndpointSlices' },
      {
        type: 'Warning',
        reason: 'TooManyAddressesToMirror',
        message: 'A max of 2 addresses can be mirrored to EndpointSlices per Endpoints subset. 3 addresses were skipped',
      },
    ]);
    expect(() => run({ maxEndpointsPerSubset: 1001 })).toThrow(RangeError);
  });

  it('keeps matching slices, rewrites changed ones in place and deletes extras', () => {
    const store = new SliceStore();
    store.apply(run());
    const r0 = run({ existingSlices: store.list() });
    expect(r0.create.length + r0.update.length + r0.delete.length).toBe(0);

    // a changed address: the same slice is rewritten
    const changed = basic();
    changed.subsets![0]!.notReadyAddresses = [{ ip: '192.168.0.4' }];
    const r1 = run({ endpoints: changed, existingSlices: store.list() });
    expect(r1.create).toEqual([]);
    expect(r1.update.map((s) => s.metadata.name)).toEqual(store.list().map((s) => s.metadata.name));
    store.apply(r1);

    // label or annotation changes on the Endpoints are mirrored too
    const relabelled = { ...changed, metadata: { ...changed.metadata, labels: { team: 'ops' } } };
    const r2 = run({ endpoints: relabelled, existingSlices: store.list() });
    expect(r2.update).toHaveLength(1);
    expect(r2.update[0]!.metadata.labels!.team).toBe('ops');
    store.apply(r2);
    const reannotated = { ...relabelled, metadata: { ...relabelled.metadata, annotations: { note: 'y' } } };
    expect(run({ endpoints: reannotated, existingSlices: store.list() }).update).toHaveLength(1);

    // a duplicate slice for the same port set goes
    const dup = { ...store.list()[0]!, metadata: { ...store.list()[0]!.metadata, name: 'ext-dup' } };
    const r3 = run({ endpoints: relabelled, existingSlices: [...store.list(), dup] });
    expect(r3.delete.map((s) => s.metadata.name)).toEqual(['ext-dup']);
    expect(r3.update).toEqual([]);
  });

  it('reuses the slice of a port set that went away for the new one', () => {
    const store = new SliceStore();
    store.apply(run());
    const moved = basic();
    moved.subsets![0]!.ports = [{ name: 'db', port: 6432, protocol: 'TCP' }];
    const r = run({ endpoints: moved, existingSlices: store.list() });
    expect(r.create).toEqual([]);
    expect(r.delete).toEqual([]);
    expect(r.update.map((s) => s.metadata.name)).toEqual(store.list().map((s) => s.metadata.name));
    expect(r.update[0]!.ports).toEqual([{ name: 'db', port: 6432, protocol: 'TCP' }]);
  });

  it('deletes every mirrored slice when mirroring no longer applies', () => {
    const store = new SliceStore();
    store.apply(run());
    const existingSlices = store.list();
    const all = existingSlices.map((s) => s.metadata.name);
    const del = (over: Partial<MirroringInput>) => {
      const r = run({ existingSlices, ...over });
      expect(r.create).toEqual([]);
      expect(r.update).toEqual([]);
      return r.delete.map((s) => s.metadata.name);
    };
    expect(del({ endpoints: undefined })).toEqual(all);
    expect(del({ service: undefined })).toEqual(all);
    expect(del({ service: service({}, { name: 'ext' }) })).toEqual(all); // the Service has a selector
    expect(del({ endpoints: endpoints(basic().subsets, { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }) })).toEqual(all);
    expect(del({ endpoints: endpoints(basic().subsets, { annotations: { 'control-plane.alpha.kubernetes.io/leader': '{}' } }) })).toEqual(
      all,
    );
    expect(del({ endpoints: endpoints([]) })).toEqual(all);
    expect(shouldMirror(basic())).toBe(true);
    expect(mirroredSliceLabels('ext')).toEqual({
      'kubernetes.io/service-name': 'ext',
      'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
    });
  });
});
