// Ingress, IngressClass and NetworkPolicy validation texts and defaults, as upstream's
// pkg/apis/networking/validation and v1/defaults.go produce them.
import { describe, expect, it } from 'vitest';
import { fieldErrorString, type FieldError } from '../../src/apimachinery/field.js';
import {
  validateIngressClass,
  validateIngressClassUpdate,
  validateIngressCreate,
  validateIngressStatusUpdate,
  validateIngressUpdate,
  type IngressClassObj,
  type IngressObj,
} from '../../src/registry/networking/ingress-validation.js';
import {
  validateNetworkPolicy,
  validateNetworkPolicyUpdate,
  type NetworkPolicyObj,
} from '../../src/registry/networking/networkpolicy-validation.js';
import { defaultNetworkPolicy } from '../../src/registry/networking/networkpolicy.js';
import { formatHosts, ingressDef, loadBalancerAddresses } from '../../src/registry/networking/ingress.js';
import { ingressClassDef } from '../../src/registry/networking/ingressclass.js';
import type { WriteContext } from '../../src/registry/types.js';

const texts = (errs: FieldError[]) => errs.map(fieldErrorString);

const svc = (name = 'svc1', port: { number?: number; name?: string } = { number: 80 }) => ({ service: { name, port } });

function ingress(spec: Record<string, unknown>, annotations?: Record<string, string>): IngressObj {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'ing', namespace: 'default', annotations },
    spec,
  } as IngressObj;
}

const pathRule = (path: Record<string, unknown>, host?: string) => ({ host, http: { paths: [path] } });

describe('ValidateIngress', () => {
  it('accepts a rule with Prefix, Exact and ImplementationSpecific paths and TLS', () => {
    const ing = ingress({
      rules: [
        {
          host: 'foo.com',
          http: {
            paths: [
              { path: '/bar', pathType: 'Prefix', backend: svc() },
              { path: '/exact', pathType: 'Exact', backend: svc('svc2', { name: 'http' }) },
              { pathType: 'ImplementationSpecific', backend: svc() },
            ],
          },
        },
        pathRule({ path: '/', pathType: 'Prefix', backend: svc() }, '*.example.com'),
      ],
      tls: [{ hosts: ['foo.com', '*.example.com'], secretName: 'my-cert' }],
    });
    expect(texts(validateIngressCreate(ing))).toEqual([]);
  });

  it('requires rules or a default backend', () => {
    expect(texts(validateIngressCreate(ingress({})))).toEqual([
      'spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified',
    ]);
    expect(texts(validateIngressCreate(ingress({ rules: [] })))).toEqual([
      'spec: Invalid value: []networking.IngressRule{}: either `defaultBackend` or `rules` must be specified',
    ]);
  });

  it('checks paths as upstream: absolute, no bad sequences or suffixes, pathType required and known', () => {
    const errs = texts(
      validateIngressCreate(
        ingress({
          rules: [
            {
              http: {
                paths: [
                  { path: 'foo', pathType: 'Prefix', backend: svc() },
                  { path: '/a//b', pathType: 'Exact', backend: svc() },
                  { path: '/a/..', pathType: 'Prefix', backend: svc() },
                  { path: '/x', backend: svc() },
                  { path: '/x', pathType: 'Regex', backend: svc() },
                  { path: 'rel', pathType: 'ImplementationSpecific', backend: svc() },
                ],
              },
            },
          ],
        }),
      ),
    );
    expect(errs).toEqual([
      'spec.rules[0].http.paths[0].path: Invalid value: "foo": must be an absolute path',
      'spec.rules[0].http.paths[1].path: Invalid value: "/a//b": must not contain \'//\'',
      'spec.rules[0].http.paths[2].path: Invalid value: "/a/..": cannot end with \'/..\'',
      'spec.rules[0].http.paths[3].pathType: Required value: pathType must be specified',
      'spec.rules[0].http.paths[4].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
      'spec.rules[0].http.paths[5].path: Invalid value: "rel": must be an absolute path',
    ]);
  });

  it('requires paths in an http rule', () => {
    expect(texts(validateIngressCreate(ingress({ rules: [{ host: 'a.com', http: { paths: [] } }] })))).toEqual([
      'spec.rules[0].http.paths: Required value',
    ]);
  });

  it('checks backends: service or resource, one port, DNS-1035 service names', () => {
    const errs = texts(
      validateIngressCreate(
        ingress({
          defaultBackend: {},
          rules: [
            {
              http: {
                paths: [
                  { path: '/a', pathType: 'Prefix', backend: { ...svc(), resource: { kind: 'Bucket', name: 'b' } } },
                  { path: '/b', pathType: 'Prefix', backend: { service: { name: '1svc', port: { number: 70000 } } } },
                  { path: '/c', pathType: 'Prefix', backend: { service: { name: 'svc', port: {} } } },
                  { path: '/d', pathType: 'Prefix', backend: { service: { name: 'svc', port: { number: 80, name: 'http' } } } },
                  { path: '/e', pathType: 'Prefix', backend: { resource: { apiGroup: 'example.com', kind: 'a/b' } } },
                ],
              },
            },
          ],
        }),
      ),
    );
    expect(errs).toEqual([
      'spec.defaultBackend: Invalid value: "": resource or service backend is required',
      'spec.rules[0].http.paths[0].backend: Invalid value: "": cannot set both resource and service backends',
      "spec.rules[0].http.paths[1].backend.service.name: Invalid value: \"1svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      'spec.rules[0].http.paths[1].backend.service.port.number: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.rules[0].http.paths[2].backend: Required value: port name or number is required',
      'spec.rules[0].http.paths[3].backend: Invalid value: "": cannot set both port name & port number',
      'spec.rules[0].http.paths[4].backend.resource.kind: Invalid value: "a/b": may not contain \'/\'',
      'spec.rules[0].http.paths[4].backend.resource.name: Required value',
    ]);
  });

  it('checks hosts: no IPs, wildcards as upstream defines them', () => {
    const rule = (host: string) => pathRule({ path: '/', pathType: 'Prefix', backend: svc() }, host);
    const errs = texts(validateIngressCreate(ingress({ rules: [rule('127.0.0.1'), rule('*.*.example.com'), rule('Foo.com')] })));
    expect(errs[0]).toBe('spec.rules[0].host: Invalid value: "127.0.0.1": must be a DNS name, not an IP address');
    expect(errs[1]).toBe(
      "spec.rules[1].host: Invalid value: \"*.*.example.com\": a wildcard DNS-1123 subdomain must start with '*.', followed by a valid DNS subdomain, which must consist of lower case alphanumeric characters, '-' or '.' and end with an alphanumeric character (e.g. '*.example.com', regex used for validation is '\\*\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
    expect(errs[2]).toMatch(/^spec\.rules\[2\]\.host: Invalid value: "Foo\.com": a lowercase RFC 1123 subdomain/);
    expect(errs).toHaveLength(3);
  });

  it('checks TLS hosts and secret names, and the class name', () => {
    const errs = texts(
      validateIngressCreate(
        ingress({
          defaultBackend: svc(),
          tls: [{ hosts: ['*.ok.com', 'BAD'], secretName: 'Bad_Secret' }],
          ingressClassName: 'Nope',
        }),
      ),
    );
    expect(errs.map((e) => e.slice(0, e.indexOf(': a ')))).toEqual([
      'spec.tls[0].hosts[1]: Invalid value: "BAD"',
      'spec.tls[0].secretName: Invalid value: "Bad_Secret"',
      'spec.ingressClassName: Invalid value: "Nope"',
    ]);
  });

  it('refuses a class annotation that disagrees with ingressClassName on create only', () => {
    const ing = ingress({ defaultBackend: svc(), ingressClassName: 'a' }, { 'kubernetes.io/ingress.class': 'b' });
    expect(texts(validateIngressCreate(ing))).toEqual([
      'annotations.kubernetes.io/ingress.class: Invalid value: "b": must match `ingressClassName` when both are specified',
    ]);
    expect(texts(validateIngressUpdate(ing, ing))).toEqual([]);
  });

  it('keeps accepting an invalid secret name or wildcard rule already stored', () => {
    const old = ingress({
      rules: [pathRule({ path: 'rel', pathType: 'Prefix', backend: svc() }, '*.example.com')],
      tls: [{ secretName: 'Bad_Secret' }],
    });
    expect(validateIngressCreate(old).length).toBe(2);
    expect(texts(validateIngressUpdate(old, old))).toEqual([]);
    const fresh = ingress({ defaultBackend: svc() });
    expect(validateIngressUpdate(old, fresh).length).toBe(2);
  });

  it('validates load-balancer status: IPs, hostnames that are not IPs', () => {
    const old = ingress({ defaultBackend: svc() });
    const next = {
      ...old,
      status: { loadBalancer: { ingress: [{ ip: 'nope' }, { hostname: '10.0.0.1' }, { ip: '127.0.0.1', hostname: 'lb.local' }] } },
    };
    expect(texts(validateIngressStatusUpdate(next as IngressObj))).toEqual([
      'status.loadBalancer.ingress[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
      'status.loadBalancer.ingress[1].hostname: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
    ]);
  });
});

describe('Ingress kind', () => {
  const ctx = {} as WriteContext;

  it('clears status and sets generation 1 on create; bumps generation on spec changes only', () => {
    const ing = ingress({ defaultBackend: svc() });
    (ing as IngressObj).status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
    ingressDef.prepareForCreate!(ing, ctx);
    expect(ing.status).toEqual({ loadBalancer: {} });
    expect(ing.metadata.generation).toBe(1);
    const next = structuredClone(ing);
    ingressDef.prepareForUpdate!(next, ing, ctx);
    expect(next.metadata.generation).toBe(1);
    (next as IngressObj).spec!.defaultBackend = svc('other');
    ingressDef.prepareForUpdate!(next, ing, ctx);
    expect(next.metadata.generation).toBe(2);
  });

  it('prints hosts and addresses as printIngress does', () => {
    expect(formatHosts([])).toBe('*');
    expect(formatHosts([{ host: 'a' }, {}, { host: 'b' }])).toBe('a,b');
    expect(formatHosts([{ host: 'a' }, { host: 'b' }, { host: 'c' }, { host: 'd' }, { host: 'e' }])).toBe('a,b,c + 2 more...');
    expect(loadBalancerAddresses({ ingress: [{ ip: '127.0.0.2' }, { hostname: 'lb' }, { ip: '127.0.0.1' }, { ip: '127.0.0.1' }] })).toBe(
      '127.0.0.1,127.0.0.2,lb',
    );
    const row = ingressDef.table.row(ingress({ rules: [{ host: 'foo.com' }], tls: [{}] }), new Date());
    expect(row.slice(0, 5)).toEqual(['ing', '<none>', 'foo.com', '', '80, 443']);
  });
});

describe('ValidateIngressClass', () => {
  const ic = (spec: Record<string, unknown>) => ({ metadata: { name: 'c' }, spec }) as IngressClassObj;

  it('requires a domain-prefixed controller of at most 250 bytes', () => {
    expect(texts(validateIngressClass(ic({})))).toEqual(['spec.controller: Required value']);
    expect(texts(validateIngressClass(ic({ controller: 'nginx' })))).toEqual([
      'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
    ]);
    expect(texts(validateIngressClass(ic({ controller: `example.com/${'x'.repeat(250)}` })))).toEqual([
      'spec.controller: Too long: may not be more than 250 bytes',
    ]);
    expect(texts(validateIngressClass(ic({ controller: 'example.com/a b' })))).toEqual([
      "spec.controller: Invalid value: \"a b\": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')",
    ]);
  });

  it('checks parameters by scope, defaulted to Cluster', () => {
    const c = ic({ controller: 'example.com/c', parameters: { kind: 'Params', name: 'p' } });
    ingressClassDef.defaults!(c, {} as WriteContext);
    expect(c.spec?.parameters?.scope).toBe('Cluster');
    expect(texts(validateIngressClass(c))).toEqual([]);
    expect(
      texts(validateIngressClass(ic({ controller: 'example.com/c', parameters: { kind: 'P', name: 'p', scope: 'Namespace' } }))),
    ).toEqual(["spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'"]);
    expect(
      texts(
        validateIngressClass(ic({ controller: 'example.com/c', parameters: { kind: 'P', name: 'p', scope: 'Cluster', namespace: 'x' } })),
      ),
    ).toEqual(["spec.parameters.namespace: Forbidden: `parameters.scope` is set to 'Cluster'"]);
    expect(texts(validateIngressClass(ic({ controller: 'example.com/c', parameters: { kind: 'P', name: 'p', scope: 'Global' } })))).toEqual(
      ['spec.parameters.scope: Unsupported value: "Global": supported values: "Cluster", "Namespace"'],
    );
  });

  it('keeps the controller immutable', () => {
    expect(texts(validateIngressClassUpdate(ic({ controller: 'example.com/b' }), ic({ controller: 'example.com/a' })))).toEqual([
      'spec.controller: Invalid value: "example.com/b": field is immutable',
    ]);
  });

  it('prints parameters as Kind.group/name', () => {
    const row = ingressClassDef.table.row(
      ic({ controller: 'example.com/c', parameters: { apiGroup: 'k8s.example.com', kind: 'P', name: 'p' } }) as never,
      new Date(),
    );
    expect(row.slice(0, 3)).toEqual(['c', 'example.com/c', 'P.k8s.example.com/p']);
  });
});

describe('NetworkPolicy', () => {
  const np = (spec: Record<string, unknown>) => ({ metadata: { name: 'np', namespace: 'default' }, spec }) as NetworkPolicyObj;

  it('defaults policyTypes and port protocols', () => {
    const a = np({ podSelector: {}, ingress: [{ ports: [{ port: 80 }, { port: 53, protocol: 'UDP' }] }] });
    defaultNetworkPolicy(a);
    expect(a.spec?.policyTypes).toEqual(['Ingress']);
    expect(a.spec?.ingress?.[0]?.ports?.map((p) => p.protocol)).toEqual(['TCP', 'UDP']);
    const b = np({ podSelector: {}, egress: [{ ports: [{ port: 443 }] }] });
    defaultNetworkPolicy(b);
    expect(b.spec?.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(b.spec?.egress?.[0]?.ports?.[0]?.protocol).toBe('TCP');
    const c = np({ podSelector: {}, egress: [{}], policyTypes: ['Egress'] });
    defaultNetworkPolicy(c);
    expect(c.spec?.policyTypes).toEqual(['Egress']);
  });

  it('validates ports, peers, ipBlocks and policyTypes with upstream texts', () => {
    const errs = texts(
      validateNetworkPolicy(
        np({
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [
            {
              ports: [{ protocol: 'ICMP', port: 80 }, { port: 90, endPort: 80 }, { port: 'http', endPort: 90 }, { endPort: 9 }],
              from: [
                {},
                { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} },
                { ipBlock: { cidr: '10.0.0.0/16', except: ['10.1.0.0/24', '10.0.0.0/16'] } },
              ],
            },
          ],
          egress: [{ to: [{ ipBlock: { cidr: '' } }, { ipBlock: { cidr: 'nope' } }] }],
          policyTypes: ['Ingress', 'Sideways'],
        }),
      ),
    );
    expect(errs).toEqual([
      'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      'spec.ingress[0].ports[1].endPort: Invalid value: 80: must be greater than or equal to `port`',
      'spec.ingress[0].ports[2].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
      'spec.ingress[0].ports[3].endPort: Invalid value: 9: may not be specified when `port` is not specified',
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
      'spec.ingress[0].from[2].ipBlock.except[0]: Invalid value: "10.1.0.0/24": must be a strict subset of `cidr`',
      'spec.ingress[0].from[2].ipBlock.except[1]: Invalid value: "10.0.0.0/16": must be a strict subset of `cidr`',
      'spec.egress[0].to[0].ipBlock.cidr: Required value',
      'spec.egress[0].to[1].ipBlock.cidr: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"',
    ]);
  });

  it('refuses more than two policyTypes', () => {
    expect(texts(validateNetworkPolicy(np({ podSelector: {}, policyTypes: ['Ingress', 'Egress', 'Ingress'] })))).toEqual([
      'spec.policyTypes: Invalid value: []networking.PolicyType{"Ingress", "Egress", "Ingress"}: may not specify more than two policyTypes',
    ]);
  });

  it('keeps accepting CIDRs and selector values already stored', () => {
    const old = np({
      podSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: ['bad value'] }] },
      ingress: [{ from: [{ ipBlock: { cidr: 'junk' } }] }],
    });
    expect(validateNetworkPolicy(old).length).toBe(2);
    expect(texts(validateNetworkPolicyUpdate(old, old))).toEqual([]);
    expect(validateNetworkPolicyUpdate(old, np({ podSelector: {} })).length).toBe(2);
  });
});
