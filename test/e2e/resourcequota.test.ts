// ResourceQuota and LimitRange as kubectl v1.32 uses them: discovery with short names, the
// typed `create quota` command (dry runs included, as kubectl's test-cmd core.sh does), tables and
// describe, status.used kept by the quota controller and quota admission, upstream's 403 texts
// for a Pod or ConfigMap over quota, usage given back on delete, and LimitRange defaults and
// maximums applied to Pods.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { untilPasses } from '../helpers/wait.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
  await tc.kubectl(['create', 'namespace', 'quota-e2e']);
  await tc.kubectl(['create', 'namespace', 'limits-e2e']);
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const json = async (args: string[]) => JSON.parse((await tc.kubectl([...args, '-o', 'json'])).stdout);
const fail = async (args: string[], input?: string) => {
  const r = await tc.kubectl(args, { allowFail: true, ...(input === undefined ? {} : { input }) });
  expect(r.code).not.toBe(0);
  return r.stderr.trim();
};
const run = (ns: string, name: string, extra: string[] = []) =>
  tc.kubectl(['run', name, '-n', ns, '--image=local/sleep', '--restart=Never', ...extra, '--command', '--', 'sleep', '3600']);
const used = async (name: string) => (await json(['get', 'quota', name, '-n', 'quota-e2e'])).status?.used;

describe('ResourceQuota', () => {
  it('is discovered with its short name and status subresource', async () => {
    const list = (await api(tc.cluster, 'GET', '/api/v1')).json();
    const byName = new Map(list.resources.map((r: { name: string }) => [r.name, r]));
    expect(byName.get('resourcequotas')).toMatchObject({ kind: 'ResourceQuota', namespaced: true, shortNames: ['quota'] });
    expect(byName.get('resourcequotas/status')).toMatchObject({ kind: 'ResourceQuota' });
    expect(byName.get('limitranges')).toMatchObject({ kind: 'LimitRange', namespaced: true, shortNames: ['limits'] });
  });

  it('is created, dry-run and deleted as kubectl test-cmd does', async () => {
    const names = async () => (await tc.kubectl(['get', 'quota', '-n', 'quota-e2e', '-o', 'jsonpath={.items[*].metadata.name}'])).stdout;
    await tc.kubectl(['create', 'quota', 'test-quota', '--dry-run=client', '-n', 'quota-e2e']);
    await tc.kubectl(['create', 'quota', 'test-quota', '--dry-run=server', '-n', 'quota-e2e']);
    expect(await names()).toBe('');
    expect((await tc.kubectl(['create', 'quota', 'test-quota', '-n', 'quota-e2e'])).stdout.trim()).toBe('resourcequota/test-quota created');
    expect(await names()).toBe('test-quota');
    await tc.kubectl(['delete', 'quota', 'test-quota', '--dry-run=server', '-n', 'quota-e2e']);
    expect(await names()).toBe('test-quota');
    await tc.kubectl(['delete', 'quota', 'test-quota', '-n', 'quota-e2e']);
    expect(await names()).toBe('');
  });

  it('refuses invalid hard limits with upstream texts', async () => {
    const r = await api(tc.cluster, 'POST', '/api/v1/namespaces/quota-e2e/resourcequotas', {
      body: { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'bad' }, spec: { hard: { foo: '1', pods: '-1' } } },
    });
    expect(r.status).toBe(422);
    expect(r.json().message).toBe(
      'ResourceQuota "bad" is invalid: [spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified, spec.hard[foo]: Invalid value: "foo": must be a standard resource for quota, spec.hard[pods]: Invalid value: "-1": must be greater than or equal to 0]',
    );
  });

  it('tracks usage in status and refuses the object over quota with upstream texts', async () => {
    await tc.kubectl(['create', 'quota', 'q', '--hard=pods=2,count/configmaps=3', '-n', 'quota-e2e']);
    // The namespace's kube-root-ca.crt ConfigMap counts from the start.
    await untilPasses(async () => expect(await used('q')).toEqual({ pods: '0', 'count/configmaps': '1' }));
    const rows = (await tc.kubectl(['get', 'quota', 'q', '-n', 'quota-e2e'])).stdout.trimEnd().split('\n');
    expect(rows[0]!.split(/\s{2,}/)).toEqual(['NAME', 'AGE', 'REQUEST', 'LIMIT']);
    expect(rows[1]!.split(/\s{2,}/).filter((c, i) => i !== 1)).toEqual(['q', 'count/configmaps: 1/3, pods: 0/2']);

    await run('quota-e2e', 'p1');
    await run('quota-e2e', 'p2');
    expect(await used('q')).toEqual({ pods: '2', 'count/configmaps': '1' });
    expect(await fail(['run', 'p3', '-n', 'quota-e2e', '--image=local/sleep', '--restart=Never'])).toBe(
      'Error from server (Forbidden): pods "p3" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2',
    );

    await tc.kubectl(['create', 'configmap', 'c1', '-n', 'quota-e2e']);
    await tc.kubectl(['create', 'configmap', 'c2', '-n', 'quota-e2e']);
    expect(await fail(['create', 'configmap', 'c3', '-n', 'quota-e2e'])).toBe(
      'error: failed to create configmap: configmaps "c3" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=3, limited: count/configmaps=3',
    );

    const described = (await tc.kubectl(['describe', 'quota', 'q', '-n', 'quota-e2e'])).stdout;
    expect(described).toMatch(/^Name:\s+q$/m);
    expect(described).toMatch(/^Namespace:\s+quota-e2e$/m);
    expect(described).toMatch(/^Resource\s+Used\s+Hard$/m);
    expect(described).toMatch(/^count\/configmaps\s+3\s+3$/m);
    expect(described).toMatch(/^pods\s+2\s+2$/m);
  });

  it('gives usage back when objects are deleted', async () => {
    await tc.kubectl(['delete', 'pod', 'p1', '-n', 'quota-e2e', '--grace-period=0', '--force']);
    await tc.kubectl(['delete', 'configmap', 'c1', '-n', 'quota-e2e']);
    await untilPasses(async () => expect(await used('q')).toEqual({ pods: '1', 'count/configmaps': '2' }));
    await run('quota-e2e', 'p3');
    expect((await used('q')).pods).toBe('2');
  });

  it('requires compute requests a quota limits', async () => {
    await tc.kubectl(['create', 'quota', 'compute', '--hard=requests.cpu=1', '-n', 'quota-e2e']);
    await untilPasses(async () => expect(await used('compute')).toEqual({ 'requests.cpu': '0' }));
    await tc.kubectl(['delete', 'quota', 'q', '-n', 'quota-e2e']);
    expect(await fail(['run', 'nocpu', '-n', 'quota-e2e', '--image=local/sleep', '--restart=Never'])).toBe(
      'Error from server (Forbidden): pods "nocpu" is forbidden: failed quota: compute: must specify requests.cpu for: nocpu',
    );
  });
});

describe('LimitRange', () => {
  const limits = `apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-limits
  namespace: limits-e2e
spec:
  limits:
  - type: Container
    max:
      cpu: "1"
    default:
      cpu: 500m
    defaultRequest:
      cpu: 100m
`;

  it('is printed and defaulted as upstream', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: limits });
    const rows = (await tc.kubectl(['get', 'limits', '-n', 'limits-e2e'])).stdout.trimEnd().split('\n');
    expect(rows[0]!.split(/\s{2,}/)).toEqual(['NAME', 'CREATED AT']);
    expect(rows[1]).toMatch(/^cpu-limits\s+\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const lr = await json(['get', 'limits', 'cpu-limits', '-n', 'limits-e2e']);
    expect(lr.spec.limits).toEqual([{ type: 'Container', max: { cpu: '1' }, default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } }]);
  });

  it('fills the requests and limits of Pods and refuses containers over max', async () => {
    await run('limits-e2e', 'plain');
    const pod = await json(['get', 'pod', 'plain', '-n', 'limits-e2e']);
    expect(pod.spec.containers[0].resources).toEqual({ limits: { cpu: '500m' }, requests: { cpu: '100m' } });
    expect(pod.metadata.annotations['kubernetes.io/limit-ranger']).toBe(
      'LimitRanger plugin set: cpu request for container plain; cpu limit for container plain',
    );
    expect(pod.status.qosClass).toBe('Burstable');
    const overrides = JSON.stringify({
      spec: { containers: [{ name: 'big', image: 'local/sleep', command: ['sleep', '3600'], resources: { limits: { cpu: '2' } } }] },
    });
    expect(await fail(['run', 'big', '-n', 'limits-e2e', '--image=local/sleep', '--restart=Never', `--overrides=${overrides}`])).toBe(
      'Error from server (Forbidden): pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2',
    );
  });
});
