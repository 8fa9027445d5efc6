// Jobs that fail: backoffLimit with the exponential Pod backoff (on a fake controller clock, so
// the 10 s doubling delays pass at once), podFailurePolicy, backoffLimitPerIndex and
// maxFailedIndexes, successPolicy, restartPolicy OnFailure restarting in place; and the Python
// client's BatchV1Api.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until, untilPasses } from '../helpers/wait.js';
import { workloadKubectl } from '../helpers/workloads.js';
import { pythonJson } from '../helpers/python.js';
import { createFakeClock, type FakeClock } from '../../src/base/clock.js';

let tc: TestCluster;
let clock: FakeClock;
beforeAll(async () => {
  clock = createFakeClock();
  tc = await startTestCluster({ clock, podBackoff: { initialMs: 100, maxMs: 500 } });
});
afterAll(async () => {
  await tc?.stop();
});

const kube = workloadKubectl(() => tc);
const kc = (...args: string[]) => kube.k(args);
const getJson = (...args: string[]) => kube.json(args);
const { apply } = kube;
type Cond = { type: string; status: string; reason?: string; message?: string };
type PodJ = {
  metadata: { name: string; annotations?: Record<string, string>; finalizers?: string[]; deletionTimestamp?: string };
  status: { phase: string; containerStatuses?: { restartCount: number; state: { terminated?: { finishedAt: string } } }[] };
};
const podsOf = async (job: string): Promise<PodJ[]> => (await getJson('get', 'pods', '-l', `job-name=${job}`)).items;
const conds = async (job: string) =>
  ((await getJson('get', 'job', job)).status.conditions ?? []).map((c: Cond) => [c.type, c.status, c.reason]);
const finished = async (job: string) =>
  ((await getJson('get', 'job', job)).status.conditions ?? []).some(
    (c: Cond) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
const events = async (job: string) => (await kc('describe', 'job', job)).stdout.split('Events:')[1] ?? '';

/** Advances the controllers' clock a minute at a time until `check` holds. */
async function advanceUntil(check: () => Promise<boolean>, timeout = 30_000): Promise<void> {
  await until(
    async () => {
      if (await check()) return true;
      await tc.cluster.idle();
      clock.advance(60_000);
      return false;
    },
    { timeout, every: 100 },
  );
}

describe('backoffLimit', () => {
  it('waits 10 s (doubling) after a failure before a replacement, and fails the Job past the limit', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: flaky}
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: local/x
        command: [sh, -c, 'exit 3']
`);
    await until(async () => (await podsOf('flaky')).some((p) => p.status.phase === 'Failed'), 20_000);
    await until(async () => (await getJson('get', 'job', 'flaky')).status.failed === 1, 10_000);
    const first = (await podsOf('flaky'))[0]!;
    const failedAt = Date.parse(first.status.containerStatuses![0]!.state.terminated!.finishedAt);
    // 9 s after the failure (by the controllers' clock): still no replacement.
    clock.set(failedAt + 9_000);
    await tc.cluster.idle();
    expect(await podsOf('flaky')).toHaveLength(1);
    // 10 s after: one.
    clock.set(failedAt + 10_500);
    await until(async () => (await podsOf('flaky')).length === 2, 10_000);

    await advanceUntil(() => finished('flaky'));
    const job = await getJson('get', 'job', 'flaky');
    expect(job.status.failed).toBe(3);
    expect(job.status.succeeded ?? 0).toBe(0);
    expect(job.status.conditions.map((c: Cond) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
      ['Failed', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'],
    ]);
    const pods = await podsOf('flaky');
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.status.phase).toBe('Failed');
      expect(p.metadata.finalizers ?? []).not.toContain('batch.kubernetes.io/job-tracking');
    }
    expect((await kc('get', 'job', 'flaky', '--no-headers')).stdout.trim().split(/\s+/).slice(1, 3)).toEqual(['Failed', '0/1']);
    expect(await events('flaky')).toMatch(
      /Warning\s+BackoffLimitExceeded\s+\S+\s+job-controller\s+Job has reached the specified backoff limit/,
    );
  });

  it('restartPolicy OnFailure restarts the container in place; restarts count against backoffLimit', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: retry}
spec:
  template:
    spec:
      restartPolicy: OnFailure
      volumes: [{name: d, emptyDir: {}}]
      containers:
      - name: c
        image: local/x
        volumeMounts: [{name: d, mountPath: /data}]
        command: [sh, -c, 'if [ -f /data/once ]; then exit 0; fi; touch /data/once; exit 1']
---
apiVersion: batch/v1
kind: Job
metadata: {name: noretry}
spec:
  backoffLimit: 0
  template:
    spec:
      restartPolicy: OnFailure
      containers:
      - name: c
        image: local/x
        command: [sh, -c, 'exit 1']
`);
    await until(() => finished('retry'), 20_000);
    const job = await getJson('get', 'job', 'retry');
    expect(job.status.conditions.find((c: Cond) => c.type === 'Complete')?.status).toBe('True');
    expect(job.status.failed ?? 0).toBe(0);
    const pods = await podsOf('retry');
    expect(pods).toHaveLength(1);
    expect(pods[0]!.status.containerStatuses![0]!.restartCount).toBe(1);

    await until(() => finished('noretry'), 20_000);
    expect(await conds('noretry')).toEqual([
      ['FailureTarget', 'True', 'BackoffLimitExceeded'],
      ['Failed', 'True', 'BackoffLimitExceeded'],
    ]);
  });
});

describe('podFailurePolicy', () => {
  it('FailJob on an exit code fails the Job at once with the rule in the message; Ignore does not count', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: pfp}
spec:
  completions: 2
  parallelism: 2
  completionMode: Indexed
  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: main, operator: In, values: [42]}
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: local/x
        command: [sh, -c, 'if [ "$JOB_COMPLETION_INDEX" = 1 ]; then exit 42; fi; sleep 300']
`);
    await until(() => finished('pfp'), 20_000);
    const job = await getJson('get', 'job', 'pfp');
    expect(job.spec.podReplacementPolicy).toBe('Failed');
    const failedPod = (await podsOf('pfp')).find((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'] === '1')!;
    const msg = `Container main for pod default/${failedPod.metadata.name} failed with exit code 42 matching FailJob rule at index 0`;
    expect(job.status.conditions.map((c: Cond) => [c.type, c.reason, c.message])).toEqual([
      ['FailureTarget', 'PodFailurePolicy', msg],
      ['Failed', 'PodFailurePolicy', msg],
    ]);
    expect(job.status.failed).toBe(2);
    expect(job.status.active ?? 0).toBe(0);
    expect(await events('pfp')).toContain(msg);

    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: ignore}
spec:
  backoffLimit: 0
  podFailurePolicy:
    rules:
    - action: Ignore
      onExitCodes: {operator: In, values: [7]}
  template:
    spec:
      restartPolicy: Never
      volumes: [{name: d, hostPath: {path: ${JSON.stringify(join(tc.dir, 'ignore-marker'))}, type: DirectoryOrCreate}}]
      containers:
      - name: c
        image: local/x
        volumeMounts: [{name: d, mountPath: /m}]
        command: [sh, -c, 'if [ -f /m/once ]; then exit 0; fi; touch /m/once; exit 7']
`);
    await advanceUntil(() => finished('ignore'));
    const ig = await getJson('get', 'job', 'ignore');
    expect(ig.status.conditions.find((c: Cond) => c.type === 'Complete')?.status).toBe('True');
    expect(ig.status.failed ?? 0).toBe(0);
    expect(ig.status.succeeded).toBe(1);
    expect(await podsOf('ignore')).toHaveLength(2);
  });
});

describe('Indexed failures and success', () => {
  it('backoffLimitPerIndex retries an index with its failure count, then fails only that index', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: perindex}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  backoffLimitPerIndex: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: local/x
        command: [sh, -c, 'if [ "$JOB_COMPLETION_INDEX" = 1 ]; then exit 1; fi; exit 0']
`);
    await advanceUntil(() => finished('perindex'));
    const job = await getJson('get', 'job', 'perindex');
    expect(job.spec.backoffLimit).toBe(2147483647);
    expect(job.status).toMatchObject({ completedIndexes: '0,2', failedIndexes: '1', succeeded: 2, failed: 2 });
    expect(job.status.conditions.map((c: Cond) => [c.type, c.reason, c.message])).toEqual([
      ['FailureTarget', 'FailedIndexes', 'Job has failed indexes'],
      ['Failed', 'FailedIndexes', 'Job has failed indexes'],
    ]);
    const one = (await podsOf('perindex')).filter((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index'] === '1');
    expect(one.map((p) => p.metadata.annotations!['batch.kubernetes.io/job-index-failure-count']).sort()).toEqual(['0', '1']);
  });

  it('maxFailedIndexes ends the Job with MaxFailedIndexesExceeded', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: maxfailed}
spec:
  completions: 4
  parallelism: 4
  completionMode: Indexed
  backoffLimitPerIndex: 0
  maxFailedIndexes: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: local/x
        command: [sh, -c, 'if [ "$JOB_COMPLETION_INDEX" -ge 2 ]; then exit 1; fi; sleep 300']
`);
    await until(() => finished('maxfailed'), 20_000);
    expect(await conds('maxfailed')).toEqual([
      ['FailureTarget', 'True', 'MaxFailedIndexesExceeded'],
      ['Failed', 'True', 'MaxFailedIndexesExceeded'],
    ]);
    expect((await getJson('get', 'job', 'maxfailed')).status.failedIndexes).toBe('2,3');
  });

  it('successPolicy: SuccessCriteriaMet, the rest of the Pods stopped, then Complete', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: leader}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  successPolicy:
    rules:
    - succeededIndexes: "0"
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: local/x
        command: [sh, -c, 'if [ "$JOB_COMPLETION_INDEX" = 0 ]; then exit 0; fi; sleep 300']
`);
    await until(() => finished('leader'), 20_000);
    const job = await getJson('get', 'job', 'leader');
    expect(job.status.conditions.map((c: Cond) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['SuccessCriteriaMet', 'True', 'SuccessPolicy', 'Matched rules at index 0'],
      ['Complete', 'True', 'SuccessPolicy', 'Matched rules at index 0'],
    ]);
    expect(job.status).toMatchObject({ completedIndexes: '0', succeeded: 1 });
    expect(job.status.failed ?? 0).toBe(0);
    expect((await kc('get', 'job', 'leader', '--no-headers')).stdout.trim().split(/\s+/).slice(1, 3)).toEqual(['Complete', '1/3']);
  });
});

describe('Python client', () => {
  it('BatchV1Api create_namespaced_job, then read_namespaced_job_status until it succeeded', async () => {
    const script = join(tc.dir, 'job.py');
    writeFileSync(
      script,
      `import json, sys, time
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
api = client.BatchV1Api()
job = client.V1Job(
    metadata=client.V1ObjectMeta(name='pyjob'),
    spec=client.V1JobSpec(
        template=client.V1PodTemplateSpec(spec=client.V1PodSpec(
            restart_policy='Never',
            containers=[client.V1Container(name='pi', image='perl', command=['sh', '-c', 'exit 0'])]))))
created = api.create_namespaced_job(namespace='default', body=job)
for _ in range(200):
    st = api.read_namespaced_job_status(name='pyjob', namespace='default')
    if st.status.succeeded:
        break
    time.sleep(0.1)
listed = api.list_namespaced_job(namespace='default', label_selector='job-name=pyjob')
deleted = api.delete_namespaced_job(name='pyjob', namespace='default', propagation_policy='Background')
print(json.dumps({
    'created': created.metadata.name,
    'backoff': created.spec.backoff_limit,
    'selector': created.spec.selector.match_labels,
    'succeeded': st.status.succeeded,
    'conditions': [[c.type, c.status] for c in st.status.conditions or []],
    'listed': [j.metadata.name for j in listed.items],
    'deleted': deleted.status,
}))
`,
    );
    const r = await pythonJson(tc, { script });
    expect(r.created).toBe('pyjob');
    expect(r.backoff).toBe(6);
    expect(Object.keys(r.selector)).toEqual(['batch.kubernetes.io/controller-uid']);
    expect(r.succeeded).toBe(1);
    expect(r.conditions).toEqual([
      ['SuccessCriteriaMet', 'True'],
      ['Complete', 'True'],
    ]);
    expect(r.listed).toEqual(['pyjob']);
    await untilPasses(async () => expect(await podsOf('pyjob')).toEqual([]), 20_000);
  });
});
