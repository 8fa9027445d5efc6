// Pods as local processes: scheduling, IPs, environment, logs, restarts, deletion, through kubectl.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { connect } from 'node:net';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { api } from '../helpers/http.js';
import { inCIDR, nthIP } from '../helpers/ranges.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster({ nodeName: 'node-a', zone: 'zone-1', podBackoff: { initialMs: 300, maxMs: 2000 } });
  // Created before the Pods below: its variables must show up in their environment.
  await tc.kubectl(['create', 'service', 'clusterip', 'early-bird', '--tcp=8080:80']);
});
afterAll(async () => {
  await tc?.stop();
});

const pod = async (name: string) => JSON.parse((await tc.kubectl(['get', 'pod', name, '-o', 'json'])).stdout);
const apply = (yaml: string) => tc.kubectl(['apply', '-f', '-'], { input: yaml });
const logs = async (...args: string[]) => (await tc.kubectl(['logs', ...args])).stdout;

describe('node', () => {
  it('registers one Ready Node with host capacity, labels and a Lease', async () => {
    const n = JSON.parse((await tc.kubectl(['get', 'node', 'node-a', '-o', 'json'])).stdout);
    expect(n.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'node-a',
      'kubernetes.io/os': 'linux',
      'topology.kubernetes.io/zone': 'zone-1',
    });
    expect(n.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
    expect(Number(n.status.capacity.cpu)).toBeGreaterThan(0);
    // resource.NewQuantity(2000, DecimalSI) serialises canonically.
    expect(n.status.capacity.pods).toBe('2k');
    expect(n.spec.podCIDR).toBe(tc.cluster.config.podCIDR);
    expect(n.status.addresses).toContainEqual({ type: 'InternalIP', address: '127.0.0.1' });
    const lease = JSON.parse((await tc.kubectl(['get', 'lease', '-n', 'kube-node-lease', 'node-a', '-o', 'json'])).stdout);
    expect(lease.spec.holderIdentity).toBe('node-a');
    expect(lease.spec.leaseDurationSeconds).toBe(40);
    // What a kubelet and the node controller record at start, as kubectl describe node shows it.
    const events = (await tc.kubectl(['describe', 'node', 'node-a'])).stdout.split('Events:')[1]!;
    for (const line of [
      /Normal\s+RegisteredNode\s+\S+\s+node-controller\s+Node node-a event: Registered Node node-a in Controller/,
      /Normal\s+Starting\s+\S+\s+kubelet\s+Starting kubelet\./,
      /Normal\s+NodeHasSufficientMemory\s+\S+\s+kubelet\s+Node node-a status is now: NodeHasSufficientMemory/,
      /Normal\s+NodeReady\s+\S+\s+kubelet\s+Node node-a status is now: NodeReady/,
    ])
      expect(events).toMatch(line);
  });
});

describe('running Pods', () => {
  it('kubectl run starts the command; Ready, an IP of its own, scheduled with an event', async () => {
    await tc.kubectl(['run', 'hello', '--image=local/hello', '--command', '--', 'sh', '-c', 'echo hello; sleep 1000']);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/hello', '--timeout=10s']);
    const p = await pod('hello');
    expect(p.spec.nodeName).toBe('node-a');
    expect(p.status.phase).toBe('Running');
    expect(inCIDR(tc.cluster.config.podCIDR, p.status.podIP), `${p.status.podIP} in ${tc.cluster.config.podCIDR}`).toBe(true);
    expect(p.status.hostIP).toBe('127.0.0.1');
    expect(p.status.containerStatuses[0]).toMatchObject({
      name: 'hello',
      ready: true,
      started: true,
      restartCount: 0,
      image: 'docker.io/local/hello:latest',
    });
    const wide = (await tc.kubectl(['get', 'pod', 'hello', '-o', 'wide', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(wide.slice(1, 3)).toEqual(['1/1', 'Running']);
    expect(wide[5]).toBe(p.status.podIP);
    expect(wide[6]).toBe('node-a');
    expect(await logs('hello')).toBe('hello\n');
    const ev = (
      await tc.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=hello', '-o', 'jsonpath={.items[*].reason}'])
    ).stdout.split(' ');
    expect(ev).toEqual(expect.arrayContaining(['Scheduled', 'Pulled', 'Created', 'Started']));
  });

  it('gives the downward API, Service variables of earlier Services, and $(VAR) expansion', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata:
  name: envy
  labels: {app: envy}
spec:
  containers:
  - name: main
    image: local/env
    command: ["sh", "-c", "env | sort; echo ARGS $(GREETING); sleep 1000"]
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: NAME_AGAIN, value: "pod $(POD_NAME) on $(NODE)"}
    - {name: GREETING, value: hi}
`);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/envy', '--timeout=10s']);
    await tc.kubectl(['create', 'service', 'clusterip', 'late-comer', '--tcp=81:81']);
    const p = await pod('envy');
    const out = await until(async () => {
      const l = await logs('envy');
      return l.includes('ARGS') ? l : undefined;
    });
    const env = Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      POD_NAME: 'envy',
      POD_NS: 'default',
      POD_IP: p.status.podIP,
      NODE: 'node-a',
      APP: 'envy',
      NAME_AGAIN: 'pod envy on node-a',
      HOSTNAME: 'envy',
    });
    const svc = JSON.parse((await tc.kubectl(['get', 'svc', 'early-bird', '-o', 'json'])).stdout);
    expect(env.EARLY_BIRD_SERVICE_HOST).toBe(svc.spec.clusterIP);
    expect(env.EARLY_BIRD_SERVICE_PORT).toBe('8080');
    expect(env.EARLY_BIRD_SERVICE_PORT_8080_80).toBe('8080');
    expect(env.EARLY_BIRD_PORT).toBe(`tcp://${svc.spec.clusterIP}:8080`);
    expect(env.EARLY_BIRD_PORT_8080_TCP_ADDR).toBe(svc.spec.clusterIP);
    // In-cluster clients go to the API server directly; the link variables describe the Service.
    expect(env.KUBERNETES_SERVICE_HOST).toBe('127.0.0.1');
    expect(env.KUBERNETES_SERVICE_PORT).toBe(String(tc.cluster.ports.api));
    expect(env.KUBERNETES_PORT).toBe(`tcp://${nthIP(tc.cluster.config.serviceCIDR, 1)}:443`);
    // The named-port variable names the same endpoint as _HOST and _PORT (the API server).
    expect(env.KUBERNETES_SERVICE_PORT_HTTPS).toBe(env.KUBERNETES_SERVICE_PORT);
    expect(env.LATE_COMER_SERVICE_HOST).toBeUndefined();
    expect(out).toContain('ARGS hi');
  });

  it('lets two Pods listen on the same port, each on its own IP', async () => {
    const server = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers:
  - name: srv
    image: local/node
    command: ["${process.execPath}", "-e", "require('net').createServer(s => s.end(process.env.POD_NAME)).listen(7070, process.env.POD_IP)"]
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
`;
    await apply(server('srv-a'));
    await apply(server('srv-b'));
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/srv-a', 'pod/srv-b', '--timeout=10s']);
    const read = (ip: string) =>
      new Promise<string>((resolve, reject) => {
        const s = connect(7070, ip);
        let b = '';
        s.on('data', (d) => (b += d));
        s.on('end', () => resolve(b));
        s.on('error', reject);
      });
    for (const n of ['srv-a', 'srv-b']) {
      const ip = (await pod(n)).status.podIP;
      expect(await until(() => read(ip).catch(() => undefined))).toBe(n);
    }
  });
});

describe('restarts and failures', () => {
  it('crash loops with growing back-off, counts restarts, keeps the previous log', async () => {
    await tc.kubectl(['run', 'crasher', '--image=x', '--command', '--', 'sh', '-c', 'echo run at $(date +%s%N); exit 3']);
    const p = await until(async () => {
      const x = await pod('crasher');
      return x.status.containerStatuses?.[0]?.restartCount >= 2 && x.status.containerStatuses[0].state.waiting ? x : undefined;
    });
    const cs = p.status.containerStatuses[0];
    expect(cs.state.waiting.reason).toBe('CrashLoopBackOff');
    expect(cs.state.waiting.message).toMatch(/^back-off \S+ restarting failed container=crasher pod=crasher_default\(/);
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(p.status.phase).toBe('Running');
    expect(await logs('crasher', '--previous')).toMatch(/^run at \d+\n$/);
    const row = (await tc.kubectl(['get', 'pod', 'crasher', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(['CrashLoopBackOff', 'Error']).toContain(row[2]);
    // The delay doubles (300ms, 600ms, … with this cluster's shortened back-off), as Go prints it.
    const seen = new Set<string>();
    await until(async () => {
      const m = (await pod('crasher')).status.containerStatuses[0].state.waiting?.message as string | undefined;
      const d = m && /^back-off (\S+) /.exec(m)?.[1];
      if (d) seen.add(d);
      return seen.has('600ms') || seen.has('1.2s');
    }, 15_000);
    expect([...seen].every((d) => ['300ms', '600ms', '1.2s', '2s'].includes(d))).toBe(true);
  });

  it('restartPolicy Never: a failed command makes the Pod Failed; OnFailure + exit 0 is Succeeded', async () => {
    await tc.kubectl(['run', 'once-bad', '--image=x', '--restart=Never', '--command', '--', 'sh', '-c', 'exit 7']);
    await tc.kubectl(['run', 'once-good', '--image=x', '--restart=OnFailure', '--command', '--', 'true']);
    const bad = await until(async () => ((await pod('once-bad')).status.phase === 'Failed' ? pod('once-bad') : undefined));
    expect(bad.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 7, reason: 'Error' });
    const good = await until(async () => ((await pod('once-good')).status.phase === 'Succeeded' ? pod('once-good') : undefined));
    expect(good.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect((await tc.kubectl(['get', 'pod', 'once-good', '--no-headers'])).stdout.split(/\s+/)[2]).toBe('Completed');
  });

  it('prints output that does not end with a newline as written', async () => {
    await tc.kubectl(['run', 'no-newline', '--image=x', '--restart=Never', '--command', '--', 'printf', 'one\\ntwo']);
    await until(async () => ((await pod('no-newline')).status.phase === 'Succeeded' ? true : undefined));
    expect(await logs('no-newline')).toBe('one\ntwo');
  });

  it('says what is wrong: no command, command not found, bad workingDir', async () => {
    await tc.kubectl(['run', 'nocmd', '--image=registry.example/nocmd:1']);
    await tc.kubectl(['run', 'notfound', '--image=x', '--restart=Never', '--command', '--', 'no-such-binary-here']);
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: badwd}
spec:
  restartPolicy: Never
  containers: [{name: c, image: x, command: [sh, -c, "true"], workingDir: /no/such/dir}]
`);
    // An image no map knows, without a command: nothing to run (images.test.ts has the details).
    const nocmd = await until(
      async () =>
        /^(ErrImagePull|ImagePullBackOff)$/.test((await pod('nocmd')).status.containerStatuses?.[0]?.state?.waiting?.reason) &&
        pod('nocmd'),
    );
    expect(nocmd.status.containerStatuses[0].state.waiting.message).toContain('no mapping for image "registry.example/nocmd:1"');
    const nf = await until(async () => ((await pod('notfound')).status.phase === 'Failed' ? pod('notfound') : undefined));
    expect(nf.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 128, reason: 'StartError' });
    expect(nf.status.containerStatuses[0].state.terminated.message).toContain(
      'exec: "no-such-binary-here": executable file not found in $PATH',
    );
    const wd = await until(async () => ((await pod('badwd')).status.phase === 'Failed' ? pod('badwd') : undefined));
    expect(wd.status.containerStatuses[0].state.terminated.message).toContain('chdir to cwd ("/no/such/dir")');
  });

  it('runs init containers in order before the containers', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: inits}
spec:
  initContainers:
  - {name: first, image: x, command: [sh, -c, "echo first"]}
  - {name: second, image: x, command: [sh, -c, "echo second"]}
  containers:
  - {name: main, image: x, command: [sh, -c, "echo main; sleep 1000"]}
`);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/inits', '--timeout=10s']);
    const p = await pod('inits');
    expect(
      p.status.initContainerStatuses.map((c: { name: string; state: { terminated: { reason: string } } }) => [
        c.name,
        c.state.terminated.reason,
      ]),
    ).toEqual([
      ['first', 'Completed'],
      ['second', 'Completed'],
    ]);
    const t = (n: number) => Date.parse(p.status.initContainerStatuses[n].state.terminated.finishedAt);
    expect(t(0)).toBeLessThanOrEqual(Date.parse(p.status.initContainerStatuses[1].state.terminated.startedAt));
    expect(await logs('inits', '-c', 'second')).toBe('second\n');
    expect(await logs('inits', '-c', 'main')).toBe('main\n');
    // pods/log without a container: the only container, whatever the init containers (upstream LogLocation).
    const r = await api(tc.cluster, 'GET', '/api/v1/namespaces/default/pods/inits/log');
    expect([r.status, r.text]).toEqual([200, 'main\n']);
  });

  it('leaves a Pod whose nodeSelector matches no node Pending and Unschedulable', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: picky}
spec:
  nodeSelector: {disktype: ssd}
  containers: [{name: c, image: x, command: [sleep, "1000"]}]
`);
    const p = await until(async () => {
      const x = await pod('picky');
      return x.status.conditions?.find((c: { type: string }) => c.type === 'PodScheduled') ? x : undefined;
    });
    expect(p.status.phase).toBe('Pending');
    expect(p.spec.nodeName).toBeUndefined();
    expect(p.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message:
        "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.",
    });
    // Labelling the node lets it run.
    await tc.kubectl(['label', 'node', 'node-a', 'disktype=ssd']);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/picky', '--timeout=10s']);
  });
});

describe('logs and deletion', () => {
  it('follows logs as they are written, with --tail and --timestamps', async () => {
    await tc.kubectl([
      'run',
      'ticker',
      '--image=x',
      '--command',
      '--',
      'sh',
      '-c',
      'i=0; while [ $i -lt 30 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done; sleep 1000',
    ]);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/ticker', '--timeout=10s']);
    await until(async () => (await logs('ticker')).includes('tick 3'));
    const tail = (await logs('ticker', '--tail=2')).trim().split('\n');
    expect(tail).toHaveLength(2);
    const stamped = (await logs('ticker', '--tail=1', '--timestamps')).trim();
    expect(stamped).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z tick \d+$/);
    // -f keeps the stream open and delivers lines written later.
    const follow = await tc.kubectl(['logs', '-f', 'ticker', '--request-timeout=4s'], { allowFail: true });
    expect(follow.stdout).toContain('tick 29');
  });

  it('gives a process that traps SIGTERM its grace period, and kills one that ignores it', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: graceful}
spec:
  terminationGracePeriodSeconds: 5
  containers: [{name: c, image: x, command: [sh, -c, "trap 'echo got TERM; sleep 0.6; exit 0' TERM; echo ready; while true; do sleep 0.1; done"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: x, command: [sh, -c, "trap '' TERM; echo ready; while true; do sleep 0.1; done"]}]
`);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/graceful', 'pod/stubborn', '--timeout=10s']);
    await until(async () => (await logs('graceful')).includes('ready'));
    let t0 = Date.now();
    await tc.kubectl(['delete', 'pod', 'graceful']);
    const graceMs = Date.now() - t0;
    expect(graceMs).toBeGreaterThanOrEqual(500);
    expect(graceMs).toBeLessThan(5000);
    t0 = Date.now();
    await tc.kubectl(['delete', 'pod', 'stubborn']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect((await tc.kubectl(['get', 'pods', 'graceful', 'stubborn'], { allowFail: true })).stderr).toContain('NotFound');
  });

  it('--grace-period=0 --force removes at once and frees the IP', async () => {
    await tc.kubectl(['run', 'forced', '--image=x', '--command', '--', 'sleep', '1000']);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/forced', '--timeout=10s']);
    const ip = (await pod('forced')).status.podIP;
    await tc.kubectl(['delete', 'pod', 'forced', '--grace-period=0', '--force']);
    const held = tc.cluster.store.db
      .prepare("SELECT count(*) AS n FROM allocations WHERE range LIKE 'podip:%' AND owner = ?")
      .get(`pod:${ip}`) as { n: number };
    expect(held.n).toBe(0);
    await until(async () => !(await tc.kubectl(['get', 'pods', '-o', 'name'])).stdout.includes('pod/forced'));
  });
});

describe('probes', () => {
  it('readiness gates Ready (exec), and an httpGet probe on the Pod IP passes', async () => {
    const flag = `/tmp/tinykube-ready-${process.pid}-${Date.now()}`;
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: gated}
spec:
  containers:
  - name: c
    image: x
    command: [sleep, "1000"]
    readinessProbe: {exec: {command: [test, -f, "${flag}"]}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: webby}
spec:
  containers:
  - name: c
    image: x
    command: ["${process.execPath}", "-e", "require('http').createServer((q, s) => s.end(q.url === '/healthz' ? 'ok' : 'x')).listen(8080, process.env.POD_IP)"]
    env: [{name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}]
    ports: [{name: http, containerPort: 8080}]
    readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}
`);
    await until(async () => (await pod('gated')).status.containerStatuses?.[0]?.state?.running);
    // Each failure is counted on one Event, as upstream's recorder does, not written anew.
    const unhealthy = async () =>
      JSON.parse(
        (await tc.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=gated,reason=Unhealthy', '-o', 'json'])).stdout,
      ).items as { count: number; message: string }[];
    // A probe has run and failed.
    await until(async () => (await unhealthy()).length > 0);
    let p = await pod('gated');
    expect(p.status.containerStatuses[0].ready).toBe(false);
    expect(p.status.conditions.find((c: { type: string }) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    const items = await until(async () => {
      const i = await unhealthy();
      return i.reduce((n, e) => n + e.count, 0) >= 2 ? i : undefined;
    });
    expect(items).toHaveLength(1);
    expect(items[0]!.message).toMatch(/^Readiness probe failed/);
    expect((await tc.kubectl(['describe', 'pod', 'gated'])).stdout).toMatch(
      /Warning\s+Unhealthy\s+\S+ \(x\d+ over \S+\)\s+kubelet\s+Readiness probe failed/,
    );
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(flag, '');
    try {
      await tc.kubectl(['wait', '--for=condition=Ready', 'pod/gated', 'pod/webby', '--timeout=10s']);
      p = await pod('gated');
      expect(p.status.containerStatuses[0].ready).toBe(true);
    } finally {
      rmSync(flag, { force: true });
    }
    // Readiness lost again: Ready goes False, the container keeps running.
    await until(async () => (await pod('gated')).status.containerStatuses[0].ready === false);
    expect((await pod('gated')).status.containerStatuses[0].restartCount).toBe(0);
  });

  it('restarts a container whose liveness probe fails, with Unhealthy and Killing events', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: sickly}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: x
    command: [sleep, "1000"]
    livenessProbe: {exec: {command: ["false"]}, periodSeconds: 1, failureThreshold: 2}
`);
    const p = await until(
      async () => ((await pod('sickly')).status.containerStatuses?.[0]?.restartCount >= 1 ? pod('sickly') : undefined),
      15_000,
    );
    expect(p.status.containerStatuses[0].lastState.terminated.exitCode).toBe(143);
    const reasons = (
      await tc.kubectl(['get', 'events', '--field-selector', 'involvedObject.name=sickly', '-o', 'jsonpath={.items[*].reason}'])
    ).stdout.split(' ');
    expect(reasons).toEqual(expect.arrayContaining(['Unhealthy', 'Killing']));
    const msgs = (
      await tc.kubectl([
        'get',
        'events',
        '--field-selector',
        'involvedObject.name=sickly,reason=Killing',
        '-o',
        'jsonpath={.items[*].message}',
      ])
    ).stdout;
    expect(msgs).toContain('Container c failed liveness probe, will be restarted');
  });
});

describe('preStop', () => {
  it('runs the preStop exec hook before SIGTERM', async () => {
    const mark = `/tmp/tinykube-prestop-${process.pid}-${Date.now()}`;
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: hooked}
spec:
  terminationGracePeriodSeconds: 5
  containers:
  - name: c
    image: x
    command: [sh, -c, "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
    lifecycle:
      preStop: {exec: {command: [sh, -c, "echo stopped > ${mark}"]}}
`);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/hooked', '--timeout=10s']);
    await tc.kubectl(['delete', 'pod', 'hooked']);
    const { readFileSync, rmSync } = await import('node:fs');
    try {
      expect(readFileSync(mark, 'utf8')).toBe('stopped\n');
    } finally {
      rmSync(mark, { force: true });
    }
  });
});

describe('pods/binding and pods/log over the API', () => {
  it('binds a Pod of another scheduler through pods/binding, once', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: bound-by-hand}
spec:
  schedulerName: my-scheduler
  containers: [{name: c, image: x, command: [sleep, "1000"]}]
`);
    await tc.cluster.idle();
    expect((await pod('bound-by-hand')).spec.nodeName).toBeUndefined();
    const path = '/api/v1/namespaces/default/pods/bound-by-hand/binding';
    const body = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'bound-by-hand' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'node-a' },
    };
    const r = await api(tc.cluster, 'POST', path, { body });
    expect(r.status).toBe(201);
    expect(r.json()).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/bound-by-hand', '--timeout=10s']);
    const again = await api(tc.cluster, 'POST', path, { body });
    expect(again.status).toBe(409);
    expect(again.json().message).toBe(
      'Operation cannot be fulfilled on pods "bound-by-hand": pod bound-by-hand is already assigned to node "node-a"',
    );
    const noTarget = await api(tc.cluster, 'POST', path, { body: { metadata: { name: 'bound-by-hand' }, target: {} } });
    expect(noTarget.status).toBe(422);
    expect(noTarget.json().message).toBe('Binding "bound-by-hand" is invalid: target.name: Required value');
  });

  it('answers pods/log mistakes with upstream messages', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers:
  - {name: a, image: x, command: [sleep, "1000"]}
  - {name: b, image: x, command: [sleep, "1000"]}
`);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/two', '--timeout=10s']);
    const log = (q: string) => api(tc.cluster, 'GET', `/api/v1/namespaces/default/pods/two/log${q}`);
    let r = await log('');
    expect(r.status).toBe(400);
    expect(r.json().message).toBe('a container name must be specified for pod two, choose one of: [a b]');
    r = await log('?container=c');
    expect(r.json().message).toBe('container c is not valid for pod two');
    r = await log('?container=a&previous=true');
    expect(r.json().message).toBe('previous terminated container "a" in pod "two" not found');
    expect((await log('?container=a')).status).toBe(200);
  });

  it('leaves a Pod Pending on a taint it does not tolerate, and runs one that tolerates it', async () => {
    await tc.kubectl(['taint', 'node', 'node-a', 'dedicated=infra:NoSchedule']);
    try {
      await apply(`apiVersion: v1
kind: Pod
metadata: {name: intolerant}
spec:
  containers: [{name: c, image: x, command: [sleep, "1000"]}]
---
apiVersion: v1
kind: Pod
metadata: {name: tolerant}
spec:
  tolerations: [{key: dedicated, operator: Equal, value: infra, effect: NoSchedule}]
  containers: [{name: c, image: x, command: [sleep, "1000"]}]
`);
      await tc.kubectl(['wait', '--for=condition=Ready', 'pod/tolerant', '--timeout=10s']);
      const p = await until(async () => {
        const x = await pod('intolerant');
        return x.status.conditions?.find((c: { type: string }) => c.type === 'PodScheduled') ? x : undefined;
      });
      expect(p.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled').message).toBe(
        '0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: infra}. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.',
      );
    } finally {
      await tc.kubectl(['taint', 'node', 'node-a', 'dedicated=infra:NoSchedule-']);
    }
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/intolerant', '--timeout=10s']);
  });
});
