// RequestInfo as upstream's RequestInfoFactory derives it (requestinfo.go), and the impersonation
// filter's checks. The tables follow the cases of upstream's requestinfo_test.go, written as data.
import { describe, expect, it } from 'vitest';
import { impersonationChecks, requestInfo } from '../../src/server/auth/request-info.js';

type Row = [
  method: string,
  url: string,
  verb: string,
  prefix: string,
  group: string,
  version: string,
  ns: string,
  resource: string,
  sub: string,
  name: string,
  parts: string[],
];

const resourceCases: Row[] = [
  ['GET', '/api/v1/namespaces', 'list', 'api', '', 'v1', '', 'namespaces', '', '', ['namespaces']],
  ['GET', '/api/v1/namespaces/other', 'get', 'api', '', 'v1', 'other', 'namespaces', '', 'other', ['namespaces', 'other']],
  ['GET', '/api/v1/namespaces/other/pods', 'list', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods/foo', 'get', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['HEAD', '/api/v1/namespaces/other/pods/foo', 'get', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['GET', '/api/v1/pods', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['HEAD', '/api/v1/pods', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  [
    'PATCH',
    '/api/v1/namespaces/new-namespace',
    'patch',
    'api',
    '',
    'v1',
    'new-namespace',
    'namespaces',
    '',
    'new-namespace',
    ['namespaces', 'new-namespace'],
  ],
  // special verbs
  ['GET', '/api/v1/proxy/namespaces/other/pods/foo', 'proxy', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  [
    'GET',
    '/api/v1/proxy/namespaces/other/pods/foo/subpath/not/a/subresource',
    'proxy',
    'api',
    '',
    'v1',
    'other',
    'pods',
    '',
    'foo',
    ['pods', 'foo', 'subpath', 'not', 'a', 'subresource'],
  ],
  ['GET', '/api/v1/watch/pods', 'watch', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=true', 'watch', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=false', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=', 'watch', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/pods?watch=FALSE', 'list', 'api', '', 'v1', '', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/watch/namespaces/other/pods', 'watch', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/watch/namespaces/other/pods/foo', 'watch', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['GET', '/api/v1/namespaces/other/pods?watch=1', 'watch', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['GET', '/api/v1/namespaces/other/pods?watch=0', 'list', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  // subresources
  ['GET', '/api/v1/namespaces/other/pods/foo/status', 'get', 'api', '', 'v1', 'other', 'pods', 'status', 'foo', ['pods', 'foo', 'status']],
  [
    'GET',
    '/api/v1/namespaces/other/pods/foo/proxy/subpath',
    'get',
    'api',
    '',
    'v1',
    'other',
    'pods',
    'proxy',
    'foo',
    ['pods', 'foo', 'proxy', 'subpath'],
  ],
  [
    'PUT',
    '/api/v1/namespaces/other/finalize',
    'update',
    'api',
    '',
    'v1',
    'other',
    'namespaces',
    'finalize',
    'other',
    ['namespaces', 'other', 'finalize'],
  ],
  [
    'PUT',
    '/api/v1/namespaces/other/status',
    'update',
    'api',
    '',
    'v1',
    'other',
    'namespaces',
    'status',
    'other',
    ['namespaces', 'other', 'status'],
  ],
  ['POST', '/api/v1/namespaces/ns/pods/p/exec?command=ls', 'create', 'api', '', 'v1', 'ns', 'pods', 'exec', 'p', ['pods', 'p', 'exec']],
  ['GET', '/api/v1/namespaces/ns/pods/p/exec?command=ls', 'get', 'api', '', 'v1', 'ns', 'pods', 'exec', 'p', ['pods', 'p', 'exec']],
  ['POST', '/api/v1/namespaces/ns/pods/p/attach', 'create', 'api', '', 'v1', 'ns', 'pods', 'attach', 'p', ['pods', 'p', 'attach']],
  [
    'POST',
    '/api/v1/namespaces/ns/pods/p/portforward',
    'create',
    'api',
    '',
    'v1',
    'ns',
    'pods',
    'portforward',
    'p',
    ['pods', 'p', 'portforward'],
  ],
  ['GET', '/api/v1/namespaces/ns/pods/p/log?follow=true', 'get', 'api', '', 'v1', 'ns', 'pods', 'log', 'p', ['pods', 'p', 'log']],
  ['POST', '/api/v1/namespaces/ns/pods/p/binding', 'create', 'api', '', 'v1', 'ns', 'pods', 'binding', 'p', ['pods', 'p', 'binding']],
  ['POST', '/api/v1/namespaces/ns/pods/p/eviction', 'create', 'api', '', 'v1', 'ns', 'pods', 'eviction', 'p', ['pods', 'p', 'eviction']],
  [
    'PATCH',
    '/api/v1/namespaces/ns/pods/p/ephemeralcontainers',
    'patch',
    'api',
    '',
    'v1',
    'ns',
    'pods',
    'ephemeralcontainers',
    'p',
    ['pods', 'p', 'ephemeralcontainers'],
  ],
  [
    'POST',
    '/api/v1/namespaces/ns/serviceaccounts/sa/token',
    'create',
    'api',
    '',
    'v1',
    'ns',
    'serviceaccounts',
    'token',
    'sa',
    ['serviceaccounts', 'sa', 'token'],
  ],
  [
    'PUT',
    '/apis/apps/v1/namespaces/ns/deployments/d/scale',
    'update',
    'apis',
    'apps',
    'v1',
    'ns',
    'deployments',
    'scale',
    'd',
    ['deployments', 'd', 'scale'],
  ],
  [
    'GET',
    '/api/v1/namespaces/ns/services/s:http/proxy/a/b',
    'get',
    'api',
    '',
    'v1',
    'ns',
    'services',
    'proxy',
    's:http',
    ['services', 's:http', 'proxy', 'a', 'b'],
  ],
  ['GET', '/api/v1/nodes/n1/proxy/metrics', 'get', 'api', '', 'v1', '', 'nodes', 'proxy', 'n1', ['nodes', 'n1', 'proxy', 'metrics']],
  // verbs
  ['PATCH', '/api/v1/namespaces/other/pods/foo', 'patch', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['DELETE', '/api/v1/namespaces/other/pods/foo', 'delete', 'api', '', 'v1', 'other', 'pods', '', 'foo', ['pods', 'foo']],
  ['POST', '/api/v1/namespaces/other/pods', 'create', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  ['OPTIONS', '/api/v1/namespaces/other/pods', '', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  // deletecollection
  ['DELETE', '/api/v1/nodes', 'deletecollection', 'api', '', 'v1', '', 'nodes', '', '', ['nodes']],
  ['DELETE', '/api/v1/namespaces', 'deletecollection', 'api', '', 'v1', '', 'namespaces', '', '', ['namespaces']],
  ['DELETE', '/api/v1/namespaces/other/pods', 'deletecollection', 'api', '', 'v1', 'other', 'pods', '', '', ['pods']],
  [
    'DELETE',
    '/apis/extensions/v1/namespaces/other/pods',
    'deletecollection',
    'apis',
    'extensions',
    'v1',
    'other',
    'pods',
    '',
    '',
    ['pods'],
  ],
  // groups and versions
  ['POST', '/apis/extensions/v1/namespaces/other/pods', 'create', 'apis', 'extensions', 'v1', 'other', 'pods', '', '', ['pods']],
  ['POST', '/apis/extensions/v1beta3/namespaces/other/pods', 'create', 'apis', 'extensions', 'v1beta3', 'other', 'pods', '', '', ['pods']],
  ['GET', '/apis/batch/v1/job', 'list', 'apis', 'batch', 'v1', '', 'job', '', '', ['job']],
  ['GET', '/apis/batch/v1/job/foo/scale', 'get', 'apis', 'batch', 'v1', '', 'job', 'scale', 'foo', ['job', 'foo', 'scale']],
  [
    'GET',
    '/apis/rbac.authorization.k8s.io/v1/clusterroles/admin',
    'get',
    'apis',
    'rbac.authorization.k8s.io',
    'v1',
    '',
    'clusterroles',
    '',
    'admin',
    ['clusterroles', 'admin'],
  ],
  // %-escapes are decoded before the path is split, as Go's URL.Path is
  ['GET', '/api/v1/namespaces/a%2Fb/pods', 'get', 'api', '', 'v1', 'a', 'b', '', 'pods', ['b', 'pods']],
  [
    'GET',
    '/api/v1/namespaces/ns/configmaps/caf%C3%A9',
    'get',
    'api',
    '',
    'v1',
    'ns',
    'configmaps',
    '',
    'caf\u00e9',
    ['configmaps', 'caf\u00e9'],
  ],
];

describe('requestInfo: resource requests', () => {
  it.each(resourceCases)('%s %s', (method, url, verb, prefix, group, version, ns, resource, sub, name, parts) => {
    const info = requestInfo(method, url);
    expect(info.isResourceRequest).toBe(true);
    expect({
      verb: info.verb,
      apiPrefix: info.apiPrefix,
      apiGroup: info.apiGroup,
      apiVersion: info.apiVersion,
      namespace: info.namespace,
      resource: info.resource,
      subresource: info.subresource,
      name: info.name,
      parts: info.parts,
    }).toEqual({ verb, apiPrefix: prefix, apiGroup: group, apiVersion: version, namespace: ns, resource, subresource: sub, name, parts });
    expect(info.error).toBeUndefined();
  });

  it('keeps the path', () => {
    expect(requestInfo('GET', '/api/v1/pods?limit=5').path).toBe('/api/v1/pods');
  });

  it('cannot read a special verb with nothing after it (upstream answers 500)', () => {
    const info = requestInfo('GET', '/api/v1/watch');
    expect(info.isResourceRequest).toBe(true);
    expect(info.error).toBe('unable to determine kind and namespace from url, /api/v1/watch');
  });
});

describe('requestInfo: non-resource requests', () => {
  const cases: [method: string, url: string, verb: string, prefix: string][] = [
    ['GET', '/', 'get', ''],
    ['GET', '', 'get', ''],
    ['GET', '/healthz', 'get', ''],
    ['GET', '/readyz?verbose', 'get', ''],
    ['GET', '/version', 'get', ''],
    ['GET', '/api', 'get', ''],
    ['GET', '/api/v1', 'get', ''],
    ['GET', '/api/version/', 'get', ''],
    ['GET', '/apis', 'get', ''],
    ['GET', '/apis/apps', 'get', ''],
    ['GET', '/apis/extensions/v1beta1', 'get', 'apis'],
    ['GET', '/apis/extensions/v1beta1/', 'get', 'apis'],
    ['GET', '/apis/version/resource', 'get', 'apis'],
    ['GET', '/openapi/v3', 'get', ''],
    ['GET', '/openapi/v3/apis/apps/v1', 'get', ''],
    ['GET', '/not-api/version/resource', 'get', ''],
    ['GET', '/badprefix/version/resource', 'get', ''],
    ['POST', '/logs/x', 'post', ''],
    ['PUT', '/metrics', 'put', ''],
    ['DELETE', '/x', 'delete', ''],
    ['HEAD', '/livez', 'head', ''],
    ['OPTIONS', '/', 'options', ''],
  ];
  it.each(cases)('%s %s', (method, url, verb, prefix) => {
    const info = requestInfo(method, url);
    expect(info).toMatchObject({ isResourceRequest: false, verb, apiPrefix: prefix, resource: '', name: '', namespace: '', parts: [] });
    expect(info.path).toBe(url.split('?')[0]);
  });
});

describe('requestInfo: field and label selectors', () => {
  const cases: [url: string, verb: string, name: string, fieldSelector?: string, labelSelector?: string][] = [
    ['/apis/group/version/resource', 'list', ''],
    ['/apis/group/version/resource?fieldSelector=metadata.name=name1', 'list', 'name1', 'metadata.name=name1'],
    ['/apis/group/version/resource?fieldSelector=metadata.name%3D%3Dname1', 'list', 'name1', 'metadata.name==name1'],
    ['/apis/group/version/resource?watch=true&fieldSelector=metadata.name=name1', 'watch', 'name1', 'metadata.name=name1'],
    ['/apis/group/version/resource?fieldSelector=foo=bar', 'list', '', 'foo=bar'],
    ['/apis/group/version/resource?fieldSelector=metadata.name!=name1', 'list', '', 'metadata.name!=name1'],
    ['/apis/group/version/resource?fieldSelector=spec.x=1,metadata.name=n2', 'list', 'n2', 'spec.x=1,metadata.name=n2'],
    // a selector that does not parse: no name, the verb from ?watch alone, the selector still seen
    ['/apis/group/version/resource?fieldSelector=metadata.name=name1,foo', 'list', '', 'metadata.name=name1,foo'],
    ['/apis/group/version/resource?fieldSelector=metadata.name=name1,foo&watch=true', 'watch', '', 'metadata.name=name1,foo'],
    ['/apis/group/version/resource?fieldSelector=metadata.name=name1,foo&watch=false', 'list', '', 'metadata.name=name1,foo'],
    // any option that does not decode drops the name
    ['/apis/group/version/resource?fieldSelector=metadata.name=n&limit=abc', 'list', '', 'metadata.name=n'],
    ['/apis/group/version/resource?fieldSelector=metadata.name=n&labelSelector=a%20in', 'list', '', 'metadata.name=n', 'a in'],
    // a name that cannot be a path segment is no name
    ['/apis/group/version/resource?fieldSelector=metadata.name=a%2Fb', 'list', '', 'metadata.name=a/b'],
    ['/apis/group/version/resource?fieldSelector=metadata.name=..', 'list', '', 'metadata.name=..'],
    ['/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb', 'list', '', undefined, 'app=web'],
  ];
  it.each(cases)('GET %s', (url, verb, name, fieldSelector, labelSelector) => {
    const info = requestInfo('GET', url);
    expect([info.verb, info.name, info.fieldSelector, info.labelSelector]).toEqual([verb, name, fieldSelector, labelSelector]);
  });

  it('gives selectors to deletecollection, not to get or to watch by path prefix', () => {
    expect(requestInfo('DELETE', '/api/v1/namespaces/ns/pods?labelSelector=a%3Db')).toMatchObject({
      verb: 'deletecollection',
      labelSelector: 'a=b',
    });
    expect(requestInfo('GET', '/api/v1/namespaces/ns/pods/p?labelSelector=a%3Db').labelSelector).toBeUndefined();
    const w = requestInfo('GET', '/api/v1/watch/namespaces/ns/pods?labelSelector=a%3Db&fieldSelector=metadata.name=p');
    expect([w.verb, w.name, w.labelSelector, w.fieldSelector]).toEqual(['watch', '', undefined, undefined]);
  });
});

describe('impersonationChecks', () => {
  const check = (resource: string, name: string, more: Record<string, string> = {}) => ({
    isResourceRequest: true,
    path: '',
    verb: 'impersonate',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource,
    subresource: '',
    name,
    ...more,
  });

  it('checks nothing without Impersonate-User', () => {
    expect(impersonationChecks({ authorization: 'Bearer x' })).toEqual([]);
    expect(impersonationChecks({ 'impersonate-group': 'g' })).toEqual([]);
  });

  it('checks the user, each group, each extra value and the uid, in upstream order', () => {
    expect(
      impersonationChecks({
        'impersonate-user': 'jane',
        'impersonate-group': 'dev, ops',
        'impersonate-extra-scopes': ['view', 'edit'],
        'impersonate-extra-example.com%2fteam': 'x',
        'impersonate-uid': '1234',
      }),
    ).toEqual([
      check('users', 'jane'),
      check('groups', 'dev'),
      check('groups', 'ops'),
      check('userextras', 'view', { apiGroup: 'authentication.k8s.io', apiVersion: 'v1', subresource: 'scopes' }),
      check('userextras', 'edit', { apiGroup: 'authentication.k8s.io', apiVersion: 'v1', subresource: 'scopes' }),
      check('userextras', 'x', { apiGroup: 'authentication.k8s.io', apiVersion: 'v1', subresource: 'example.com/team' }),
      check('uids', '1234', { apiGroup: 'authentication.k8s.io', apiVersion: 'v1' }),
    ]);
  });

  it('checks a service account as serviceaccounts in its namespace, when its name is valid', () => {
    expect(impersonationChecks({ 'impersonate-user': 'system:serviceaccount:ns1:builder' })).toEqual([
      check('serviceaccounts', 'builder', { namespace: 'ns1' }),
    ]);
    // not a valid namespace, or too many parts: an ordinary user name
    expect(impersonationChecks({ 'impersonate-user': 'system:serviceaccount:NS:builder' })).toEqual([
      check('users', 'system:serviceaccount:NS:builder'),
    ]);
    expect(impersonationChecks({ 'impersonate-user': 'system:serviceaccount:a:b:c' })).toEqual([
      check('users', 'system:serviceaccount:a:b:c'),
    ]);
  });
});
