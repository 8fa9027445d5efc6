// batch/v1 Jobs through kubectl: create job, wait for completion, the table, completions and
// parallelism, Indexed Jobs, suspend and resume, activeDeadlineSeconds, ttlSecondsAfterFinished,
// and the Pods' tracking finalizer.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until, untilPasses } from '../helpers/wait.js';
import { workloadKubectl } from '../helpers/workloads.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster({ podBackoff: { initialMs: 200, maxMs: 1000 } });
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
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    deletionTimestamp?: string;
  };
  spec: { hostname?: string; subdomain?: string };
  status: { phase: string };
};
const podsOf = async (job: string): Promise<PodJ[]> => (await getJson('get', 'pods', '-l', `job-name=${job}`)).items;

describe('kubectl create job', () => {
  it('runs the Pod to completion: Complete, 1/1, labels, selector, finalizer gone, events', async () => {
    await kc('create', 'job', 'hello', '--image=local/x', '--', 'sh', '-c', 'echo hi; exit 0');
    await kc('wait', '--for=condition=complete', 'job/hello', '--timeout=20s');
    const job = await getJson('get', 'job', 'hello');
    const uid = job.metadata.uid;
    expect(job.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      manualSelector: false,
      podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
    });
    expect(job.spec.template.metadata.labels).toEqual({
      'batch.kubernetes.io/controller-uid': uid,
      'batch.kubernetes.io/job-name': 'hello',
      'controller-uid': uid,
      'job-name': 'hello',
    });
    expect(job.metadata.labels).toEqual(job.spec.template.metadata.labels);
    expect(job.metadata.generation).toBe(1);
    expect(job.status).toMatchObject({ succeeded: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} });
    expect(job.status.active).toBeUndefined();
    expect(job.status.startTime).toBeTruthy();
    expect(Date.parse(job.status.completionTime)).toBeGreaterThanOrEqual(Date.parse(job.status.startTime));
    const conds = job.status.conditions.map((c: Cond) => [c.type, c.status, c.reason]);
    expect(conds).toEqual([
      ['SuccessCriteriaMet', 'True', 'CompletionsReached'],
      ['Complete', 'True', 'CompletionsReached'],
    ]);
    const pods = await podsOf('hello');
    expect(pods).toHaveLength(1);
    expect(pods[0]!.status.phase).toBe('Succeeded');
    expect(pods[0]!.metadata.finalizers ?? []).not.toContain('batch.kubernetes.io/job-tracking');
    expect(pods[0]!.metadata.name).toMatch(/^hello-[a-z0-9]{5}$/);
    expect((await kc('logs', 'job/hello')).stdout).toBe('hi\n');

    const row = (await kc('get', 'job', 'hello', '--no-headers')).stdout.trim().split(/\s+/);
    expect(row.slice(0, 3)).toEqual(['hello', 'Complete', '1/1']);
    expect(row[3]).toMatch(/^\d+s$/);
    const head = (await kc('get', 'jobs', '-o', 'wide')).stdout.split('\n')[0]!.trim().split(/\s+/);
    expect(head).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    const wide = (await kc('get', 'job', 'hello', '-o', 'wide', '--no-headers')).stdout.trim().split(/\s+/);
    expect(wide.slice(5)).toEqual(['hello', 'local/x', `batch.kubernetes.io/controller-uid=${uid}`]);

    const events = (await kc('describe', 'job', 'hello')).stdout.split('Events:')[1]!;
    expect(events).toMatch(/Normal\s+SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: hello-[a-z0-9]{5}/);
    expect(events).toMatch(/Normal\s+Completed\s+\S+\s+job-controller\s+Job completed/);
  });

  it('keeps at most parallelism Pods active until completions succeed', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: par}
spec:
  completions: 5
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: local/x
        command: [sh, -c, 'sleep 0.3']
`);
    let maxActive = 0;
    await until(
      async () => {
        const pods = await podsOf('par');
        const active = pods.filter(
          (p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp,
        ).length;
        maxActive = Math.max(maxActive, active);
        const job = await getJson('get', 'job', 'par');
        expect(job.status.active ?? 0).toBeLessThanOrEqual(2);
        return job.status.conditions?.some((c: Cond) => c.type === 'Complete' && c.status === 'True');
      },
      { timeout: 30_000, every: 50 },
    );
    expect(maxActive).toBeGreaterThan(0);
    expect(maxActive).toBeLessThanOrEqual(2);
    const pods = await podsOf('par');
    expect(pods.filter((p) => p.status.phase === 'Succeeded')).toHaveLength(5);
    expect((await kc('get', 'job', 'par', '--no-headers')).stdout.trim().split(/\s+/).slice(1, 3)).toEqual(['Complete', '5/5']);
  });
});

describe('Indexed Jobs', () => {
  it('gives each Pod its index: JOB_COMPLETION_INDEX, annotation, label, hostname; completedIndexes', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: idx}
spec:
  completions: 3
  parallelism: 3
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      subdomain: workers
      containers:
      - name: c
        image: local/x
        command: [sh, -c, 'echo "index=$JOB_COMPLETION_INDEX host=$(hostname)"']
`);
    await kc('wait', '--for=condition=complete', 'job/idx', '--timeout=20s');
    const job = await getJson('get', 'job', 'idx');
    expect(job.status.completedIndexes).toBe('0-2');
    expect(job.status.succeeded).toBe(3);
    const pods = await podsOf('idx');
    expect(pods.map((p) => p.metadata.annotations!['batch.kubernetes.io/job-completion-index']).sort()).toEqual(['0', '1', '2']);
    for (const p of pods) {
      const ix = p.metadata.annotations!['batch.kubernetes.io/job-completion-index'];
      expect(p.metadata.labels!['batch.kubernetes.io/job-completion-index']).toBe(ix);
      expect(p.metadata.name).toMatch(new RegExp(`^idx-${ix}-[a-z0-9]{5}$`));
      expect(p.spec.hostname).toBe(`idx-${ix}`);
      expect(p.spec.subdomain).toBe('workers');
      expect((await kc('logs', p.metadata.name)).stdout).toBe(`index=${ix} host=idx-${ix}\n`);
    }
  });
});

describe('suspend, deadlines, TTL', () => {
  it('a suspended Job creates no Pods; resuming runs it and sets a new startTime', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: sus}
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: local/x
        command: [sh, -c, 'exit 0']
`);
    await untilPasses(async () => {
      const job = await getJson('get', 'job', 'sus');
      expect(job.status.conditions).toEqual([
        expect.objectContaining({ type: 'Suspended', status: 'True', reason: 'JobSuspended', message: 'Job suspended' }),
      ]);
    });
    const job = await getJson('get', 'job', 'sus');
    expect(job.status.startTime).toBeUndefined();
    expect((await kc('get', 'job', 'sus', '--no-headers')).stdout.trim().split(/\s+/).slice(1, 3)).toEqual(['Suspended', '0/1']);
    expect(await podsOf('sus')).toEqual([]);
    await kc('patch', 'job', 'sus', '--type=merge', '-p', '{"spec":{"suspend":false}}');
    await kc('wait', '--for=condition=complete', 'job/sus', '--timeout=20s');
    const done = await getJson('get', 'job', 'sus');
    expect(done.status.conditions.find((c: Cond) => c.type === 'Suspended')).toMatchObject({ status: 'False', reason: 'JobResumed' });
    expect(done.status.startTime).toBeTruthy();
    const events = (await kc('describe', 'job', 'sus')).stdout.split('Events:')[1]!;
    expect(events).toMatch(/Normal\s+Suspended\s+\S+\s+job-controller\s+Job suspended/);
    expect(events).toMatch(/Normal\s+Resumed\s+\S+\s+job-controller\s+Job resumed/);
  });

  it('suspending a running Job deletes its Pods', async () => {
    await kc('create', 'job', 'sus2', '--image=local/x', '--', 'sleep', '300');
    await until(async () => (await podsOf('sus2')).some((p) => p.status.phase === 'Running'), 20_000);
    await kc('patch', 'job', 'sus2', '--type=merge', '-p', '{"spec":{"suspend":true}}');
    await until(async () => (await podsOf('sus2')).length === 0, 20_000);
    const job = await getJson('get', 'job', 'sus2');
    expect(job.status.active ?? 0).toBe(0);
    // Pods deleted for a suspension are not failures.
    expect(job.status.failed ?? 0).toBe(0);
    expect(job.status.conditions.find((c: Cond) => c.type === 'Suspended')?.status).toBe('True');
  });

  it('activeDeadlineSeconds fails the Job with DeadlineExceeded and stops its Pods', async () => {
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: deadline}
spec:
  activeDeadlineSeconds: 1
  template:
    spec:
      restartPolicy: Never
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: local/x
        command: [sleep, '300']
`);
    await kc('wait', '--for=condition=failed', 'job/deadline', '--timeout=30s');
    const job = await getJson('get', 'job', 'deadline');
    expect(job.status.conditions.map((c: Cond) => [c.type, c.reason])).toEqual([
      ['FailureTarget', 'DeadlineExceeded'],
      ['Failed', 'DeadlineExceeded'],
    ]);
    expect(job.status.conditions[1].message).toBe('Job was active longer than specified deadline');
    expect(job.status.completionTime).toBeUndefined();
    expect(job.status.active ?? 0).toBe(0);
    expect((await kc('get', 'job', 'deadline', '--no-headers')).stdout.trim().split(/\s+/)[1]).toBe('Failed');
    const events = (await kc('describe', 'job', 'deadline')).stdout.split('Events:')[1]!;
    expect(events).toMatch(/Warning\s+DeadlineExceeded\s+\S+\s+job-controller\s+Job was active longer than specified deadline/);
    await until(async () => (await podsOf('deadline')).every((p) => p.status.phase === 'Failed' || p.metadata.deletionTimestamp), 20_000);
  });

  it('ttlSecondsAfterFinished deletes the finished Job and its Pods', async () => {
    // Watched from before the create: a second after it completes the Job is gone, sooner than a
    // kubectl started after the apply may look (a loaded machine), so the events tell the order.
    const { Agent, request } = await import('undici');
    const dispatcher = new Agent({ connect: { ca: tc.cluster.caCert } });
    const watch = new AbortController();
    const res = await request(`${tc.cluster.server}/apis/batch/v1/namespaces/default/jobs?watch=true&fieldSelector=metadata.name%3Dttl`, {
      headers: { authorization: `Bearer ${tc.cluster.token}` },
      dispatcher,
      signal: watch.signal,
    });
    expect(res.statusCode).toBe(200);
    const events: { type: string; object: { status?: { conditions?: Cond[] } } }[] = [];
    let buf = '';
    const reading = (async () => {
      for await (const chunk of res.body) {
        buf += chunk.toString();
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
        }
      }
    })().catch(() => undefined);
    await apply(`apiVersion: batch/v1
kind: Job
metadata: {name: ttl}
spec:
  ttlSecondsAfterFinished: 1
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: local/x
        command: [sh, -c, 'exit 0']
`);
    await until(() => events.some((e) => e.type === 'DELETED'), 20_000);
    const complete = events.findIndex((e) => e.object.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True'));
    expect(complete).toBeGreaterThanOrEqual(0);
    expect(events.findIndex((e) => e.type === 'DELETED')).toBeGreaterThan(complete);
    expect((await tc.kubectl(['get', 'job', 'ttl'], { allowFail: true })).code).not.toBe(0);
    await until(async () => (await podsOf('ttl')).length === 0, 20_000);
    watch.abort();
    await reading;
    await dispatcher.close();
  });
});
