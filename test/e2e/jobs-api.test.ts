// The batch/v1 Job API: upstream's validation texts and field paths (422, nothing stored), what
// may change on update (a suspended Job's scheduling directives, not its template or completions),
// discovery, the status subresource and the status.successful field selector, the COMPLETIONS cell
// of a Job without completions, and deleting a running Job (its Pods lose the tracking finalizer).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { workloadKubectl } from '../helpers/workloads.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  await tc?.stop();
});

const kube = workloadKubectl(() => tc);
const kc = (...args: string[]) => kube.k(args);
const getJson = (...args: string[]) => kube.json(args);
const applyFail = async (yaml: string) => {
  const r = await tc.kubectl(['apply', '-f', '-'], { input: yaml, allowFail: true });
  expect(r.code).not.toBe(0);
  return r.stderr.trim();
};
const job = (name: string, spec: string, pod = 'restartPolicy: Never') => `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
${spec
  .split('\n')
  .filter(Boolean)
  .map((l) => `  ${l}`)
  .join('\n')}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      ${pod}
      containers:
      - {name: c, image: local/x, command: [sleep, '300']}
`;

describe('validation', () => {
  it('refuses invalid Jobs with upstream texts and stores nothing', async () => {
    const cases: [string, string, string, string][] = [
      ['bad-restart', '', 'restartPolicy: Always', 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
      [
        'bad-mode',
        'completionMode: Foo',
        'restartPolicy: Never',
        'spec.completionMode: Unsupported value: "Foo": supported values: "NonIndexed", "Indexed"',
      ],
      [
        'bad-indexed',
        'completionMode: Indexed\nparallelism: 2',
        'restartPolicy: Never',
        'spec.completions: Required value: when completion mode is Indexed',
      ],
      ['bad-par', 'parallelism: -1', 'restartPolicy: Never', 'spec.parallelism: Invalid value: -1: must be greater than or equal to 0'],
      [
        'bad-per-index',
        'backoffLimitPerIndex: 1',
        'restartPolicy: Never',
        'spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode',
      ],
      [
        'bad-pfp',
        'podFailurePolicy:\n  rules:\n  - action: FailJob\n    onExitCodes: {operator: In, values: [1]}',
        'restartPolicy: OnFailure',
        'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
      ],
      [
        'bad-pfp-rule',
        'podFailurePolicy:\n  rules:\n  - action: FailJob\n    onExitCodes: {operator: In, values: [0, 2, 1]}',
        'restartPolicy: Never',
        '\n* spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator\n* spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{0, 2, 1}: must be ordered',
      ],
      [
        'bad-success',
        'completions: 2\nsuccessPolicy:\n  rules:\n  - succeededCount: 1',
        'restartPolicy: Never',
        'spec.successPolicy: Invalid value: requires indexed completion mode',
      ],
      [
        'bad-selector',
        'manualSelector: true\nselector: {matchLabels: {app: other}}',
        'restartPolicy: Never',
        'spec.template.metadata.labels: Invalid value: map[string]string{"app":"bad-selector"}: `selector` does not match template `labels`',
      ],
      [
        'bad-max',
        'completionMode: Indexed\ncompletions: 2\nbackoffLimitPerIndex: 1\nmaxFailedIndexes: 3',
        'restartPolicy: Never',
        'spec.maxFailedIndexes: Invalid value: 3: must be less than or equal to completions',
      ],
    ];
    for (const [name, spec, pod, msg] of cases) {
      const err = await applyFail(job(name, spec, pod));
      expect(err, name).toBe(`The Job "${name}" is invalid: ${msg}`);
      expect((await tc.kubectl(['get', 'job', name], { allowFail: true })).code, name).not.toBe(0);
    }
  });

  it('a long Indexed Job name that cannot make Pod hostnames is refused', async () => {
    const name = 'a'.repeat(62);
    const err = await applyFail(job(name, 'completionMode: Indexed\ncompletions: 10'));
    expect(err).toBe(
      `The Job "${name}" is invalid: metadata.name: Invalid value: "${name}": will not able to create pod with invalid DNS label: ${name}-9`,
    );
  });
});

describe('updates', () => {
  it('completions and the template are immutable; a suspended Job that never started may move its Pods', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: job('imm', 'suspend: true\ncompletions: 2') });
    const patch = (p: string) => tc.kubectl(['patch', 'job', 'imm', '--type=merge', '-p', p], { allowFail: true });
    let r = await patch('{"spec":{"completions":3}}');
    expect(r.stderr.trim()).toBe('The Job "imm" is invalid: spec.completions: Invalid value: 3: field is immutable');
    r = await patch('{"spec":{"template":{"spec":{"nodeSelector":{"disk":"ssd"},"tolerations":[{"key":"k","operator":"Exists"}]}}}}');
    expect(r.code).toBe(0);
    const j = await getJson('get', 'job', 'imm');
    expect(j.spec.template.spec.nodeSelector).toEqual({ disk: 'ssd' });
    expect(j.metadata.generation).toBe(2);
    r = await patch('{"spec":{"template":{"spec":{"activeDeadlineSeconds":5}}}}');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^The Job "imm" is invalid: spec\.template: Invalid value: .*: field is immutable/);
    // Not suspended any more: its template is fixed.
    r = await patch('{"spec":{"suspend":false}}');
    expect(r.code).toBe(0);
    r = await patch('{"spec":{"template":{"spec":{"nodeSelector":null}}}}');
    expect(r.stderr).toMatch(/spec\.template: Invalid value: .*: field is immutable/);
    r = await patch('{"spec":{"selector":{"matchLabels":{"x":"y"}}}}');
    expect(r.stderr).toContain('spec.selector: Invalid value:');
    expect(r.stderr).toContain('field is immutable');
  });

  it('status is written through its subresource only, and checked', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: job('st', 'suspend: true') });
    // The main resource ignores status.
    await kc('patch', 'job', 'st', '--type=merge', '-p', '{"status":{"succeeded":5}}');
    expect((await getJson('get', 'job', 'st')).status.succeeded ?? 0).toBe(0);
    const r = await tc.kubectl(['patch', 'job', 'st', '--subresource=status', '--type=merge', '-p', '{"status":{"ready":-1}}'], {
      allowFail: true,
    });
    expect(r.stderr.trim()).toBe('The Job "st" is invalid: status.ready: Invalid value: -1: must be greater than or equal to 0');
    const r2 = await tc.kubectl(
      [
        'patch',
        'job',
        'st',
        '--subresource=status',
        '--type=merge',
        '-p',
        '{"status":{"conditions":[{"type":"Complete","status":"True"}]}}',
      ],
      { allowFail: true },
    );
    expect(r2.stderr).toContain(
      'status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition',
    );
  });
});

describe('reading', () => {
  it('is discovered in batch/v1 with the all category; the table of a Job without completions', async () => {
    const res = (await kc('api-resources', '--api-group=batch', '--no-headers')).stdout;
    expect(res).toMatch(/^jobs\s+batch\/v1\s+true\s+Job$/m);
    const all = (await kc('api-resources', '--categories=all', '-o', 'name')).stdout.split('\n');
    expect(all).toContain('jobs.batch');
    await tc.kubectl(['apply', '-f', '-'], { input: job('open', 'suspend: true\nparallelism: 3') });
    const j = await getJson('get', 'job', 'open');
    expect(j.spec.completions).toBeUndefined();
    const row = (await kc('get', 'job', 'open', '--no-headers')).stdout.trim().split(/\s+/);
    expect(row.slice(0, 5)).toEqual(['open', 'Suspended', '0/1', 'of', '3']);
  });

  it('selects Jobs by status.successful', async () => {
    await kc('create', 'job', 'okjob', '--image=local/x', '--', 'true');
    await kc('wait', '--for=condition=complete', 'job/okjob', '--timeout=20s');
    const names = (await kc('get', 'jobs', '--field-selector', 'status.successful=1', '-o', 'name')).stdout.trim().split('\n');
    expect(names).toContain('job.batch/okjob');
    expect(names).not.toContain('job.batch/open');
  });
});

describe('deletion', () => {
  it('kubectl delete job takes its running Pods (their tracking finalizer removed)', async () => {
    await kc('create', 'job', 'gone', '--image=local/x', '--', 'sleep', '300');
    await until(async () => (await getJson('get', 'pods', '-l', 'job-name=gone')).items.length === 1, 20_000);
    await kc('delete', 'job', 'gone', '--wait=false');
    await until(async () => (await getJson('get', 'pods', '-l', 'job-name=gone')).items.length === 0, 30_000);
  });

  it('--cascade=orphan leaves the Pods, without owner or finalizer', async () => {
    await kc('create', 'job', 'orph', '--image=local/x', '--', 'sleep', '300');
    await until(async () => (await getJson('get', 'pods', '-l', 'job-name=orph')).items.length === 1, 20_000);
    await kc('delete', 'job', 'orph', '--cascade=orphan');
    await until(async () => {
      const [p] = (await getJson('get', 'pods', '-l', 'job-name=orph')).items;
      return p && !p.metadata.ownerReferences?.length && !(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking');
    }, 20_000);
    await kc('delete', 'pods', '-l', 'job-name=orph', '--grace-period=0', '--force');
  });

  it('a Job whose Pods are refused records FailedCreate and backs off, then runs once it can', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: `apiVersion: batch/v1
kind: Job
metadata: {name: nosa}
spec:
  template:
    spec:
      restartPolicy: Never
      serviceAccountName: robot
      containers:
      - {name: c, image: local/x, command: ['true']}
`,
    });
    const failedCreate = async () =>
      (await getJson('get', 'events', '--field-selector', 'involvedObject.name=nosa,reason=FailedCreate')).items as {
        type: string;
        message: string;
        count: number;
        source: { component: string };
      }[];
    const [ev] = await until(async () => {
      const l = await failedCreate();
      return l.length ? l : undefined;
    }, 20_000);
    expect(ev!.type).toBe('Warning');
    expect(ev!.source.component).toBe('job-controller');
    // Upstream names the Pod by its generateName: admission runs before the name is generated.
    expect(ev!.message).toMatch(
      /^Error creating: pods "nosa-" is forbidden: error looking up service account default\/robot: serviceaccount "robot" not found$/,
    );
    await kc('create', 'serviceaccount', 'robot');
    await kc('wait', '--for=condition=complete', 'job/nosa', '--timeout=60s');
    // Retried with backoff, not in a loop.
    const total = (await failedCreate()).reduce((n, e) => n + (e.count ?? 1), 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThan(20);
  });
});
