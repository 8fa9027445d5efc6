import { describe, it, expect } from 'vitest';
import { endpointSliceDef, type EndpointSliceObj } from '../../src/registry/endpointslice.js';
import { coreEventToV1, v1EventToCore, eventsV1EventDef, coreEventDef, type V1Event, type CoreEvent } from '../../src/registry/event.js';
import { namespaceDef, type NamespaceObj } from '../../src/registry/namespace.js';
import { endpointsDef, formatEndpoints, type EndpointsObj } from '../../src/registry/endpoints.js';
import { secretDef, type SecretObj } from '../../src/registry/secret.js';
import { allResourceDefs, findDef } from '../../src/registry/kinds.js';
import { validateMetaFor } from '../../src/apimachinery/validation.js';
import type { ClusterConfig } from '../../src/config/cluster-config.js';
import type { WriteContext } from '../../src/registry/types.js';

const config = {
  apiHost: '127.0.0.1',
  serviceCIDR: '127.96.0.0/16',
  podCIDR: '127.244.0.0/16',
  loadBalancerCIDR: '127.240.0.0/16',
} as ClusterConfig;
const ctx = { tx: undefined, config, now: new Date(), dryRun: false, warnings: [] } as unknown as WriteContext;
const msgs = (e: { field: string; body: string }[]) => e.map((x) => `${x.field}: ${x.body}`);

describe('EndpointSlice validation', () => {
  const slice = (o: Partial<EndpointSliceObj>): EndpointSliceObj => ({
    metadata: { name: 's', namespace: 'default' },
    addressType: 'IPv4',
    endpoints: [],
    ports: [],
    ...o,
  });
  it('accepts tinykube addresses and refuses other loopback addresses', () => {
    expect(endpointSliceDef.validate!(slice({ endpoints: [{ addresses: ['127.244.0.7'] }, { addresses: ['127.0.0.1'] }] }), ctx)).toEqual(
      [],
    );
    expect(msgs(endpointSliceDef.validate!(slice({ endpoints: [{ addresses: ['127.5.0.1'] }] }), ctx))).toEqual([
      'endpoints[0].addresses[0]: Invalid value: "127.5.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    ]);
  });
  it('checks address type, formats, counts and ports', () => {
    expect(msgs(endpointSliceDef.validate!(slice({ addressType: 'IPv5' }), ctx))).toEqual([
      'addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"',
    ]);
    const m = msgs(
      endpointSliceDef.validate!(
        slice({
          endpoints: [{ addresses: [] }, { addresses: ['fe80::1'] }],
          ports: [
            { name: 'http', protocol: 'TCP' },
            { name: 'http', protocol: 'XTP' },
          ],
        }),
        ctx,
      ),
    );
    expect(m).toContain('endpoints[0].addresses: Required value: must contain at least 1 address');
    expect(m).toContain('endpoints[1].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address');
    expect(m).toContain('ports[1].name: Duplicate value: "http"');
    expect(m).toContain('ports[1].protocol: Unsupported value: "XTP": supported values: "SCTP", "TCP", "UDP"');
    expect(
      msgs(
        endpointSliceDef.validate!(
          slice({
            endpoints: [
              { addresses: ['169.254.1.1'] },
              { addresses: ['224.0.0.9'] },
              { addresses: ['0.0.0.0'] },
              { addresses: Array.from({ length: 101 }, () => '10.1.2.3') },
            ],
          }),
          ctx,
        ),
      ),
    ).toEqual([
      'endpoints[0].addresses[0]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
      'endpoints[1].addresses[0]: Invalid value: "224.0.0.9": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
      'endpoints[2].addresses[0]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
      'endpoints[3].addresses: Too many: 101: must have at most 100 items',
    ]);
    const many = Array.from({ length: 1001 }, () => ({ addresses: ['127.244.0.1'] }));
    expect(msgs(endpointSliceDef.validate!(slice({ endpoints: many }), ctx))).toEqual([
      'endpoints: Too many: 1001: must have at most 1000 items',
    ]);
    expect(msgs(endpointSliceDef.validate!(slice({ addressType: 'FQDN', endpoints: [{ addresses: ['localhost'] }] }), ctx))).toEqual([
      'endpoints[0].addresses[0]: Invalid value: "localhost": should be a domain with at least two segments separated by dots',
    ]);
  });
  it('defaults port fields, sets and bumps generation, keeps addressType', () => {
    const s = slice({ ports: [{ port: 80 }] });
    endpointSliceDef.defaults!(s, ctx);
    endpointSliceDef.prepareForCreate!(s, ctx);
    expect(s.ports).toEqual([{ name: '', protocol: 'TCP', port: 80 }]);
    expect(s.metadata.generation).toBe(1);
    const same = structuredClone(s);
    endpointSliceDef.prepareForUpdate!(same, s, ctx);
    expect(same.metadata.generation).toBe(1);
    const changed = structuredClone(s);
    changed.endpoints = [{ addresses: ['127.244.0.2'] }];
    endpointSliceDef.prepareForUpdate!(changed, s, ctx);
    expect(changed.metadata.generation).toBe(2);
    changed.addressType = 'IPv6';
    expect(msgs(endpointSliceDef.validateUpdate!(changed, s, ctx))).toContain('addressType: Invalid value: "IPv6": field is immutable');
  });
});

describe('Event conversion between core/v1 and events.k8s.io/v1', () => {
  const v1: V1Event = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'e1', namespace: 'default' },
    eventTime: '2026-11-25T10:00:00.000000Z',
    reportingController: 'example.com/ctl',
    reportingInstance: 'i1',
    action: 'Test',
    reason: 'Testing',
    type: 'Normal',
    note: 'hello',
    regarding: { kind: 'ConfigMap', namespace: 'default', name: 'x' },
    series: { count: 2, lastObservedTime: '2026-11-25T10:01:00.000000Z' },
  };
  it('maps fields like upstream conversion and round-trips', () => {
    const core = v1EventToCore(v1);
    expect(core).toMatchObject({
      apiVersion: 'v1',
      message: 'hello',
      involvedObject: { name: 'x' },
      reportingComponent: 'example.com/ctl',
      reason: 'Testing',
    });
    expect(core.source).toBeUndefined();
    expect(coreEventToV1(core)).toEqual(v1);
  });
  it('shows old-style core events through the new API', () => {
    const core: CoreEvent = {
      metadata: { name: 'e2', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'p' },
      message: 'm',
      source: { component: 'kubelet', host: 'n1' },
      count: 3,
      firstTimestamp: '2025-01-01T00:00:00Z',
      lastTimestamp: '2025-01-01T00:01:00Z',
      type: 'Warning',
    };
    const v = coreEventToV1(core);
    expect(v).toMatchObject({
      note: 'm',
      deprecatedSource: { component: 'kubelet', host: 'n1' },
      deprecatedCount: 3,
      deprecatedFirstTimestamp: '2025-01-01T00:00:00Z',
      regarding: { kind: 'Pod', name: 'p' },
    });
    expect(v1EventToCore(v)).toMatchObject(core);
    expect(coreEventDef.table.row(core, new Date('2025-01-01T00:06:00Z'))).toEqual([
      '5m',
      'Warning',
      '',
      'pod/p',
      '',
      'kubelet, n1',
      'm',
      '6m',
      3,
      'e2',
    ]);
  });
  it('validates the new API strictly and the old leniently', () => {
    expect(eventsV1EventDef.validate!(v1, ctx)).toEqual([]);
    const m = msgs(eventsV1EventDef.validate!({ ...v1, reportingController: undefined, type: 'Odd' }, ctx));
    expect(m).toContain('reportingController: Required value');
    expect(m).toContain('type: Invalid value: "": has invalid value: Odd');
    expect(
      coreEventDef.validate!({ metadata: { name: 'e', namespace: 'default' }, involvedObject: { namespace: 'other' } }, ctx).map(
        (e) => e.field,
      ),
    ).toEqual(['involvedObject.namespace']);
  });
});

describe('Namespace hooks', () => {
  it('adds the kubernetes finalizer, Active phase and name label; deletion waits for spec.finalizers', () => {
    const ns: NamespaceObj = { metadata: { name: 'team' } };
    namespaceDef.defaults!(ns, ctx);
    namespaceDef.prepareForCreate!(ns, ctx);
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(ns.status).toEqual({ phase: 'Active' });
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team' });
    expect(namespaceDef.deletionPending!(ns)).toBe(true);
    namespaceDef.onDeletionStarted!(ns, ctx);
    expect(ns.status!.phase).toBe('Terminating');
    expect(namespaceDef.table.row(ns, new Date())).toEqual(['team', 'Terminating', expect.any(String)]);
    expect(namespaceDef.deletionPending!({ ...ns, spec: { finalizers: [] } })).toBe(false);
    expect(msgs(namespaceDef.validate!({ ...ns, spec: { finalizers: ['custom'] } }, ctx))).toEqual([
      'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });
});

describe('other kinds', () => {
  it('Endpoints: formatting and loopback rule', () => {
    const ep: EndpointsObj = {
      metadata: { name: 'e', namespace: 'default' },
      subsets: [
        {
          addresses: [{ ip: '127.244.0.1' }, { ip: '127.244.0.2' }],
          ports: [
            { name: 'a', port: 80 },
            { name: 'b', port: 81 },
          ],
        },
      ],
    };
    expect(formatEndpoints(ep)).toBe('127.244.0.1:80,127.244.0.2:80,127.244.0.1:81 + 1 more...');
    expect(formatEndpoints({ metadata: {} })).toBe('<none>');
    endpointsDef.defaults!(ep, ctx);
    expect(endpointsDef.validate!(ep, ctx)).toEqual([]);
    expect(
      msgs(
        endpointsDef.validate!({ ...ep, subsets: [{ addresses: [{ ip: '169.254.1.1' }], ports: [{ port: 80, protocol: 'TCP' }] }] }, ctx),
      ),
    ).toEqual(['subsets[0].addresses[0].ip: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)']);
  });
  it('Secret: stringData merges into data, type defaults, TLS keys required', () => {
    const s: SecretObj = { metadata: { name: 's', namespace: 'default' }, stringData: { a: 'hi' }, data: { b: 'eA==' } };
    secretDef.defaults!(s, ctx);
    expect(s).toMatchObject({ type: 'Opaque', data: { a: 'aGk=', b: 'eA==' } });
    expect(s.stringData).toBeUndefined();
    expect(msgs(secretDef.validate!({ ...s, type: 'kubernetes.io/tls' }, ctx))).toEqual([
      'data[tls.crt]: Required value',
      'data[tls.key]: Required value',
    ]);
  });
  it('ObjectMeta rules per kind', () => {
    expect(msgs(validateMetaFor('Service', true, { metadata: { name: '1abc', namespace: 'default' } }))[0]).toMatch(
      /^metadata\.name: Invalid value: "1abc": a DNS-1035 label must consist/,
    );
    expect(validateMetaFor('ConfigMap', true, { metadata: { name: '1abc.x', namespace: 'default' } })).toEqual([]);
    expect(
      msgs(validateMetaFor('ConfigMap', true, { metadata: { name: 'a', namespace: 'default', labels: { 'bad key': 'v' } } }))[0],
    ).toMatch(/^metadata\.labels: Invalid value: "bad key": name part must consist/);
    expect(msgs(validateMetaFor('ConfigMap', true, { metadata: { namespace: 'default' } }))).toEqual([
      'metadata.name: Required value: name or generateName is required',
    ]);
    expect(
      msgs(
        validateMetaFor(
          'ConfigMap',
          true,
          { metadata: { name: 'a', namespace: 'default', uid: '2' } },
          { metadata: { name: 'a', namespace: 'default', uid: '1' } },
        ),
      ),
    ).toEqual(['metadata.uid: Invalid value: "2": field is immutable']);
  });
  it('registry lists every kind once', () => {
    const defs = allResourceDefs();
    expect(defs).toHaveLength(53);
    expect(new Set(defs.map((d) => `${d.group}/${d.version}/${d.plural}`)).size).toBe(53);
    expect(findDef(defs, 'apps', 'deployments')?.scale).toBeDefined();
    expect(findDef(defs, '', 'podtemplates')?.kind).toBe('PodTemplate');
    expect(findDef(defs, 'events.k8s.io', 'events')?.storage?.resource).toBe('events');
    expect(findDef(defs, '', 'services')?.shortNames).toEqual(['svc']);
    expect(allResourceDefs()).not.toBe(defs);
  });
});
