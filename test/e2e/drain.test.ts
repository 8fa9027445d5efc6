// kubectl cordon, drain and uncordon: the Node's unschedulable flag, and pods/eviction (policy/v1
// Eviction, with protobuf DeleteOptions as kubectl's typed client sends them).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
let node: string;
beforeAll(async () => {
  tc = await startTestCluster();
  node = tc.cluster.config.nodeName;
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const run = (name: string) => tc.kubectl(['run', name, '--image=local/sleep', '--restart=Never', '--command', '--', 'sleep', '3600']);
const phase = async (name: string) =>
  (await tc.kubectl(['get', 'pod', name, '-o', 'jsonpath={.status.phase}'], { allowFail: true })).stdout;

describe('kubectl drain', () => {
  it('cordons, evicts every Pod and leaves new ones Pending until uncordon', async () => {
    await run('a');
    await run('b');
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/a', 'pod/b', '--timeout=20s']);
    const r = await tc.kubectl(['drain', node, '--ignore-daemonsets', '--force', '--grace-period=1', '--timeout=30s']);
    expect(r.stdout).toContain('pod/a evicted');
    expect(r.stdout).toContain('pod/b evicted');
    expect(r.stdout).toContain(`node/${node} drained`);
    expect((await tc.kubectl(['get', 'pods', '--no-headers'], { allowFail: true })).stdout.trim()).toBe('');
    const n = JSON.parse((await tc.kubectl(['get', 'node', node, '-o', 'json'])).stdout);
    expect(n.spec.unschedulable).toBe(true);

    await run('later');
    await tc.cluster.idle();
    expect(await phase('later')).toBe('Pending');
    await tc.kubectl(['uncordon', node]);
    await until(async () => ((await phase('later')) === 'Running' ? true : undefined));
  });
});

describe('pods/eviction', () => {
  const P = '/api/v1/namespaces/default/pods';
  const evict = (name: string, body: Record<string, unknown>) =>
    api(tc.cluster, 'POST', `${P}/${name}/eviction`, { body: { apiVersion: 'policy/v1', kind: 'Eviction', ...body } });

  it('is in discovery as upstream lists it', async () => {
    const disc = JSON.parse((await tc.kubectl(['get', '--raw', '/api/v1'])).stdout);
    expect(disc.resources.find((x: { name: string }) => x.name === 'pods/eviction')).toEqual({
      name: 'pods/eviction',
      singularName: '',
      namespaced: true,
      kind: 'Eviction',
      verbs: ['create'],
      group: 'policy',
      version: 'v1',
    });
  });

  it('marks the Pod DisruptionTarget and deletes it with the Eviction’s options; refuses what upstream refuses', async () => {
    // Ignores SIGTERM, so it is still there, being deleted, for the checks below.
    await tc.kubectl([
      'run',
      'victim',
      '--image=local/sh',
      '--restart=Never',
      '--command',
      '--',
      'sh',
      '-c',
      "trap '' TERM; while true; do sleep 1; done",
    ]);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/victim', '--timeout=20s']);
    const uid = JSON.parse((await tc.kubectl(['get', 'pod', 'victim', '-o', 'json'])).stdout).metadata.uid;

    const mismatch = await evict('victim', { metadata: { name: 'other' } });
    expect([mismatch.status, mismatch.json().message]).toEqual([400, 'name in URL does not match name in Eviction object']);
    const missing = await evict('nope', { metadata: { name: 'nope' } });
    expect([missing.status, missing.json().message]).toEqual([404, 'pods "nope" not found']);
    const wrongType = await evict('victim', { metadata: { name: 'victim' }, deleteOptions: 'now' });
    expect([wrongType.status, wrongType.json().message]).toEqual([
      400,
      'Eviction in version "v1" cannot be handled as a Eviction: json: cannot unmarshal string into Go struct field Eviction.deleteOptions of type v1.DeleteOptions',
    ]);
    const none = await api(tc.cluster, 'POST', `${P}/victim/eviction`, { body: 'null' });
    expect([none.status, none.json().message]).toEqual([400, "Object 'Kind' is missing in 'null'"]);
    const stale = await evict('victim', { metadata: { name: 'victim' }, deleteOptions: { preconditions: { uid: 'not-the-uid' } } });
    expect(stale.status).toBe(409);
    const dry = await evict('victim', { metadata: { name: 'victim' }, deleteOptions: { dryRun: ['All'] } });
    expect(dry.status).toBe(201);
    expect(await phase('victim')).toBe('Running');

    const ok = await evict('victim', { metadata: { name: 'victim' }, deleteOptions: { gracePeriodSeconds: 3, preconditions: { uid } } });
    expect([ok.status, ok.json()]).toEqual([201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 }]);
    const p = JSON.parse((await tc.kubectl(['get', 'pod', 'victim', '-o', 'json'])).stdout);
    expect(p.metadata.deletionTimestamp).toBeDefined();
    expect(p.status.conditions.find((c: { type: string }) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
    });
    // Evicting a Pod that is already going: success, nothing more.
    expect((await evict('victim', { metadata: { name: 'victim' } })).status).toBe(201);
    await tc.kubectl(['wait', '--for=delete', 'pod/victim', '--timeout=20s']);
  });
});
