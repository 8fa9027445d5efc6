// Who am I and what may I do: the authentication.k8s.io and authorization.k8s.io reviews with
// kubectl (auth whoami, auth can-i, create -f) and client-node, impersonation, and their errors.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import * as k8s from '@kubernetes/client-node';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(() => tc?.stop());

const yaml = (o: unknown) => JSON.stringify(o);

describe('kubectl auth', () => {
  it('whoami: the admin, an impersonated user, a service account token', async () => {
    expect(JSON.parse((await tc.kubectl(['auth', 'whoami', '-o', 'json'])).stdout)).toEqual({
      kind: 'SelfSubjectReview',
      apiVersion: 'authentication.k8s.io/v1',
      metadata: { creationTimestamp: null },
      status: { userInfo: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] } },
    });
    const jane = JSON.parse((await tc.kubectl(['auth', 'whoami', '--as=jane', '--as-group=devs', '--as-uid=42', '-o', 'json'])).stdout);
    expect(jane.status.userInfo).toEqual({ username: 'jane', uid: '42', groups: ['devs', 'system:authenticated'] });
    const sa = JSON.parse((await tc.kubectl(['auth', 'whoami', '--as=system:serviceaccount:kube-system:default', '-o', 'json'])).stdout);
    expect(sa.status.userInfo.groups).toEqual(['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated']);

    const token = (await tc.kubectl(['create', 'token', 'default'])).stdout.trim();
    const me = JSON.parse((await tc.kubectl(['--token', token, 'auth', 'whoami', '-o', 'json'])).stdout).status.userInfo;
    expect(me).toMatchObject({
      username: 'system:serviceaccount:default:default',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
    });
    expect(me.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(me.extra['authentication.kubernetes.io/credential-id'][0]).toMatch(/^JTI=/);
  });

  it('can-i: everything is allowed (AlwaysAllow), and --list says so', async () => {
    expect((await tc.kubectl(['auth', 'can-i', 'create', 'pods'])).stdout.trim()).toBe('yes');
    expect((await tc.kubectl(['auth', 'can-i', 'delete', 'services', '-n', 'kube-system', '--as=jane'])).stdout.trim()).toBe('yes');
    expect((await tc.kubectl(['auth', 'can-i', 'get', '/healthz'])).stdout.trim()).toBe('yes');
    const list = (await tc.kubectl(['auth', 'can-i', '--list'])).stdout.trim().split('\n');
    expect(list[0]!.split(/\s{2,}/)).toEqual(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
    expect(list[1]!.split(/\s+/)).toEqual(['*.*', '[]', '[]', '[*]']);
  });
});

describe('reviews created from manifests', () => {
  const create = async (o: unknown, ns?: string) =>
    tc.kubectl(['create', ...(ns ? ['-n', ns] : []), '-f', '-', '-o', 'json'], { input: yaml(o), allowFail: true });

  it('TokenReview: a token of this cluster for its audience, another audience, a stranger', async () => {
    const token = (await tc.kubectl(['create', 'token', 'default', '--audience', 'vault'])).stdout.trim();
    const review = async (spec: Record<string, unknown>) =>
      JSON.parse((await create({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec })).stdout).status;
    expect(await review({ token, audiences: ['vault'] })).toMatchObject({
      authenticated: true,
      audiences: ['vault'],
      user: { username: 'system:serviceaccount:default:default' },
    });
    // Not for the API server's audience, nor another one.
    const issuer = JSON.parse(
      Buffer.from((await tc.kubectl(['create', 'token', 'default'])).stdout.split('.')[1]!, 'base64url').toString(),
    ).iss;
    expect(await review({ token })).toEqual({
      user: {},
      error: `token audiences ["vault"] is invalid for the target audiences ["${issuer}"]`,
    });
    expect(await review({ token, audiences: ['other'] })).toEqual({
      user: {},
      error: 'token audiences ["vault"] is invalid for the target audiences ["other"]',
    });
    expect(await review({ token: 'garbage' })).toEqual({ user: {} });
    const none = await create({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: {} });
    expect(none.stderr.trim()).toBe(
      'Error from server (BadRequest): error when creating "STDIN": token is required for TokenReview in authentication',
    );
  });

  it('SubjectAccessReview and LocalSubjectAccessReview: upstream’s validation, then allowed', async () => {
    const ok = await create({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { user: 'jane', resourceAttributes: { verb: 'get', resource: 'pods' } },
    });
    expect(JSON.parse(ok.stdout).status).toEqual({ allowed: true });
    const bad = await create({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/x', verb: 'get' } },
    });
    expect(bad.stderr).toContain('The SubjectAccessReview "" is invalid: \n');
    expect(bad.stderr).toContain(
      '* spec.nonResourceAttributes: Invalid value: authorization.NonResourceAttributes{Path:"/x", Verb:"get"}: cannot be specified in combination with resourceAttributes',
    );
    expect(bad.stderr).toContain('* spec.user: Invalid value: "": at least one of user or group must be specified');
    const neither = await create({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { groups: ['devs'] } });
    expect(neither.stderr.trim()).toBe(
      'The SubjectAccessReview "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    const local = await create(
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'LocalSubjectAccessReview',
        metadata: { namespace: 'default' },
        spec: { user: 'jane', resourceAttributes: { verb: 'get', resource: 'pods', namespace: 'other' } },
      },
      'default',
    );
    expect(local.stderr.trim()).toBe(
      'The LocalSubjectAccessReview "" is invalid: spec.resourceAttributes.namespace: Invalid value: "other": must match metadata.namespace',
    );
  });
});

describe('over the API', () => {
  it('answers from client-node, stores nothing, and refuses other verbs and incomplete requests', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(tc.cluster.kubeconfig);
    const authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    const r = await authz.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'watch', resource: 'services', namespace: 'default' } } },
    });
    expect(r.status).toEqual({ allowed: true });
    const rules = await authz.createSelfSubjectRulesReview({ body: { spec: { namespace: 'default' } } });
    expect(rules.status).toEqual({
      resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
      nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
      incomplete: false,
    });

    const P = '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews';
    const noNs = await api(tc.cluster, 'POST', P, {
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: {} },
    });
    expect([noNs.status, noNs.json().message]).toEqual([400, 'no namespace on request']);
    const list = await api(tc.cluster, 'GET', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews');
    expect([list.status, list.json().reason]).toEqual([405, 'MethodNotAllowed']);
    expect(tc.cluster.store.count('selfsubjectaccessreviews')).toBe(0);

    // Impersonating groups without a user is an error, as upstream.
    const r2 = await fetchWith({ 'impersonate-group': 'devs' });
    expect([r2.status, r2.json().message]).toEqual([500, 'Internal error occurred: requested [{Group devs}] without impersonating a user']);
  });
});

async function fetchWith(headers: Record<string, string>) {
  const { request, Agent } = await import('undici');
  const res = await request(`${tc.cluster.server}/apis/authentication.k8s.io/v1/selfsubjectreviews`, {
    method: 'POST',
    headers: { authorization: `Bearer ${tc.cluster.token}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }),
    dispatcher: new Agent({ connect: { ca: tc.cluster.caCert } }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: () => JSON.parse(text) };
}
