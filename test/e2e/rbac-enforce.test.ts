// `--authorization-mode RBAC` (startCluster({ authorizationMode: 'RBAC' })): every request is
// authorized by the RBAC objects as kube-apiserver's RBAC authorizer does, with upstream's
// Forbidden texts; system:masters may do anything; impersonation, exec and the access reviews
// (`kubectl auth can-i`) follow the same rules. Users come from cluster.addUser.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startTestCluster, runKubectl, type TestCluster } from '../helpers/cluster.js';
import { runPython } from '../helpers/python.js';

let tc: TestCluster;
let dir: string;
let jane: string;
beforeAll(async () => {
  tc = await startTestCluster({ authorizationMode: 'RBAC' });
  dir = mkdtempSync(join(tmpdir(), 'tk-rbac-'));
  jane = join(dir, 'jane.kubeconfig');
  writeFileSync(jane, (await tc.cluster.addUser({ name: 'jane', groups: ['dev'] })).kubeconfig);
});
afterAll(async () => {
  await tc?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** kubectl as jane (her own discovery cache). */
const asJane = (args: string[]) =>
  runKubectl(['--kubeconfig', jane, '--cache-dir', join(dir, 'jane-cache'), ...args], { env: { KUBECONFIG: jane }, allowFail: true });

describe('RBAC enforced', () => {
  it('lets the admin (system:masters) do anything, and a user nothing its bindings do not give', async () => {
    expect((await tc.kubectl(['get', 'pods', '-A'])).stdout).toBeDefined();
    const r = await asJane(['get', 'pods']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(
      'Error from server (Forbidden): pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"',
    );
    // Discovery and whoami are everyone's (system:discovery, system:basic-user).
    expect(JSON.parse((await asJane(['auth', 'whoami', '-o', 'json'])).stdout).status.userInfo.username).toBe('jane');
    expect((await asJane(['api-resources', '--api-group=apps', '-o', 'name'])).stdout).toContain('deployments.apps');
  });

  it('a Role and RoleBinding give what they say, and kubectl auth can-i answers from them', async () => {
    await tc.kubectl(['create', 'role', 'pod-reader', '--verb=get,list,watch', '--resource=pods']);
    await tc.kubectl(['create', 'rolebinding', 'jane-reads', '--role=pod-reader', '--user=jane']);
    await tc.kubectl(['run', 'sleeper', '--image=busybox', '--', 'sleep', '3600']);
    expect((await asJane(['get', 'pods', '-o', 'name'])).stdout).toContain('pod/sleeper');
    expect((await asJane(['auth', 'can-i', 'list', 'pods'])).stdout.trim()).toBe('yes');
    const no = await asJane(['auth', 'can-i', 'delete', 'pods']);
    expect([no.code, no.stdout.trim()]).toEqual([1, 'no']);
    expect((await asJane(['auth', 'can-i', 'list', 'pods', '-n', 'kube-system'])).stdout.trim()).toBe('no');
    // The admin asks about jane (SubjectAccessReview through impersonation of the review).
    expect((await tc.kubectl(['auth', 'can-i', 'watch', 'pods', '--as=jane'], { allowFail: true })).stdout.trim()).toBe('yes');
    const list = (await asJane(['auth', 'can-i', '--list'])).stdout;
    expect(list).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
    // Deleting is still refused, with the verb and name in the text.
    const del = await asJane(['delete', 'pod', 'sleeper']);
    expect(del.stderr.trim()).toBe(
      'Error from server (Forbidden): pods "sleeper" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace "default"',
    );
  });

  it('exec needs create on pods/exec; impersonation needs impersonate', async () => {
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/sleeper', '--timeout=20s']);
    const exec = await asJane(['exec', 'sleeper', '--', 'true']);
    expect(exec.code).not.toBe(0);
    expect(exec.stderr).toContain(
      'pods "sleeper" is forbidden: User "jane" cannot create resource "pods/exec" in API group "" in the namespace "default"',
    );
    const imp = await asJane(['get', 'pods', '--as=bob']);
    expect(imp.stderr.trim()).toBe(
      'Error from server (Forbidden): users "bob" is forbidden: User "jane" cannot impersonate resource "users" in API group "" at the cluster scope',
    );
    await tc.kubectl(['create', 'role', 'pod-exec', '--verb=create,get', '--resource=pods/exec']);
    await tc.kubectl(['create', 'rolebinding', 'jane-execs', '--role=pod-exec', '--group=dev']);
    expect((await asJane(['exec', 'sleeper', '--', 'echo', 'in'])).stdout).toBe('in\n');
  });

  it('prevents escalation: a user writes Roles and bindings only with what it holds itself', async () => {
    await tc.kubectl([
      'create',
      'role',
      'rbac-writer',
      '--verb=create,update,get',
      '--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io',
    ]);
    await tc.kubectl(['create', 'rolebinding', 'jane-writes-rbac', '--role=rbac-writer', '--user=jane']);
    // Rules jane holds (pod-reader's): allowed.
    expect((await asJane(['create', 'role', 'mine', '--verb=get,list', '--resource=pods'])).stdout.trim()).toBe(
      'role.rbac.authorization.k8s.io/mine created',
    );
    // More than she holds: refused with upstream's text.
    const more = await asJane(['create', 'role', 'too-much', '--verb=delete', '--resource=pods']);
    expect(more.stderr.trim()).toBe(
      'Error from server (Forbidden): roles.rbac.authorization.k8s.io "too-much" is forbidden: user "jane" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}',
    );
    const bind = await asJane(['create', 'rolebinding', 'jane-admin', '--clusterrole=cluster-admin', '--user=jane']);
    expect(bind.stderr).toContain(
      'rolebindings.rbac.authorization.k8s.io "jane-admin" is forbidden: user "jane" (groups=["dev" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:',
    );
    // A binding to a role whose rules she holds is fine.
    expect((await asJane(['create', 'rolebinding', 'others-read', '--role=pod-reader', '--user=sam'])).stdout.trim()).toBe(
      'rolebinding.rbac.authorization.k8s.io/others-read created',
    );
  });

  it('a ServiceAccount token is its service account, in its groups, and gets what they are bound to', async () => {
    await tc.kubectl(['create', 'serviceaccount', 'robot']);
    const token = (await tc.kubectl(['create', 'token', 'robot'])).stdout.trim();
    const asRobot = (args: string[]) =>
      runKubectl(['--kubeconfig', tc.kubeconfigPath, '--token', token, '--cache-dir', join(dir, 'robot-cache'), ...args], {
        allowFail: true,
      });
    expect(JSON.parse((await asRobot(['auth', 'whoami', '-o', 'json'])).stdout).status.userInfo).toMatchObject({
      username: 'system:serviceaccount:default:robot',
      groups: ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated'],
    });
    expect((await asRobot(['get', 'configmaps'])).stderr.trim()).toBe(
      'Error from server (Forbidden): configmaps is forbidden: User "system:serviceaccount:default:robot" cannot list resource "configmaps" in API group "" in the namespace "default"',
    );
    await tc.kubectl(['create', 'rolebinding', 'sa-view', '--clusterrole=view', '--group=system:serviceaccounts:default']);
    expect((await asRobot(['get', 'configmaps', '-o', 'name'])).stdout).toContain('configmap/kube-root-ca.crt');
  });

  it('proxy subresources and node paths are authorized like any resource', async () => {
    await tc.kubectl(['create', 'service', 'clusterip', 'web', '--tcp=80:8080']);
    const svc = await asJane(['get', '--raw', '/api/v1/namespaces/default/services/web:80/proxy/']);
    expect(svc.stderr.trim()).toBe(
      'Error from server (Forbidden): services "web:80" is forbidden: User "jane" cannot get resource "services/proxy" in API group "" in the namespace "default"',
    );
    const node = (await tc.kubectl(['get', 'nodes', '-o', 'name'])).stdout.trim().split('/')[1]!;
    const stats = await asJane(['get', '--raw', `/api/v1/nodes/${node}/proxy/stats/summary`]);
    expect(stats.stderr.trim()).toBe(
      `Error from server (Forbidden): nodes "${node}" is forbidden: User "jane" cannot get resource "nodes/proxy" in API group "" at the cluster scope`,
    );
  });

  it('the Python client gets 403 Forbidden with the same reason', async () => {
    const r = await runPython(
      { ...tc, kubeconfigPath: jane },
      {
        code: `
import json, sys
from kubernetes import client, config
from kubernetes.client.rest import ApiException
config.load_kube_config(sys.argv[1])
try:
    client.CoreV1Api().list_namespaced_secret("default")
    print(json.dumps({"status": 200}))
except ApiException as e:
    print(json.dumps({"status": e.status, "message": json.loads(e.body)["message"]}))
`,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').at(-1)!)).toEqual({
      status: 403,
      message: 'secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace "default"',
    });
  });
});
