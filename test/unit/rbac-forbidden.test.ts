// The 403 of a request no authorizer allowed (upstream responsewriters/errors.go Forbidden and
// errors.NewForbidden): the texts of upstream's errors_test.go cases and kubectl's everyday ones.
import { describe, expect, it } from 'vitest';
import { nonResourceAttributes, resourceAttributes, type Attributes } from '../../src/auth/rbac/attributes.js';
import { forbiddenError, forbiddenMessage, goSprintfNoArgs } from '../../src/auth/rbac/forbidden.js';
import type { UserInfo } from '../../src/auth/users.js';
import { requestInfo } from '../../src/server/auth/request-info.js';

const NAME: UserInfo = { username: 'NAME', groups: [] };
const jane: UserInfo = { username: 'jane', groups: ['system:authenticated'] };
const res = (verb: string, resource: string, more: Partial<Attributes> = {}) => resourceAttributes({ verb, resource, ...more });

describe('forbiddenError', () => {
  // Upstream's errors_test.go TestForbidden, as the Status JSON it expects.
  const upstream: [attrs: Attributes, reason: string, json: string][] = [
    [
      nonResourceAttributes('GET', '/whatever'),
      '',
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \\"NAME\\" cannot GET path \\"/whatever\\"","reason":"Forbidden","details":{},"code":403}',
    ],
    [
      res('get', 'pod'),
      '',
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pod is forbidden: User \\"NAME\\" cannot get resource \\"pod\\" in API group \\"\\" at the cluster scope","reason":"Forbidden","details":{"kind":"pod"},"code":403}',
    ],
    [
      res('get', 'pod', { name: 'mypod' }),
      '',
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pod \\"mypod\\" is forbidden: User \\"NAME\\" cannot get resource \\"pod\\" in API group \\"\\" at the cluster scope","reason":"Forbidden","details":{"name":"mypod","kind":"pod"},"code":403}',
    ],
    [
      res('get', 'pod', { namespace: 'test', apiGroup: 'v2', subresource: 'quota' }),
      '',
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pod.v2 is forbidden: User \\"NAME\\" cannot get resource \\"pod/quota\\" in API group \\"v2\\" in the namespace \\"test\\"","reason":"Forbidden","details":{"group":"v2","kind":"pod"},"code":403}',
    ],
  ];
  it.each(upstream)('%j', (attrs, reason, json) => {
    expect(JSON.stringify(forbiddenError(attrs, NAME, reason).toStatus())).toBe(json);
  });

  const messages: [title: string, method: string, url: string, reason: string, message: string][] = [
    [
      'list',
      'GET',
      '/api/v1/namespaces/default/pods',
      '',
      'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"',
    ],
    [
      'watch',
      'GET',
      '/api/v1/pods?watch=1',
      '',
      'pods is forbidden: User "jane" cannot watch resource "pods" in API group "" at the cluster scope',
    ],
    [
      'get in a group',
      'GET',
      '/apis/apps/v1/namespaces/dev/deployments/web',
      '',
      'deployments.apps "web" is forbidden: User "jane" cannot get resource "deployments" in API group "apps" in the namespace "dev"',
    ],
    [
      'exec',
      'POST',
      '/api/v1/namespaces/dev/pods/p/exec?command=sh',
      '',
      'pods "p" is forbidden: User "jane" cannot create resource "pods/exec" in API group "" in the namespace "dev"',
    ],
    [
      'scale',
      'PATCH',
      '/apis/apps/v1/namespaces/dev/deployments/web/scale',
      '',
      'deployments.apps "web" is forbidden: User "jane" cannot patch resource "deployments/scale" in API group "apps" in the namespace "dev"',
    ],
    [
      'a namespace',
      'DELETE',
      '/api/v1/namespaces/dev',
      '',
      'namespaces "dev" is forbidden: User "jane" cannot delete resource "namespaces" in API group "" in the namespace "dev"',
    ],
    [
      'deletecollection',
      'DELETE',
      '/api/v1/namespaces/dev/configmaps',
      '',
      'configmaps is forbidden: User "jane" cannot deletecollection resource "configmaps" in API group "" in the namespace "dev"',
    ],
    [
      'a node proxy',
      'GET',
      '/api/v1/nodes/n1/proxy/metrics',
      '',
      'nodes "n1" is forbidden: User "jane" cannot get resource "nodes/proxy" in API group "" at the cluster scope',
    ],
    [
      'a custom resource',
      'POST',
      '/apis/example.com/v1/namespaces/dev/widgets',
      '',
      'widgets.example.com is forbidden: User "jane" cannot create resource "widgets" in API group "example.com" in the namespace "dev"',
    ],
    ['a path', 'GET', '/metrics', '', 'forbidden: User "jane" cannot get path "/metrics"'],
    ['discovery', 'GET', '/apis/apps', '', 'forbidden: User "jane" cannot get path "/apis/apps"'],
    [
      'with the reason of RBAC',
      'GET',
      '/api/v1/namespaces/default/pods',
      'RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found',
      'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default": RBAC: clusterrole.rbac.authorization.k8s.io "gone" not found',
    ],
    // The message is made safe as HTML, the reason is not; a % becomes a Go verb without operand.
    ['HTML', 'GET', '/<script>', '<b>', 'forbidden: User "jane" cannot get path "/&lt;script&gt;": <b>'],
    ['a %', 'GET', '/a%25d', 'at 100%%', 'forbidden: User "jane" cannot get path "/a%!d(MISSING)": at 100%'],
  ];
  it.each(messages)('%s', (_title, method, url, reason, message) => {
    const e = forbiddenError(requestInfo(method, url), jane, reason);
    expect([e.code, e.reason, e.message]).toEqual([403, 'Forbidden', message]);
  });

  it('names the impersonated user, group and extra', () => {
    expect(forbiddenError(res('impersonate', 'users', { name: 'bob' }), jane, '').message).toBe(
      'users "bob" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    expect(forbiddenError(res('impersonate', 'serviceaccounts', { namespace: 'ns1', name: 'builder' }), jane, '').message).toBe(
      'serviceaccounts "builder" is forbidden: User "jane" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ns1"',
    );
    expect(
      forbiddenError(
        res('impersonate', 'userextras', { apiGroup: 'authentication.k8s.io', apiVersion: 'v1', subresource: 'scopes', name: 'view' }),
        jane,
        '',
      ).message,
    ).toBe(
      'userextras.authentication.k8s.io "view" is forbidden: User "jane" cannot impersonate resource "userextras/scopes" in API group "authentication.k8s.io" at the cluster scope',
    );
  });

  it('quotes as Go does and names nobody without a user', () => {
    expect(forbiddenMessage(res('get', 'pods', { namespace: 'a"b' }), { username: 'j\tane', groups: [] })).toBe(
      'User "j\\tane" cannot get resource "pods" in API group "" in the namespace "a\\"b"',
    );
    expect(forbiddenMessage(nonResourceAttributes('get', '/x'), undefined)).toBe('User "" cannot get path "/x"');
  });
});

describe('goSprintfNoArgs', () => {
  it.each([
    ['plain', 'plain'],
    ['100%%', '100%'],
    ['%d', '%!d(MISSING)'],
    ['a %s b', 'a %!s(MISSING) b'],
    ['%', '%!(NOVERB)'],
    ['x %-+# 05.2f', 'x %!f(MISSING)'],
    ['%*d', '%!(BADWIDTH)%!d(MISSING)'],
    ['%.*d', '%!(BADPREC)%!d(MISSING)'],
    ['%.', '%!.(MISSING)'],
    ['%[1]d', '%!d(BADINDEX)'],
    ['%[x]d', '%!d(BADINDEX)'],
    ['%[1][2]d', '%![(BADINDEX)2]d'],
    ['%[', '%!(NOVERB)'],
    ['%\u00e9!', '%!\u00e9(MISSING)!'],
    ['%20b', '%!b(MISSING)'],
    ['%123456789d', '%!(NOVERB)'],
  ])('%s', (format, out) => {
    expect(goSprintfNoArgs(format)).toBe(out);
  });
});
