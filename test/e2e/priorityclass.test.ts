// scheduling.k8s.io/v1 PriorityClass and node.k8s.io/v1 RuntimeClass as kubectl v1.32 uses them:
// the typed `create priorityclass` (protobuf body), tables and describe, the system classes present
// from the start and not deletable, upstream's 422 and 403 texts, the Priority admission plugin
// filling Pods' priority and preemptionPolicy (from the named class, the global default, or 0),
// kubectl's test/cmd core.sh PriorityClass assertions, and the scheduler binding waiting Pods
// highest priority first.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { untilPasses } from '../helpers/wait.js';
import { pythonJson } from '../helpers/python.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const SCHED = '/apis/scheduling.k8s.io/v1';
const json = async (args: string[]) => JSON.parse((await tc.kubectl([...args, '-o', 'json'])).stdout);
const fails = async (args: string[], input?: string) => {
  const r = await tc.kubectl(args, { allowFail: true, input });
  expect(r.code).not.toBe(0);
  return r.stderr.trim();
};
/** kubectl's table as rows of cells (columns split on runs of 2+ spaces). */
const table = async (args: string[]) =>
  (await tc.kubectl(args)).stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));
const pod = (name: string, spec: Record<string, unknown> = {}, ns = 'default') =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: { containers: [{ name: 'c', image: 'busybox:1.36', command: ['sleep', '3600'] }], ...spec },
  });

describe('discovery', () => {
  it('serves priorityclasses (pc) and runtimeclasses as upstream does', async () => {
    const sched = (await api(tc.cluster, 'GET', SCHED)).json();
    expect(sched.resources.map((r: { name: string; kind: string; namespaced: boolean; shortNames?: string[] }) => r)).toEqual([
      expect.objectContaining({ name: 'priorityclasses', kind: 'PriorityClass', namespaced: false, shortNames: ['pc'] }),
    ]);
    const node = (await api(tc.cluster, 'GET', '/apis/node.k8s.io/v1')).json();
    expect(node.resources).toEqual([expect.objectContaining({ name: 'runtimeclasses', kind: 'RuntimeClass', namespaced: false })]);
    expect(node.resources[0].shortNames).toBeUndefined();
    const groups = (await api(tc.cluster, 'GET', '/apis')).json().groups.map((g: { name: string }) => g.name);
    expect(groups.indexOf('scheduling.k8s.io')).toBe(groups.indexOf('apiextensions.k8s.io') + 1);
    expect(groups.indexOf('coordination.k8s.io')).toBe(groups.indexOf('scheduling.k8s.io') + 1);
    expect(groups.indexOf('node.k8s.io')).toBe(groups.indexOf('coordination.k8s.io') + 1);
    // OpenAPI v3 serves both groups' schemas (kubectl explain reads them).
    expect((await tc.kubectl(['explain', 'pc.preemptionPolicy'])).stdout).toMatch(/^FIELD: preemptionPolicy <string>$/m);
    expect((await tc.kubectl(['explain', 'runtimeclass.handler'])).stdout).toMatch(/^FIELD: handler <string>$/m);
  });
});

describe('PriorityClass', () => {
  it('has the system classes from the start, which cannot be deleted or changed', async () => {
    const rows = await table(['get', 'pc']);
    expect(rows[0]).toEqual(['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'AGE', 'PREEMPTIONPOLICY']);
    const byName = Object.fromEntries(rows.slice(1).map((r) => [r[0], r]));
    expect(byName['system-cluster-critical']).toEqual([
      'system-cluster-critical',
      '2000000000',
      'false',
      expect.any(String),
      'PreemptLowerPriority',
    ]);
    expect(byName['system-node-critical']).toEqual([
      'system-node-critical',
      '2000001000',
      'false',
      expect.any(String),
      'PreemptLowerPriority',
    ]);
    const node = await json(['get', 'priorityclass', 'system-node-critical']);
    expect(node).toMatchObject({
      value: 2000001000,
      description: 'Used for system critical pods that must not be moved from their current node.',
      preemptionPolicy: 'PreemptLowerPriority',
      metadata: { generation: 1 },
    });
    expect(node.globalDefault).toBeUndefined();

    expect(await fails(['delete', 'pc', 'system-node-critical'])).toBe(
      'Error from server (Forbidden): priorityclasses.scheduling.k8s.io "system-node-critical" is forbidden: this is a system priority class and cannot be deleted',
    );
    expect(await fails(['patch', 'pc', 'system-cluster-critical', '--type=merge', '-p', '{"value":5}'])).toBe(
      'The PriorityClass "system-cluster-critical" is invalid: value: Forbidden: may not be changed in an update.',
    );
    const made = await api(tc.cluster, 'POST', `${SCHED}/priorityclasses`, { body: { metadata: { name: 'system-mine' }, value: 10 } });
    expect(made.status).toBe(422);
    expect(made.json().message).toBe(
      'PriorityClass.scheduling.k8s.io "system-mine" is invalid: metadata.name: Forbidden: priority class names with \'system-\' prefix are reserved for system use only. error: system-mine is not a known system priority class',
    );
  });

  it('is created by kubectl’s typed command and printed and described as upstream does', async () => {
    await tc.kubectl(['create', 'priorityclass', 'high', '--value=1000', '--description=for the important ones']);
    expect(await json(['get', 'pc', 'high'])).toMatchObject({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      value: 1000,
      description: 'for the important ones',
      preemptionPolicy: 'PreemptLowerPriority',
    });
    await tc.kubectl(['create', 'priorityclass', 'polite', '--value=500', '--preemption-policy=Never']);
    const rows = await table(['get', 'pc', 'high', 'polite']);
    expect(rows.slice(1).map((r) => [r[0], r[1], r[2], r[4]])).toEqual([
      ['high', '1000', 'false', 'PreemptLowerPriority'],
      ['polite', '500', 'false', 'Never'],
    ]);
    const described = (await tc.kubectl(['describe', 'pc', 'high'])).stdout;
    expect(described).toMatch(/^Name:\s+high$/m);
    expect(described).toMatch(/^Value:\s+1000$/m);
    expect(described).toMatch(/^GlobalDefault:\s+false$/m);
    expect(described).toMatch(/^PreemptionPolicy:\s+PreemptLowerPriority$/m);
    expect(described).toMatch(/^Description:\s+for the important ones$/m);

    // upstream's validation texts
    expect(await fails(['create', 'priorityclass', 'huge', '--value=1000000001'])).toBe(
      'error: failed to create priorityclass: PriorityClass.scheduling.k8s.io "huge" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    );
    expect(await fails(['patch', 'pc', 'polite', '--type=merge', '-p', '{"preemptionPolicy":"PreemptLowerPriority"}'])).toBe(
      'The PriorityClass "polite" is invalid: preemptionPolicy: Invalid value: "PreemptLowerPriority": field is immutable',
    );
    const bad = await api(tc.cluster, 'POST', `${SCHED}/priorityclasses`, {
      body: { metadata: { name: 'odd' }, value: 1, preemptionPolicy: 'Sometimes' },
    });
    expect(bad.json().message).toBe(
      'PriorityClass.scheduling.k8s.io "odd" is invalid: preemptionPolicy: Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"',
    );
    // The description may change.
    await tc.kubectl(['patch', 'pc', 'high', '--type=merge', '-p', '{"description":"still important"}']);
    expect((await json(['get', 'pc', 'high'])).description).toBe('still important');
  });

  it('holds kubectl’s test/cmd core.sh assertions', async () => {
    const found = async () =>
      (
        await tc.kubectl([
          'get',
          'priorityclasses',
          '-o',
          'go-template={{range.items}}{{ if eq .metadata.name "test-priorityclass" }}found{{end}}{{end}}:',
        ])
      ).stdout;
    expect(await found()).toBe(':');
    await tc.kubectl(['create', 'priorityclass', 'test-priorityclass', '--dry-run=client']);
    const server = await tc.kubectl(['create', 'priorityclass', 'test-priorityclass', '--dry-run=server']);
    expect(server.stdout.trim()).toBe('priorityclass.scheduling.k8s.io/test-priorityclass created (server dry run)');
    expect(await found()).toBe(':');
    await tc.kubectl(['create', 'priorityclass', 'test-priorityclass']);
    expect(await found()).toBe('found:');
    expect((await json(['get', 'pc', 'test-priorityclass'])).value).toBe(0);
    // describe_resource_chunk_size_assert: the list and the events are read in chunks.
    const described = await tc.kubectl(['describe', 'priorityclasses', '--chunk-size=10', '-v=6']);
    expect(described.stdout).toMatch(/^Name:\s+test-priorityclass$/m);
    expect(described.stderr).toMatch(/GET https?:\/\/[^ ]+\/apis\/scheduling\.k8s\.io\/v1\/priorityclasses\?limit=10 200 OK/);
    expect(described.stderr).toMatch(/GET https?:\/\/[^ ]+\/api\/v1\/events\?[^ ]*limit=10 200 OK/);
    await tc.kubectl(['delete', 'priorityclass', 'test-priorityclass']);
    expect(await found()).toBe(':');
  });
});

describe('Priority admission', () => {
  it('fills priority and preemptionPolicy from the Pod’s class, or refuses unknown classes', async () => {
    await tc.kubectl(['create', 'priorityclass', 'adm-high', '--value=700']);
    await tc.kubectl(['create', 'priorityclass', 'adm-never', '--value=300', '--preemption-policy=Never']);
    await tc.kubectl(['create', '-f', '-'], { input: pod('with-class', { priorityClassName: 'adm-high' }) });
    expect((await json(['get', 'pod', 'with-class'])).spec).toMatchObject({
      priorityClassName: 'adm-high',
      priority: 700,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    await tc.kubectl(['create', '-f', '-'], { input: pod('never', { priorityClassName: 'adm-never' }) });
    expect((await json(['get', 'pod', 'never'])).spec).toMatchObject({ priority: 300, preemptionPolicy: 'Never' });
    await tc.kubectl(['create', '-f', '-'], { input: pod('plain') });
    const plain = (await json(['get', 'pod', 'plain'])).spec;
    expect(plain).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(plain.priorityClassName).toBeUndefined();
    // The system classes may be used in any namespace (upstream dropped that restriction).
    await tc.kubectl(['create', '-f', '-'], { input: pod('critical', { priorityClassName: 'system-node-critical' }) });
    expect((await json(['get', 'pod', 'critical'])).spec.priority).toBe(2000001000);

    expect(await fails(['create', '-f', '-'], pod('lost', { priorityClassName: 'nope' }))).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "lost" is forbidden: no PriorityClass with name nope was found',
    );
    expect(await fails(['create', '-f', '-'], pod('preset', { priorityClassName: 'adm-high', priority: 5 }))).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "preset" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 700 from the given PriorityClass name',
    );
    expect(
      await fails(['create', '-f', '-'], pod('policy', { priorityClassName: 'adm-never', preemptionPolicy: 'PreemptLowerPriority' })),
    ).toBe(
      'Error from server (Forbidden): error when creating "STDIN": pods "policy" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name',
    );
    // The same values as computed are accepted (a Pod re-created from `get -o yaml`).
    await tc.kubectl(['create', '-f', '-'], { input: pod('again', { priorityClassName: 'adm-high', priority: 700 }) });
    // Priority may not change afterwards, whichever way.
    expect(await fails(['patch', 'pod', 'with-class', '--type=merge', '-p', '{"spec":{"priority":9}}'])).toMatch(
      /^The Pod "with-class" is invalid: spec: Forbidden: pod updates may not change fields other than/,
    );
    for (const p of ['with-class', 'never', 'plain', 'critical', 'again'])
      await tc.kubectl(['delete', 'pod', p, '--grace-period=0', '--force']);
  });

  it('gives Pods without a class the global default, and allows one default only', async () => {
    await tc.kubectl(['create', 'priorityclass', 'everyone', '--value=42', '--global-default=true', '--description=default']);
    const rows = await table(['get', 'pc', 'everyone']);
    expect(rows[1]!.slice(0, 3)).toEqual(['everyone', '42', 'true']);
    expect(await fails(['create', 'priorityclass', 'second', '--value=43', '--global-default=true'])).toBe(
      'error: failed to create priorityclass: priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass everyone is already marked as default. Only one default can exist',
    );
    await tc.kubectl(['create', 'priorityclass', 'second', '--value=43']);
    expect(await fails(['patch', 'pc', 'second', '--type=merge', '-p', '{"globalDefault":true}'])).toBe(
      'Error from server (Forbidden): priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass everyone is already marked as default. Only one default can exist',
    );
    await tc.kubectl(['create', '-f', '-'], { input: pod('defaulted') });
    expect((await json(['get', 'pod', 'defaulted'])).spec).toMatchObject({
      priorityClassName: 'everyone',
      priority: 42,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    await tc.kubectl(['delete', 'pod', 'defaulted', '--grace-period=0', '--force']);
    await tc.kubectl(['delete', 'pc', 'everyone', 'second']);
  });
});

describe('scheduling order', () => {
  it('binds waiting Pods highest priority first, then oldest first', async () => {
    const node = (await json(['get', 'nodes'])).items[0].metadata.name as string;
    await tc.kubectl(['create', 'priorityclass', 'order-low', '--value=10']);
    await tc.kubectl(['create', 'priorityclass', 'order-high', '--value=100']);
    await tc.kubectl(['create', 'namespace', 'order']);
    await tc.kubectl(['cordon', node]);
    try {
      // Created (and named) lowest first, so neither arrival, age nor name gives the expected order.
      await tc.kubectl(['create', '-f', '-'], { input: pod('a-zero', {}, 'order') });
      await tc.kubectl(['create', '-f', '-'], { input: pod('b-low', { priorityClassName: 'order-low' }, 'order') });
      await tc.kubectl(['create', '-f', '-'], { input: pod('c-high', { priorityClassName: 'order-high' }, 'order') });
      await untilPasses(async () => {
        const events = (await json(['get', 'events', '-n', 'order', '--field-selector', 'reason=FailedScheduling'])).items;
        expect(new Set(events.map((e: { involvedObject: { name: string } }) => e.involvedObject.name))).toEqual(
          new Set(['a-zero', 'b-low', 'c-high']),
        );
      });
    } finally {
      await tc.kubectl(['uncordon', node]);
    }
    await untilPasses(async () => {
      const pods = (await json(['get', 'pods', '-n', 'order'])).items;
      expect(pods.filter((p: { spec: { nodeName?: string } }) => p.spec.nodeName).length).toBe(3);
    });
    const scheduled = (await json(['get', 'events', '-n', 'order', '--field-selector', 'reason=Scheduled'])).items as {
      involvedObject: { name: string };
      metadata: { resourceVersion: string };
    }[];
    scheduled.sort((a, b) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion));
    expect(scheduled.map((e) => e.involvedObject.name)).toEqual(['c-high', 'b-low', 'a-zero']);
    await tc.kubectl(['delete', 'namespace', 'order', '--wait=false']);
  });
});

describe('Python client', () => {
  it('creates and reads PriorityClasses and RuntimeClasses', async () => {
    const got = await pythonJson(tc, {
      code: `
import json, sys
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
sched = client.SchedulingV1Api()
sched.create_priority_class(client.V1PriorityClass(metadata=client.V1ObjectMeta(name="py-class"), value=123, description="from python"))
pc = sched.read_priority_class("py-class")
node = client.NodeV1Api()
node.create_runtime_class(client.V1RuntimeClass(metadata=client.V1ObjectMeta(name="py-runtime"), handler="runc"))
names = [c.metadata.name for c in sched.list_priority_class().items]
print(json.dumps({"value": pc.value, "policy": pc.preemption_policy, "names": names, "handler": node.read_runtime_class("py-runtime").handler}))
`,
    });
    expect(got).toEqual({
      value: 123,
      policy: 'PreemptLowerPriority',
      names: expect.arrayContaining(['py-class', 'system-cluster-critical', 'system-node-critical']),
      handler: 'runc',
    });
    await tc.kubectl(['delete', 'pc', 'py-class']);
    await tc.kubectl(['delete', 'runtimeclass', 'py-runtime']);
  });
});

describe('RuntimeClass', () => {
  it('is stored, validated and printed as upstream does', async () => {
    const rc = (name: string, handler: string, extra: Record<string, unknown> = {}) =>
      JSON.stringify({ apiVersion: 'node.k8s.io/v1', kind: 'RuntimeClass', metadata: { name }, handler, ...extra });
    await tc.kubectl(['create', '-f', '-'], {
      input: rc('sandboxed', 'runsc', {
        overhead: { podFixed: { cpu: '250m', memory: '64Mi' } },
        scheduling: { nodeSelector: { sandbox: 'yes' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }] },
      }),
    });
    const rows = await table(['get', 'runtimeclass', 'sandboxed']);
    expect(rows[0]).toEqual(['NAME', 'HANDLER', 'AGE']);
    expect(rows[1]!.slice(0, 2)).toEqual(['sandboxed', 'runsc']);
    expect((await json(['get', 'runtimeclass', 'sandboxed'])).overhead).toEqual({ podFixed: { cpu: '250m', memory: '64Mi' } });
    expect(await fails(['create', '-f', '-'], rc('bad', 'Not_A_Label'))).toBe(
      "The RuntimeClass \"bad\" is invalid: handler: Invalid value: \"Not_A_Label\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    );
    expect(await fails(['patch', 'runtimeclass', 'sandboxed', '--type=merge', '-p', '{"handler":"kata"}'])).toBe(
      'The RuntimeClass "sandboxed" is invalid: handler: Invalid value: "kata": field is immutable',
    );
    const tol = await fails(
      ['create', '-f', '-'],
      rc('badtol', 'runc', { scheduling: { tolerations: [{ operator: 'Equal', value: 'x' }] } }),
    );
    expect(tol).toBe(
      'The RuntimeClass "badtol" is invalid: scheduling.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
    );
    await tc.kubectl(['delete', 'runtimeclass', 'sandboxed']);
  });
});
