// kubectl debug: ephemeral containers added through pods/ephemeralcontainers, run once in the
// Pod's sandbox beside its containers, with their logs, exec, attach and status, and upstream's
// validation of what may be added.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
const P = '/api/v1/namespaces/default/pods/web';
beforeAll(async () => {
  tc = await startTestCluster();
  await tc.kubectl(['run', 'web', '--image=local/app', '--restart=Never', '--command', '--', 'sleep', '3600']);
  await tc.kubectl(['wait', '--for=condition=Ready', 'pod/web', '--timeout=20s']);
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const pod = async () => JSON.parse((await tc.kubectl(['get', 'pod', 'web', '-o', 'json'])).stdout);
const ephStatus = async (name: string) =>
  ((await pod()).status.ephemeralContainerStatuses ?? []).find((s: { name: string }) => s.name === name);

describe('kubectl debug', () => {
  it('runs a command once in an ephemeral container; its status, logs and the Pod’s own containers are as upstream', async () => {
    const r = await tc.kubectl([
      'debug',
      'web',
      '--image=busybox',
      '-c',
      'dbg',
      '--target=web',
      '--',
      'sh',
      '-c',
      'echo from-debug; hostname',
    ]);
    expect(r.stdout + r.stderr).toContain('Targeting container "web"');
    const st = await until(async () => {
      const s = await ephStatus('dbg');
      return s?.state?.terminated ? s : undefined;
    });
    expect(st).toMatchObject({
      name: 'dbg',
      // The runtime's name for the image, as containerd reports it.
      image: 'docker.io/library/busybox:latest',
      ready: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed' } },
    });
    expect((await tc.kubectl(['logs', 'web', '-c', 'dbg'])).stdout).toBe('from-debug\nweb\n');
    const p = await pod();
    expect(p.spec.ephemeralContainers).toEqual([
      expect.objectContaining({
        name: 'dbg',
        image: 'busybox',
        command: ['sh', '-c', 'echo from-debug; hostname'],
        targetContainerName: 'web',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'Always',
      }),
    ]);
    // Not restarted, and no part of the Pod's readiness or phase.
    await tc.cluster.idle();
    expect((await ephStatus('dbg')).restartCount).toBe(0);
    expect(p.status.phase).toBe('Running');
    expect((await tc.kubectl(['get', 'pod', 'web', '--no-headers'])).stdout.split(/\s+/).slice(1, 3)).toEqual(['1/1', 'Running']);
    const describe = (await tc.kubectl(['describe', 'pod', 'web'])).stdout;
    expect(describe).toMatch(/Ephemeral Containers:\n\s+dbg:\n/);
  });

  it('attaches with -i, and the ephemeral container takes exec while it runs', async () => {
    const r = await tc.kubectl(['debug', '-i', 'web', '--image=busybox', '-c', 'asker', '--', 'sh', '-c', 'read line; echo got:$line'], {
      input: 'hello\n',
    });
    expect(r.stdout).toContain('got:hello');
    await tc.kubectl(['debug', 'web', '--image=busybox', '-c', 'waiter', '--', 'sleep', '60']);
    await until(async () => (await ephStatus('waiter'))?.state?.running);
    expect((await tc.kubectl(['exec', 'web', '-c', 'waiter', '--', 'echo', 'exec-ok'])).stdout).toBe('exec-ok\n');
  });

  it('node/NAME: a Pod on the host’s namespaces with the host’s root at /host (sent as protobuf by kubectl)', async () => {
    const node = tc.cluster.config.nodeName;
    // It waits for a line of input, which comes once kubectl has attached: output written before
    // that is not streamed (as upstream).
    const r = await tc.kubectl(['debug', `node/${node}`, '-i', '--image=busybox', '--', 'sh', '-c', 'read go; ls -d /host/etc; hostname'], {
      input: 'go\n',
    });
    expect(r.stdout).toContain(`/host/etc\n${node}\n`);
    const p = JSON.parse((await tc.kubectl(['get', 'pods', '-o', 'json'])).stdout).items.find((x: { metadata: { name: string } }) =>
      x.metadata.name.startsWith(`node-debugger-${node}-`),
    );
    expect(p.spec).toMatchObject({ nodeName: node, hostNetwork: true, hostPID: true, hostIPC: true });
    expect(p.spec.volumes).toContainEqual({ name: 'host-root', hostPath: { path: '/', type: '' } });
    expect(p.spec.containers[0].volumeMounts).toContainEqual({ name: 'host-root', mountPath: '/host' });
  });

  it('says why an image no map knows cannot run', async () => {
    await tc.kubectl(['debug', 'web', '--image=registry.example/debug-tools:1', '-c', 'noimage']);
    const st = await until(async () => (await ephStatus('noimage'))?.state?.waiting);
    expect(st.reason).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    expect(st.message).toMatch(
      /^(Back-off pulling image "registry.example\/debug-tools:1": ErrImagePull: )?tinykube runs images as programs on this host and has no mapping for image "registry.example\/debug-tools:1"/,
    );
  });
});

describe('pods/ephemeralcontainers', () => {
  const patch = (ec: unknown[]) =>
    api(tc.cluster, 'PATCH', `${P}/ephemeralcontainers`, {
      body: { spec: { ephemeralContainers: ec } },
      contentType: 'application/strategic-merge-patch+json',
    });
  const causes = (r: { json(): { details?: { causes?: { field: string; message: string }[] } } }) =>
    r.json().details?.causes?.map((c) => `${c.field}: ${c.message}`);

  it('is listed in discovery and reads the whole Pod', async () => {
    const disc = JSON.parse((await tc.kubectl(['get', '--raw', '/api/v1'])).stdout);
    expect(disc.resources.find((r: { name: string }) => r.name === 'pods/ephemeralcontainers')).toEqual({
      name: 'pods/ephemeralcontainers',
      singularName: '',
      namespaced: true,
      kind: 'Pod',
      verbs: ['get', 'patch', 'update'],
    });
    const r = await api(tc.cluster, 'GET', `${P}/ephemeralcontainers`);
    expect(r.json()).toMatchObject({ kind: 'Pod', metadata: { name: 'web' } });
  });

  it('refuses what upstream refuses: fields not for ephemeral containers, taken names, changes and removals', async () => {
    expect((await patch([{ name: 'fixed', image: 'x', command: ['sleep', '60'] }])).status).toBe(200);
    // A strategic merge patch adds after the ephemeral containers the Pod already has.
    const n = ((await pod()).spec.ephemeralContainers ?? []).length;
    const ports = await patch([
      { name: 'p', image: 'x', command: ['true'], ports: [{ containerPort: 80 }], readinessProbe: { exec: { command: ['true'] } } },
    ]);
    expect(ports.status).toBe(422);
    expect(causes(ports)).toEqual([
      `spec.ephemeralContainers[${n}].ports: Forbidden: cannot be set for an Ephemeral Container`,
      `spec.ephemeralContainers[${n}].readinessProbe: Forbidden: cannot be set for an Ephemeral Container`,
    ]);
    const dup = await patch([{ name: 'web', image: 'x', command: ['true'] }]);
    expect(causes(dup)).toEqual([`spec.ephemeralContainers[${n}].name: Duplicate value: "web"`]);
    const wrongType = await api(tc.cluster, 'PATCH', `${P}/ephemeralcontainers`, {
      body: { spec: { ephemeralContainers: 'x' } },
      contentType: 'application/merge-patch+json',
    });
    // A patch whose result does not decode: upstream's 422 on the `patch` field (patch.go).
    expect([wrongType.status, wrongType.json().message.replace(/Invalid value: ".*": /, 'Invalid value: "…": ')]).toEqual([
      422,
      ' "" is invalid: patch: Invalid value: "…": json: cannot unmarshal string into Go struct field PodSpec.spec.ephemeralContainers of type []v1.EphemeralContainer',
    ]);
    const target = await patch([{ name: 't', image: 'x', command: ['true'], targetContainerName: 'nope' }]);
    expect(causes(target)).toEqual([`spec.ephemeralContainers[${n}].targetContainerName: Not found: "nope"`]);

    // Replacing the list (a JSON merge patch) changes and removes existing ones.
    const cur = (await pod()).spec.ephemeralContainers as { name: string; command: string[] }[];
    const changed = cur.map((c) => (c.name === 'fixed' ? { ...c, command: ['sh', '-c', 'other'] } : c));
    const ch = await api(tc.cluster, 'PUT', `${P}/ephemeralcontainers`, {
      body: { ...(await pod()), spec: { ...(await pod()).spec, ephemeralContainers: changed } },
    });
    expect(ch.status).toBe(422);
    expect(ch.json().message).toContain('spec.ephemeralContainers: Forbidden: existing ephemeral containers "fixed" may not be changed\n');
    expect(ch.json().message).toContain('Command:');
    const rm = await api(tc.cluster, 'PATCH', `${P}/ephemeralcontainers`, {
      body: { spec: { ephemeralContainers: cur.filter((c) => c.name !== 'fixed') } },
      contentType: 'application/merge-patch+json',
    });
    expect(rm.json().message).toContain('spec.ephemeralContainers: Forbidden: existing ephemeral containers "fixed" may not be removed\n');

    // Not through the Pod itself, and not on create.
    const direct = await api(tc.cluster, 'PATCH', P, {
      body: { spec: { ephemeralContainers: [{ name: 'sneak', image: 'x', command: ['true'] }] } },
      contentType: 'application/strategic-merge-patch+json',
    });
    expect([direct.status, direct.json().message]).toEqual([
      422,
      expect.stringContaining('spec: Forbidden: pod updates may not change fields other than'),
    ]);
    const created = await api(tc.cluster, 'POST', '/api/v1/namespaces/default/pods', {
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'eph-create' },
        spec: { containers: [{ name: 'c', image: 'x' }], ephemeralContainers: [{ name: 'e', image: 'x' }] },
      },
    });
    expect(causes(created)).toEqual(['spec.ephemeralContainers: Forbidden: cannot be set on create']);
  });
});
