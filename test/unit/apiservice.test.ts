// The pure parts of APIService: upstream's validation texts (kube-aggregator
// pkg/apis/apiregistration/validation), the table's SERVICE and AVAILABLE cells, the local
// APIServices' priorities, the aggregator's header rules and version order, and the
// availability checks that need no network.
import { describe, it, expect } from 'vitest';
import { fieldErrorString } from '../../src/apimachinery/field.js';
import { validateAPIService, validateAPIServiceStatus, type APIServiceObj } from '../../src/registry/apiregistration/validation.js';
import { apiServiceDef, localAPIService } from '../../src/registry/apiregistration/apiservice.js';
import { headerKeyEscape, authProxyHeaders } from '../../src/server/aggregator/front-proxy.js';
import { proxiedRequestHeaders } from '../../src/server/aggregator/proxy.js';
import { sortGroupVersions, versionDiscovery } from '../../src/server/aggregator/discovery.js';
import { serviceCondition } from '../../src/server/aggregator/available.js';
import { resolveEndpoint, type ServiceLookup } from '../../src/server/aggregator/resolve.js';

const svc = (name: string, spec: Record<string, unknown>, extra: Partial<APIServiceObj> = {}): APIServiceObj =>
  ({ apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: { name }, spec, ...extra }) as APIServiceObj;
const errs = (s: APIServiceObj) => validateAPIService(s).map(fieldErrorString);

describe('APIService validation', () => {
  it('accepts a remote and a local APIService', () => {
    expect(errs(svc('v1.', { version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 }))).toEqual([]);
    expect(
      errs(
        svc('v1alpha1.wardle.example.com', {
          group: 'wardle.example.com',
          version: 'v1alpha1',
          groupPriorityMinimum: 1000,
          versionPriority: 15,
          service: { namespace: 'wardle', name: 'api', port: 443 },
          insecureSkipTLSVerify: true,
        }),
      ),
    ).toEqual([]);
  });

  it('says what upstream says of names, groups, versions and priorities', () => {
    expect(errs(svc('a/b', { group: 'g.io', version: 'v1', groupPriorityMinimum: 1, versionPriority: 1 }))).toEqual([
      `metadata.name: Invalid value: "a/b": may not contain '/'`,
    ]);
    expect(errs(svc('v2.', { version: 'v2', groupPriorityMinimum: 20001, versionPriority: 1001 }))).toEqual([
      'spec.group: Required value: only v1 may have an empty group and it better be legacy kube',
      'spec.groupPriorityMinimum: Invalid value: 20001: must be positive and less than 20000',
      'spec.versionPriority: Invalid value: 1001: must be positive and less than 1000',
    ]);
    expect(errs(svc('V1.g.io', { group: 'g.io', version: 'V1', groupPriorityMinimum: 1, versionPriority: 1 }))).toEqual([
      `spec.version: Invalid value: "V1": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
  });

  it('keeps TLS settings to remote APIServices, and a caBundle from insecureSkipTLSVerify', () => {
    const ca = Buffer.from('12345').toString('base64');
    expect(errs(svc('v1.g.io', { group: 'g.io', version: 'v1', groupPriorityMinimum: 1, versionPriority: 1, caBundle: ca }))).toEqual([
      'spec.caBundle: Invalid value: "5 bytes": local APIServices may not have a caBundle',
    ]);
    expect(
      errs(
        svc('v1.g.io', {
          group: 'g.io',
          version: 'v1',
          groupPriorityMinimum: 1,
          versionPriority: 1,
          caBundle: ca,
          insecureSkipTLSVerify: true,
          service: {},
        }),
      ),
    ).toEqual([
      'spec.service.namespace: Required value',
      'spec.service.name: Required value',
      'spec.insecureSkipTLSVerify: Invalid value: true: may not be true if caBundle is present',
    ]);
  });

  it('allows condition statuses True, False and Unknown', () => {
    const s = svc('v1.', {}, { status: { conditions: [{ type: 'Available', status: 'Maybe' }] } });
    expect(validateAPIServiceStatus(s).map(fieldErrorString)).toEqual([
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"',
    ]);
  });
});

describe('APIService table', () => {
  const now = new Date('2026-01-01T00:10:00Z');
  const row = (s: APIServiceObj) =>
    apiServiceDef.table.row({ ...s, metadata: { ...s.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } }, now);
  it('prints Local or namespace/name, and the Available condition with its reason when not True', () => {
    expect(row(svc('v1.apps', {}, { status: { conditions: [{ type: 'Available', status: 'True', reason: 'Local' }] } }))).toEqual([
      'v1.apps',
      'Local',
      'True',
      '10m',
    ]);
    expect(
      row(
        svc(
          'v1.g.io',
          { service: { namespace: 'ns', name: 'api' } },
          { status: { conditions: [{ type: 'Available', status: 'False', reason: 'MissingEndpoints' }] } },
        ),
      ),
    ).toEqual(['v1.g.io', 'ns/api', 'False (MissingEndpoints)', '10m']);
    expect(row(svc('v1.g.io', { service: { namespace: 'ns', name: 'api' } }))[2]).toBe('Unknown');
  });
});

describe('local APIServices', () => {
  it('take upstream’s priorities, CRDs theirs, and none for a group version upstream does not list', () => {
    expect(localAPIService('', 'v1', false)?.spec).toEqual({ version: 'v1', groupPriorityMinimum: 18000, versionPriority: 1 });
    expect(localAPIService('autoscaling', 'v2', false)?.spec).toEqual({
      group: 'autoscaling',
      version: 'v2',
      groupPriorityMinimum: 17500,
      versionPriority: 30,
    });
    expect(localAPIService('example.org', 'v1', true)?.metadata).toEqual({
      name: 'v1.example.org',
      labels: { 'kube-aggregator.kubernetes.io/automanaged': 'true' },
    });
    expect(localAPIService('unknown.io', 'v1', false)).toBeUndefined();
  });
});

describe('the aggregator', () => {
  it('sends the user in X-Remote-* headers and drops the caller’s credentials', () => {
    const user = { username: 'jane', groups: ['dev', 'system:authenticated'], extra: { 'example.org/scopes': ['a', 'b'] } };
    expect(authProxyHeaders(user)).toEqual([
      'X-Remote-User',
      'jane',
      'X-Remote-Group',
      'dev',
      'X-Remote-Group',
      'system:authenticated',
      'X-Remote-Extra-example.org%2Fscopes',
      'a',
      'X-Remote-Extra-example.org%2Fscopes',
      'b',
    ]);
    expect(headerKeyEscape('a%b c')).toBe('a%25b%20c');
    const sent = proxiedRequestHeaders(
      [
        'Authorization',
        'Bearer x',
        'Impersonate-User',
        'root',
        'X-Remote-User',
        'forged',
        'Accept',
        'application/json',
        'Connection',
        'keep-alive',
      ],
      user,
      '127.0.0.1:4443',
      '127.0.0.1',
    );
    expect(sent.slice(0, 6)).toEqual(['Accept', 'application/json', 'Host', '127.0.0.1:4443', 'X-Forwarded-For', '127.0.0.1']);
    expect(sent.filter((_, i) => i % 2 === 0)).not.toContain('Authorization');
    expect(sent.filter((h) => h === 'forged' || h === 'root')).toEqual([]);
  });

  it('orders a group’s versions by priority, then as kube-like versions', () => {
    const s = (version: string, versionPriority: number) => svc(`${version}.g.io`, { group: 'g.io', version, versionPriority });
    expect(
      sortGroupVersions([s('v1beta1', 10), s('v1', 10), s('v2alpha1', 10), s('foo', 10), s('v1alpha1', 20)]).map((x) => x.spec!.version),
    ).toEqual(['v1alpha1', 'v1', 'v1beta1', 'v2alpha1', 'foo']);
  });

  it('turns a server’s APIResourceList into aggregated discovery', () => {
    const v = versionDiscovery('g.io', 'v1', {
      resources: [
        { name: 'things', singularName: 'thing', namespaced: true, kind: 'Thing', verbs: ['get', 'list'], shortNames: ['th'] },
        { name: 'things/status', namespaced: true, kind: 'Thing', verbs: ['get'] },
      ],
    });
    expect(v).toEqual({
      version: 'v1',
      freshness: 'Current',
      resources: [
        {
          resource: 'things',
          responseKind: { group: 'g.io', version: 'v1', kind: 'Thing' },
          scope: 'Namespaced',
          singularResource: 'thing',
          verbs: ['get', 'list'],
          shortNames: ['th'],
          subresources: [{ subresource: 'status', responseKind: { group: 'g.io', version: 'v1', kind: 'Thing' }, verbs: ['get'] }],
        },
      ],
    });
  });

  it('checks the Service, its port and its endpoints before asking the server, in upstream’s words', () => {
    const remote = svc('v1.g.io', { group: 'g.io', version: 'v1', service: { namespace: 'ns', name: 'api', port: 443 } });
    const lookup = (service?: object, slices: object[] = []): ServiceLookup => ({
      service: () => service as ReturnType<ServiceLookup['service']>,
      slices: () => slices as ReturnType<ServiceLookup['slices']>,
    });
    expect(serviceCondition(remote, lookup())).toEqual({
      type: 'Available',
      status: 'False',
      reason: 'ServiceNotFound',
      message: 'service/api in "ns" is not present',
    });
    const service = { metadata: { name: 'api' }, spec: { ports: [{ name: 'https', port: 443 }] } };
    expect(
      serviceCondition({ ...remote, spec: { ...remote.spec!, service: { namespace: 'ns', name: 'api', port: 8443 } } }, lookup(service))
        ?.message,
    ).toBe('service/api in "ns" is not listening on port 8443');
    expect(serviceCondition(remote, lookup(service))?.message).toBe('cannot find endpointslices for service/api in "ns"');
    const notReady = { endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: false } }], ports: [{ name: 'https', port: 4443 }] };
    expect(serviceCondition(remote, lookup(service, [notReady]))).toEqual({
      type: 'Available',
      status: 'False',
      reason: 'MissingEndpoints',
      message: 'endpointslices for service/api in "ns" have no addresses with port name "https"',
    });
    const ready = { endpoints: [{ addresses: ['127.0.0.1'], conditions: { ready: true } }], ports: [{ name: 'https', port: 4443 }] };
    expect(serviceCondition(remote, lookup(service, [ready]))).toBeUndefined();
    expect(resolveEndpoint(lookup(service, [ready]), 'ns', 'api', 443)).toBe('127.0.0.1:4443');
    expect(() => resolveEndpoint(lookup(service, [notReady]), 'ns', 'api', 443)).toThrow('no endpoints available for service "api"');
  });
});
