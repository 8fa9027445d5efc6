// kubectl top against metrics.k8s.io, computed from /proc for this node and its Pods.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
  // One Pod spins half of the time and holds a large array; the other sleeps.
  const busy =
    'const a = []; for (let i = 0; i < 3e6; i++) a.push(i); setInterval(() => { const t = Date.now(); while (Date.now() - t < 50) {} }, 100)';
  await tc.kubectl(['run', 'busy', '--image=local/node', '--restart=Never', '--command', '--', process.execPath, '-e', busy]);
  await tc.kubectl(['run', 'idle', '--image=local/sleep', '--restart=Never', '--command', '--', 'sleep', '3600']);
  await tc.kubectl(['wait', '--for=condition=Ready', 'pod/busy', 'pod/idle', '--timeout=20s']);
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const cores = (s: string) => (s.endsWith('m') ? Number(s.slice(0, -1)) / 1000 : Number(s));
const mib = (s: string) => Number(s.replace(/Mi$/, ''));

describe('kubectl top', () => {
  it('pod: CPU and memory of each running Pod, by namespace, label and container', async () => {
    const rows = (await tc.kubectl(['top', 'pod', '--no-headers'])).stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    const by = Object.fromEntries(rows.map(([name, cpu, mem]) => [name!, { cpu: cores(cpu!), mem: mib(mem!) }]));
    expect(Object.keys(by).sort()).toEqual(['busy', 'idle']);
    expect(by.busy!.cpu).toBeGreaterThan(by.idle!.cpu);
    expect(by.busy!.mem).toBeGreaterThan(by.idle!.mem);
    const only = (await tc.kubectl(['top', 'pod', '-l', 'run=idle', '--containers', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(only.slice(0, 2)).toEqual(['idle', 'idle']);
    expect((await tc.kubectl(['top', 'pod', '-n', 'kube-system', '--no-headers'], { allowFail: true })).stderr).toContain(
      'No resources found in kube-system namespace.',
    );
  });

  it('node: this node’s usage against its allocatable', async () => {
    const out = (await tc.kubectl(['top', 'node'])).stdout.trim().split('\n');
    expect(out[0]!.trim().split(/\s{2,}/)).toEqual(['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)']);
    const [name, , cpuPct, mem, memPct] = out[1]!.trim().split(/\s+/);
    expect(name).toBe(tc.cluster.config.nodeName);
    expect(cpuPct).toMatch(/^\d+%$/);
    expect(mib(mem!)).toBeGreaterThan(0);
    expect(memPct).toMatch(/^\d+%$/);
  });
});

describe('metrics.k8s.io', () => {
  it('serves PodMetrics and NodeMetrics as metrics-server does, and nothing else', async () => {
    const pm = (await api(tc.cluster, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/busy')).json();
    expect(pm).toMatchObject({
      kind: 'PodMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: 'busy', namespace: 'default', labels: { run: 'busy' } },
    });
    expect(pm.window).toMatch(/^\d+(\.\d+)?s$/);
    expect(pm.containers).toEqual([
      { name: 'busy', usage: { cpu: expect.stringMatching(/^\d+n$/), memory: expect.stringMatching(/^\d+Ki$/) } },
    ]);
    const missing = await api(tc.cluster, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods/nope');
    expect([missing.status, missing.json().message]).toEqual([404, 'pods.metrics.k8s.io "nope" not found']);
    const watch = await api(tc.cluster, 'GET', '/apis/metrics.k8s.io/v1beta1/pods?watch=true');
    expect(watch.status).toBe(405);
    const table = (await tc.kubectl(['get', 'podmetrics', 'busy'])).stdout.split('\n')[0]!.trim().split(/\s+/);
    expect(table).toEqual(['NAME', 'CPU', 'MEMORY', 'WINDOW']);
  });
});
