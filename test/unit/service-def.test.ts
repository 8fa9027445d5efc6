import { describe, it, expect } from 'vitest';
import { serviceDef, type ServiceObj } from '../../src/registry/service/strategy.js';
import { formatFieldErrors, type FieldError } from '../../src/apimachinery/field.js';
import type { ClusterConfig } from '../../src/config/cluster-config.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { WriteContext } from '../../src/registry/types.js';

const config: ClusterConfig = {
  name: 't',
  apiHost: '127.0.0.1',
  apiPort: 6443,
  serviceCIDR: '127.96.0.0/16',
  podCIDR: '127.244.0.0/16',
  loadBalancerCIDR: '127.240.0.0/16',
  nodePortRange: { base: 30000, size: 2768 },
  dnsHost: '127.0.0.1',
  dnsPort: 0,
  clusterDomain: 'cluster.local',
  nodeName: 'n',
  maxPods: 110,
  podBackoff: { initialMs: 10_000, maxMs: 300_000 },
  podIsolation: 'none',
  authorizationMode: 'AlwaysAllow',
  maxEndpointsPerSlice: 100,
  nodePortAddresses: ['127.0.0.1/32'],
  externalIPAddresses: [],
  proxy: true,
  ingress: false,
  compaction: { intervalMs: 1, maxAgeMs: 1, keepRevisions: 1 },
  eventTTLMs: 1,
};
const ctx = (cfg = config) => ({ tx: undefined, config: cfg, now: new Date(), dryRun: false, warnings: [] }) as unknown as WriteContext;

const svc = (spec: Record<string, unknown>, name = 'web'): ServiceObj =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default', creationTimestamp: '2025-01-01T00:00:00Z' },
    spec,
  }) as ServiceObj;

/** Runs the create pipeline the registry runs: defaults, prepareForCreate, validate. */
function create(o: ServiceObj, cfg = config): { obj: ServiceObj; errs: FieldError[] } {
  serviceDef.defaults!(o, ctx(cfg));
  try {
    serviceDef.prepareForCreate!(o, ctx(cfg));
  } catch (e) {
    // IP-family errors stop the write before the rest of validation, as upstream's allocator does.
    return { obj: o, errs: causesOf(e) };
  }
  return { obj: o, errs: serviceDef.validate!(o, ctx(cfg)) };
}
function causesOf(e: unknown): FieldError[] {
  if (!(e instanceof StatusError) || e.code !== 422) throw e;
  return (e.details?.causes ?? []).map((c) => ({ type: c.reason, field: c.field, body: c.message }) as FieldError);
}
const messages = (errs: FieldError[]) => errs.map((e) => `${e.field}: ${e.body}`);

describe('Service defaults', () => {
  it('fills in upstream defaults for ClusterIP', () => {
    const { obj, errs } = create(svc({ selector: { app: 'x' }, ports: [{ port: 80 }] }));
    expect(errs).toEqual([]);
    expect(obj.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
    });
    expect(obj.spec!.externalTrafficPolicy).toBeUndefined();
    expect(obj.spec!.allocateLoadBalancerNodePorts).toBeUndefined();
    expect(obj.status).toEqual({ loadBalancer: {} });
  });
  it('adds externalTrafficPolicy for NodePort and LB, allocateLoadBalancerNodePorts for LB', () => {
    expect(create(svc({ type: 'NodePort', ports: [{ port: 80 }] })).obj.spec!.externalTrafficPolicy).toBe('Cluster');
    const lb = create(svc({ type: 'LoadBalancer', ports: [{ port: 80 }] })).obj.spec!;
    expect(lb.externalTrafficPolicy).toBe('Cluster');
    expect(lb.allocateLoadBalancerNodePorts).toBe(true);
  });
  it('defaults ClientIP affinity timeout and clusterIPs from clusterIP', () => {
    const { obj } = create(svc({ sessionAffinity: 'ClientIP', clusterIP: '127.96.0.50', ports: [{ port: 80 }] }));
    expect(obj.spec!.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    expect(obj.spec!.clusterIPs).toEqual(['127.96.0.50']);
  });
  it('makes selector-less headless Services RequireDualStack with both families, even single-stack (upstream quirk)', () => {
    const single = create(svc({ clusterIP: 'None' })).obj.spec!;
    expect(single.ipFamilyPolicy).toBe('RequireDualStack');
    expect(single.ipFamilies).toEqual(['IPv4', 'IPv6']);
    const withSelector = create(svc({ clusterIP: 'None', selector: { a: 'b' } })).obj.spec!;
    expect(withSelector.ipFamilyPolicy).toBe('SingleStack');
    expect(withSelector.ipFamilies).toEqual(['IPv4']);
    const dual = { ...config, secondaryServiceCIDR: 'fd00:10:96::/112' };
    const { obj } = create(svc({ clusterIP: 'None' }), dual);
    expect(obj.spec!.ipFamilyPolicy).toBe('RequireDualStack');
    expect(obj.spec!.ipFamilies).toEqual(['IPv4', 'IPv6']);
  });
});

describe('Service validation (fact sheet texts)', () => {
  it('port range', () => {
    expect(messages(create(svc({ ports: [{ port: 70000 }] })).errs)).toContain(
      'spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    );
  });
  it('names required with several ports, unique, DNS-1123 labels', () => {
    const m = messages(create(svc({ ports: [{ port: 80, name: 'http' }, { port: 81, name: 'http' }, { port: 82 }] })).errs);
    expect(m).toContain('spec.ports[1].name: Duplicate value: "http"');
    expect(m).toContain('spec.ports[2].name: Required value');
  });
  it('duplicate (port, protocol) pairs report the ServicePort key', () => {
    const m = messages(
      create(
        svc({
          ports: [
            { port: 80, name: 'a' },
            { port: 80, name: 'b' },
          ],
        }),
      ).errs,
    );
    expect(m).toContain(
      'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    );
  });
  it('nodePort on ClusterIP is forbidden', () => {
    const e = create(svc({ ports: [{ port: 80, nodePort: 30080 }] })).errs;
    expect(formatFieldErrors(e)).toBe("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  });
  it('protocol and type must be supported', () => {
    const m = messages(create(svc({ type: 'Fancy', ports: [{ port: 80, protocol: 'HTTP' }] })).errs);
    expect(m).toContain('spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"');
    expect(m).toContain('spec.type: Unsupported value: "Fancy": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"');
  });
  it('ports are required unless headless or ExternalName', () => {
    expect(messages(create(svc({})).errs)).toContain('spec.ports: Required value');
    expect(create(svc({ clusterIP: 'None' })).errs).toEqual([]);
    expect(create(svc({ type: 'ExternalName', externalName: 'example.com' })).errs).toEqual([]);
  });
  it('ExternalName rules', () => {
    expect(messages(create(svc({ type: 'ExternalName' })).errs)).toContain('spec.externalName: Required value');
    const m = messages(create(svc({ type: 'ExternalName', externalName: 'x.com', clusterIP: '127.96.0.9' })).errs);
    expect(m).toEqual(['spec.clusterIPs: Forbidden: may not be set for ExternalName services']);
    expect(messages(create(svc({ type: 'ExternalName', externalName: 'Bad_Host' })).errs)[0]).toMatch(
      /^spec\.externalName: Invalid value: "Bad_Host": a lowercase RFC 1123 subdomain/,
    );
  });
  it('targetPort names follow IANA rules', () => {
    const m = messages(create(svc({ ports: [{ port: 80, targetPort: 'http--x' }] })).errs);
    expect(m).toContain('spec.ports[0].targetPort: Invalid value: "http--x": must not contain consecutive hyphens');
  });
  it('RequireDualStack on a single-stack cluster', () => {
    const m = messages(create(svc({ ipFamilyPolicy: 'RequireDualStack', ports: [{ port: 80 }] })).errs);
    expect(m).toContain('spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services');
  });
  it('malformed clusterIP', () => {
    const m = messages(create(svc({ clusterIP: '300.1.1.1', ports: [{ port: 80 }] })).errs);
    expect(m).toContain('spec.clusterIPs[0]: Invalid value: "300.1.1.1": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  });
  it('affinity timeout range and allocateLoadBalancerNodePorts only for LB', () => {
    const m = messages(
      create(
        svc({
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 90000 } },
          ports: [{ port: 80 }],
          allocateLoadBalancerNodePorts: false,
        }),
      ).errs,
    );
    expect(m).toContain(
      'spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 90000: must be greater than 0 and less than 86400',
    );
    expect(m).toContain("spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'");
  });
  it('clusterIP is immutable on update, but kept when a PUT omits it', () => {
    const old = create(svc({ ports: [{ port: 80 }] })).obj;
    old.spec!.clusterIP = '127.96.0.20';
    old.spec!.clusterIPs = ['127.96.0.20'];
    const keep = svc({ ports: [{ port: 80 }] });
    serviceDef.defaults!(keep, ctx());
    serviceDef.prepareForUpdate!(keep, old, ctx());
    expect(keep.spec!.clusterIP).toBe('127.96.0.20');
    expect(serviceDef.validateUpdate!(keep, old, ctx())).toEqual([]);
    const moved = svc({ clusterIP: '127.96.0.21', clusterIPs: ['127.96.0.21'], ports: [{ port: 80 }] });
    serviceDef.defaults!(moved, ctx());
    serviceDef.prepareForUpdate!(moved, old, ctx());
    const m = messages(serviceDef.validateUpdate!(moved, old, ctx()));
    expect(m).toEqual(['spec.clusterIPs[0]: Invalid value: []string{"127.96.0.21"}: may not change once set']);
  });
  it('switching NodePort → ClusterIP drops the node ports it had', () => {
    const old = create(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })).obj;
    const next = structuredClone(old);
    next.spec!.type = 'ClusterIP';
    serviceDef.defaults!(next, ctx());
    serviceDef.prepareForUpdate!(next, old, ctx());
    expect(next.spec!.ports![0]!.nodePort).toBeUndefined();
    expect(next.spec!.externalTrafficPolicy).toBeUndefined();
    expect(serviceDef.validateUpdate!(next, old, ctx())).toEqual([]);
  });
});

describe('Service table', () => {
  const now = new Date('2025-01-01T00:05:00Z');
  const cols = serviceDef.table.columns;
  it('has upstream columns, Selector only with -o wide', () => {
    expect(cols.map((c) => c.name)).toEqual(['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector']);
    expect(cols.map((c) => c.priority)).toEqual([0, 0, 0, 0, 0, 0, 1]);
  });
  it('prints ClusterIP, NodePort, LoadBalancer and ExternalName rows', () => {
    const c = svc({ type: 'ClusterIP', clusterIPs: ['127.96.0.1'], ports: [{ port: 443, protocol: 'TCP' }], selector: { b: '2', a: '1' } });
    expect(serviceDef.table.row(c, now)).toEqual(['web', 'ClusterIP', '127.96.0.1', '<none>', '443/TCP', '5m', 'a=1,b=2']);
    const np = svc({
      type: 'NodePort',
      clusterIPs: ['127.96.0.2'],
      ports: [
        { port: 80, protocol: 'TCP', nodePort: 30080 },
        { port: 53, protocol: 'UDP', nodePort: 30053 },
      ],
    });
    expect(serviceDef.table.row(np, now).slice(2, 5)).toEqual(['127.96.0.2', '<none>', '80:30080/TCP,53:30053/UDP']);
    const lb = svc({ type: 'LoadBalancer', clusterIPs: ['127.96.0.3'], ports: [{ port: 80, protocol: 'TCP', nodePort: 31000 }] });
    expect(serviceDef.table.row(lb, now)[3]).toBe('<pending>');
    lb.status = { loadBalancer: { ingress: [{ ip: '127.240.0.9' }, { ip: '127.240.0.5' }] } };
    expect(serviceDef.table.row(lb, now)[3]).toBe('127.240.0.5,127.240.0.9');
    const en = svc({ type: 'ExternalName', externalName: 'example.com' });
    expect(serviceDef.table.row(en, now).slice(1, 7)).toEqual(['ExternalName', '<none>', 'example.com', '<none>', '5m', '<none>']);
  });
});
