// The routing table of ingress-routes.ts: host rules (precise, wildcard, any), path matching by
// element with Exact beating Prefix and the longest path winning, the default backend, TLS hosts,
// which Ingresses a controller's classes take, and the DefaultIngressClass admission.
import { describe, expect, it } from 'vitest';
import {
  buildRoutingTable,
  ingressSelector,
  normalizeHost,
  pathMatches,
  route,
  tlsFor,
  type RoutingTable,
} from '../../src/registry/networking/ingress-routes.js';
import { admitIngressClass, defaultIngressClass } from '../../src/registry/networking/default-ingress-class.js';
import type { IngressClassObj, IngressObj } from '../../src/registry/networking/ingress-validation.js';
import type { WriteContext } from '../../src/registry/types.js';
import type { StoreTx } from '../../src/storage/store.js';

const backend = (name: string, number = 80) => ({ service: { name, port: { number } } });
const p = (path: string, pathType: string, svc: string) => ({ path, pathType, backend: backend(svc) });

function ing(name: string, spec: IngressObj['spec'], extra: Partial<IngressObj['metadata']> = {}): IngressObj {
  return { metadata: { name, namespace: 'default', creationTimestamp: '2026-01-01T00:00:00Z', ...extra }, spec } as IngressObj;
}

/** The Service a request reaches, or undefined. */
const to = (t: RoutingTable, host: string | undefined, path: string) => route(t, host, path)?.to.backend.service?.name;

describe('path matching', () => {
  it('matches Prefix element by element, ignoring a trailing slash', () => {
    const prefix = (path: string) => ({ path: path.length > 1 ? path.replace(/\/+$/, '') : path, type: 'Prefix' as const });
    expect(pathMatches(prefix('/'), '/anything')).toBe(true);
    expect(pathMatches(prefix('/foo'), '/foo')).toBe(true);
    expect(pathMatches(prefix('/foo'), '/foo/')).toBe(true);
    expect(pathMatches(prefix('/foo'), '/foo/bar')).toBe(true);
    expect(pathMatches(prefix('/foo'), '/foobar')).toBe(false);
    expect(pathMatches(prefix('/foo/bar'), '/foo/barbaz')).toBe(false);
    expect(pathMatches(prefix('/foo/'), '/foo')).toBe(true);
    expect(pathMatches(prefix('/Foo'), '/foo')).toBe(false);
  });

  it('matches Exact on the whole path only', () => {
    expect(pathMatches({ path: '/foo', type: 'Exact' }, '/foo')).toBe(true);
    expect(pathMatches({ path: '/foo', type: 'Exact' }, '/foo/')).toBe(false);
    expect(pathMatches({ path: '/foo', type: 'Exact' }, '/foo/bar')).toBe(false);
  });
});

describe('routing table', () => {
  const table = buildRoutingTable([
    ing('a', {
      rules: [
        {
          host: 'foo.com',
          http: {
            paths: [
              p('/', 'Prefix', 'root'),
              p('/aaa', 'Prefix', 'aaa'),
              p('/aaa/bbb', 'Prefix', 'aaabbb'),
              p('/exact', 'Exact', 'exact'),
              p('/exact', 'Prefix', 'exact-prefix'),
              p('/impl', 'ImplementationSpecific', 'impl'),
            ],
          },
        },
        { host: '*.example.com', http: { paths: [p('/', 'Prefix', 'wild')] } },
        { http: { paths: [p('/any', 'Prefix', 'any')] } },
      ],
      tls: [{ hosts: ['foo.com', '*.example.com'], secretName: 'foo-cert' }],
    }),
  ]);

  it('picks the longest matching path, Exact before Prefix at equal length', () => {
    expect(to(table, 'foo.com', '/aaa/bbb')).toBe('aaabbb');
    expect(to(table, 'foo.com', '/aaa/bbb/ccc')).toBe('aaabbb');
    expect(to(table, 'foo.com', '/aaa/bbbxyz')).toBe('aaa');
    expect(to(table, 'foo.com', '/aaa')).toBe('aaa');
    expect(to(table, 'foo.com', '/other')).toBe('root');
    expect(to(table, 'foo.com', '/exact')).toBe('exact');
    expect(to(table, 'foo.com', '/exact/more')).toBe('exact-prefix');
    expect(to(table, 'foo.com', '/impl/x?q=1')).toBe('impl');
  });

  it('matches hosts without port and case, wildcards by exactly one label', () => {
    expect(to(table, 'FOO.com:8080', '/aaa')).toBe('aaa');
    expect(to(table, 'bar.example.com', '/x')).toBe('wild');
    expect(to(table, 'example.com', '/any')).toBe('any');
    expect(to(table, 'a.b.example.com', '/any')).toBe('any');
    expect(to(table, undefined, '/any/x')).toBe('any');
    expect(to(table, 'other.org', '/nothing')).toBeUndefined();
    expect(normalizeHost('[::1]:8443')).toBe('[::1]');
  });

  it('gives TLS secrets by precise, then wildcard host', () => {
    expect(tlsFor(table, 'foo.com')).toEqual({ namespace: 'default', secretName: 'foo-cert', ingress: 'a' });
    expect(tlsFor(table, 'x.example.com')?.secretName).toBe('foo-cert');
    expect(tlsFor(table, 'x.y.example.com')).toBeUndefined();
  });

  it('falls back to the oldest default backend, also inside a matched host', () => {
    const t = buildRoutingTable([
      ing('new', { defaultBackend: backend('new-default') }, { creationTimestamp: '2026-02-01T00:00:00Z' }),
      ing('old', { defaultBackend: backend('old-default'), rules: [{ host: 'h.com', http: { paths: [p('/x', 'Exact', 'x')] } }] }),
    ]);
    expect(to(t, 'h.com', '/x')).toBe('x');
    expect(route(t, 'h.com', '/y')).toEqual({ to: { namespace: 'default', ingress: 'old', backend: backend('old-default') } });
    expect(to(t, 'elsewhere', '/')).toBe('old-default');
  });

  it('merges Ingresses for one host; at a full tie the oldest wins; a TLS entry without hosts is the fallback', () => {
    const t = buildRoutingTable([
      ing('b', { rules: [{ host: 'h.com', http: { paths: [p('/api', 'Prefix', 'b-api'), p('/web', 'Prefix', 'b-web')] } }] }),
      ing('a', { rules: [{ host: 'h.com', http: { paths: [p('/api', 'Prefix', 'a-api')] } }], tls: [{ secretName: 'any-cert' }] }),
      ing(
        'c',
        { rules: [{ host: 'h.com', http: { paths: [p('/api/v2', 'Prefix', 'c-v2')] } }] },
        { deletionTimestamp: '2026-03-01T00:00:00Z' },
      ),
    ]);
    expect(to(t, 'h.com', '/api/v1')).toBe('a-api');
    expect(to(t, 'h.com', '/api/v2')).toBe('a-api');
    expect(to(t, 'h.com', '/web')).toBe('b-web');
    expect(tlsFor(t, 'anything.org')?.secretName).toBe('any-cert');
  });
});

describe('classes', () => {
  const cls = (name: string, controller: string, isDefault = false, created = '2026-01-01T00:00:00Z'): IngressClassObj =>
    ({
      metadata: {
        name,
        creationTimestamp: created,
        annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : undefined,
      },
      spec: { controller },
    }) as IngressClassObj;

  it('picks the newest default class, the first name at equal times', () => {
    expect(defaultIngressClass([cls('a', 'x/y')])).toBeUndefined();
    expect(defaultIngressClass([cls('a', 'x/y', true), cls('b', 'x/y', true, '2026-02-01T00:00:00Z')])?.metadata.name).toBe('b');
    expect(defaultIngressClass([cls('z', 'x/y', true), cls('m', 'x/y', true)])?.metadata.name).toBe('m');
  });

  it("selects a controller's Ingresses by class, annotation, or default class", () => {
    const classes = [cls('mine', 'tinykube.io/ingress', true), cls('theirs', 'example.com/other')];
    const sel = ingressSelector(classes, 'tinykube.io/ingress');
    expect(sel(ing('a', { ingressClassName: 'mine' }))).toBe(true);
    expect(sel(ing('b', { ingressClassName: 'theirs' }))).toBe(false);
    expect(sel(ing('c', {}, { annotations: { 'kubernetes.io/ingress.class': 'mine' } }))).toBe(true);
    expect(sel(ing('d', {}))).toBe(true);
    expect(ingressSelector([cls('mine', 'tinykube.io/ingress')], 'tinykube.io/ingress')(ing('d', {}))).toBe(false);
  });

  it('admission fills ingressClassName from the default class, unless a class is named', () => {
    const tx = {
      list: (resource: string) => (resource === 'networking.k8s.io/ingressclasses' ? [cls('nginx', 'k8s.io/ingress-nginx', true)] : []),
    };
    const ctx = { tx: tx as unknown as StoreTx } as WriteContext;
    const a = ing('a', { defaultBackend: backend('s') });
    admitIngressClass(a, ctx);
    expect(a.spec?.ingressClassName).toBe('nginx');
    const b = ing('b', { ingressClassName: 'other' });
    admitIngressClass(b, ctx);
    expect(b.spec?.ingressClassName).toBe('other');
    const c = ing('c', {}, { annotations: { 'kubernetes.io/ingress.class': 'legacy' } });
    admitIngressClass(c, ctx);
    expect(c.spec?.ingressClassName).toBeUndefined();
    const none = { tx: { list: () => [] } as unknown as StoreTx } as WriteContext;
    const d = ing('d', {});
    admitIngressClass(d, none);
    expect(d.spec?.ingressClassName).toBeUndefined();
  });
});
