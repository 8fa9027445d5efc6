// Where the proxy subresources send requests (upstream's service and pod ResourceLocation), and the
// URL pieces of upstream's proxy handler: backend path, Location rewriting, Go's dial errors.
import { describe, it, expect } from 'vitest';
import {
  backendPath,
  goDialError,
  resolvePodTarget,
  resolveServiceTarget,
  rewriteLocation,
  splitSchemeNamePort,
  type ProxyLookup,
} from '../../src/server/apiproxy/location.js';
import type { EndpointSliceObj } from '../../src/registry/endpointslice.js';
import type { ServiceObj } from '../../src/registry/service/strategy.js';
import type { PodObj } from '../../src/registry/pod/strategy.js';
import { StatusError } from '../../src/apimachinery/errors.js';

const svc = (name: string, ports: { name?: string; port: number }[]): ServiceObj =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'ns' }, spec: { ports } }) as ServiceObj;
const pod = (name: string, ips: string[], ports: number[] = []): PodObj =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: { containers: [{ name: 'a' }, { name: 'b', ports: ports.map((containerPort) => ({ containerPort })) }] },
    status: { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) },
  }) as PodObj;
type Ep = { ip: string; pod?: string; ready?: boolean; terminating?: boolean; ns?: string };
const slice = (service: string, ports: { name?: string; port: number }[], eps: Ep[], addressType = 'IPv4'): EndpointSliceObj =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: `${service}-x`, namespace: 'ns', labels: { 'kubernetes.io/service-name': service } },
    addressType,
    ports,
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, terminating: e.terminating },
      targetRef: e.pod ? { kind: 'Pod', namespace: e.ns ?? 'ns', name: e.pod } : undefined,
    })),
  }) as EndpointSliceObj;

function lookup(o: { services?: ServiceObj[]; slices?: EndpointSliceObj[]; endpoints?: string[]; pods?: PodObj[] }): ProxyLookup {
  return {
    service: (_ns, n) => o.services?.find((s) => s.metadata.name === n),
    slices: (_ns, n) => (o.slices ?? []).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === n),
    endpointsExist: (_ns, n) => (o.endpoints ?? []).includes(n),
    pod: (_ns, n) => o.pods?.find((p) => p.metadata.name === n),
  };
}

function failure(fn: () => unknown): [number, string] {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return [e.code, e.message];
    throw e;
  }
  throw new Error('no error');
}

describe('splitSchemeNamePort', () => {
  it('reads name, name:port and scheme:name:port, scheme http or https only', () => {
    expect(splitSchemeNamePort('web')).toEqual({ scheme: '', name: 'web', port: '' });
    expect(splitSchemeNamePort('web:http')).toEqual({ scheme: '', name: 'web', port: 'http' });
    expect(splitSchemeNamePort('https:web:443')).toEqual({ scheme: 'https', name: 'web', port: '443' });
    expect(splitSchemeNamePort('ftp:web:21')).toBeUndefined();
    expect(splitSchemeNamePort(':80')).toBeUndefined();
    expect(splitSchemeNamePort('a:b:c:d')).toBeUndefined();
  });
});

describe('resolveServiceTarget', () => {
  const web = svc('web', [
    { name: 'http', port: 80 },
    { name: 'admin', port: 9000 },
  ]);
  const pods = [pod('p1', ['127.1.0.1']), pod('p2', ['127.1.0.2']), pod('p3', ['127.1.0.3'])];
  const ports = [
    { name: 'http', port: 8080 },
    { name: 'admin', port: 9090 },
  ];

  it('turns a port number into its name and picks among the ready endpoints that name a Pod with the address', () => {
    const l = lookup({
      services: [web],
      pods,
      slices: [
        slice('web', ports, [
          { ip: '127.1.0.1', pod: 'p1' },
          { ip: '127.1.0.2', pod: 'p2', ready: false },
          { ip: '127.1.0.9', pod: 'p3' }, // the Pod does not have this address
          { ip: '127.1.0.3' }, // no targetRef
        ]),
        slice('web', ports, [{ ip: '127.1.0.3', pod: 'p3', ready: true }]),
      ],
    });
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = i / 20;
      const t = resolveServiceTarget(l, 'ns', 'web:80', () => r);
      seen.add(`${t.scheme} ${t.ip}:${t.port}`);
    }
    expect([...seen].sort()).toEqual(['http 127.1.0.1:8080', 'http 127.1.0.3:8080']);
    expect(resolveServiceTarget(l, 'ns', 'https:web:admin', () => 0)).toEqual({ scheme: 'https', ip: '127.1.0.1', port: 9090 });
  });

  it('answers upstream’s errors', () => {
    const l = lookup({
      services: [web, svc('empty', [{ port: 80 }]), svc('lone', [{ port: 80 }])],
      pods,
      endpoints: ['empty'],
      slices: [
        slice('web', ports, [{ ip: '127.1.0.2', pod: 'p2', ready: false }]),
        slice('other', ports, [{ ip: '127.1.0.1', pod: 'p1', ns: 'elsewhere' }]),
      ],
    });
    expect(failure(() => resolveServiceTarget(l, 'ns', 'nope:80'))).toEqual([404, 'services "nope" not found']);
    expect(failure(() => resolveServiceTarget(l, 'ns', 'nope'))).toEqual([404, 'endpoints "nope" not found']);
    expect(failure(() => resolveServiceTarget(l, 'ns', 'lone'))).toEqual([404, 'endpoints "lone" not found']);
    expect(failure(() => resolveServiceTarget(l, 'ns', 'web:81'))).toEqual([503, 'no service port 81 found for service "web"']);
    expect(failure(() => resolveServiceTarget(l, 'ns', 'empty:80'))).toEqual([503, 'no endpoints available for service "empty"']);
    // Endpoints exist but none is ready: the message names the request's id.
    expect(failure(() => resolveServiceTarget(l, 'ns', 'web:80'))).toEqual([503, 'no endpoints available for service "web:80"']);
    expect(failure(() => resolveServiceTarget(l, 'ns', 'other:x'))).toEqual([503, 'no endpoints available for service "other:x"']);
    expect(failure(() => resolveServiceTarget(l, 'ns', 'tcp:web:80'))).toEqual([400, 'invalid service request "tcp:web:80"']);
  });

  it('counts terminating endpoints as none, matches unnamed ports by the empty name and skips FQDN slices', () => {
    const l = lookup({
      services: [svc('s', [{ port: 80 }])],
      pods,
      slices: [slice('s', [{ name: '', port: 8080 }], [{ ip: '127.1.0.1', pod: 'p1', ready: false, terminating: true }])],
    });
    expect(failure(() => resolveServiceTarget(l, 'ns', 's'))).toEqual([503, 'no endpoints available for service "s"']);
    const ok = lookup({
      pods,
      slices: [
        slice('s', [{ port: 8080 }], [{ ip: 'p1.example', pod: 'p1' }], 'FQDN'),
        slice('s', [{ port: 8080 }], [{ ip: '127.1.0.1', pod: 'p1' }]),
      ],
    });
    expect(resolveServiceTarget(ok, 'ns', 's')).toEqual({ scheme: 'http', ip: '127.1.0.1', port: 8080 });
  });
});

describe('resolvePodTarget', () => {
  it('uses the given port, else the first declared container port, else none', () => {
    const l = lookup({
      pods: [pod('a', ['127.1.0.1'], [8080, 9090]), pod('b', ['::1']), pod('c', []), pod('d', ['169.254.1.1']), pod('e', ['0.0.0.0'])],
    });
    expect(resolvePodTarget(l, 'ns', 'a')).toEqual({ scheme: 'http', ip: '127.1.0.1', port: 8080 });
    expect(resolvePodTarget(l, 'ns', 'https:a:8443')).toEqual({ scheme: 'https', ip: '127.1.0.1', port: 8443 });
    expect(resolvePodTarget(l, 'ns', 'a:http')).toEqual({ scheme: 'http', ip: '127.1.0.1', port: 'http' });
    expect(resolvePodTarget(l, 'ns', 'b')).toEqual({ scheme: 'http', ip: '::1', port: undefined });
    expect(failure(() => resolvePodTarget(l, 'ns', 'c'))).toEqual([400, 'address not allowed']);
    expect(failure(() => resolvePodTarget(l, 'ns', 'd'))).toEqual([400, 'address not allowed']);
    expect(failure(() => resolvePodTarget(l, 'ns', 'e'))).toEqual([400, 'address not allowed']);
    expect(failure(() => resolvePodTarget(l, 'ns', 'z'))).toEqual([404, 'pods "z" not found']);
    expect(failure(() => resolvePodTarget(l, 'ns', 'x:a:1'))).toEqual([400, 'invalid pod request "x:a:1"']);
  });
});

describe('backendPath', () => {
  it('decodes, cleans (path.Join), keeps a trailing slash and re-escapes as Go', () => {
    expect(backendPath('')).toBe('');
    expect(backendPath('/')).toBe('/');
    expect(backendPath('/a//b/./c/../d/')).toBe('/a/b/d/');
    expect(backendPath('/../../etc/passwd')).toBe('/etc/passwd');
    expect(backendPath('/a%20b%2Fc')).toBe('/a%20b/c');
    expect(backendPath("/x!*'();:@&=+$,?é")).toBe('/x%21%2A%27%28%29;:@&=+$,%3F%C3%A9');
  });
});

describe('rewriteLocation', () => {
  const o = { backendHost: '127.1.0.1:8080', requestHost: '127.0.0.1:6443', prefix: '/api/v1/namespaces/ns/services/web:80/proxy' };
  it('sends redirects to the backend back through the proxy and leaves the others', () => {
    expect(rewriteLocation('/login?next=/x#f', o)).toBe('/api/v1/namespaces/ns/services/web:80/proxy/login?next=/x#f');
    expect(rewriteLocation('/dir/', o)).toBe('/api/v1/namespaces/ns/services/web:80/proxy/dir/');
    expect(rewriteLocation('http://127.1.0.1:8080/a', o)).toBe('/api/v1/namespaces/ns/services/web:80/proxy/a');
    expect(rewriteLocation('https://127.0.0.1:6443/b', o)).toBe('https://127.0.0.1:6443/api/v1/namespaces/ns/services/web:80/proxy/b');
    expect(rewriteLocation('/api/v1/namespaces/ns/services/web:80/proxy/c', o)).toBe('/api/v1/namespaces/ns/services/web:80/proxy/c');
    expect(rewriteLocation('http://other.example/a', o)).toBe('http://other.example/a');
    expect(rewriteLocation('next/page', o)).toBe('next/page');
    expect(rewriteLocation('http://127.1.0.1:8080', o)).toBe('http://127.1.0.1:8080');
  });
});

describe('goDialError', () => {
  const e = (code: string, message = code) => Object.assign(new Error(message), { code });
  it('says what Go’s transport says', () => {
    expect(goDialError(e('ECONNREFUSED'), '127.1.0.1:80')).toBe('dial tcp 127.1.0.1:80: connect: connection refused');
    expect(goDialError(e('ECONNRESET', 'socket hang up'), '127.1.0.1:80')).toBe('EOF');
    expect(
      goDialError(e('ECONNRESET', 'read ECONNRESET'), '127.1.0.1:80', {
        localAddress: '127.0.0.1',
        localPort: 5000,
        remoteAddress: '127.1.0.1',
        remotePort: 80,
      }),
    ).toBe('read tcp 127.0.0.1:5000->127.1.0.1:80: read: connection reset by peer');
    expect(goDialError(e('ERR_SSL_WRONG_VERSION_NUMBER'), 'h')).toBe('tls: first record does not look like a TLS handshake');
  });
});
