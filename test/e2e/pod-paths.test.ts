// Paths an API caller chooses never leave their volume (issue 19, item 4): an expanded
// subPathExpr that is absolute or climbs with `..` is refused by the node with the kubelet's
// messages (CreateContainerConfigError), as are subPaths that resolve through a symlink out of the
// volume (pkg/volume/util/subpath), and nothing is created or mounted on the host; items paths
// with `..` are refused at admission with upstream's validation texts; a mount point inside a
// volume is not made through a symlink the Pod put there.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
let scratch: string;
beforeAll(async () => {
  tc = await startTestCluster({ podBackoff: { initialMs: 300, maxMs: 2000 } });
  scratch = mkdtempSync(join(tmpdir(), 'tk-pod-paths-'));
});
afterAll(async () => {
  await tc?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

type CState = { waiting?: { reason?: string; message?: string }; running?: unknown; terminated?: { exitCode: number; reason?: string } };
const createPod = async (pod: object) => {
  const r = await api(tc.cluster, 'POST', '/api/v1/namespaces/default/pods', { body: { apiVersion: 'v1', kind: 'Pod', ...pod } });
  expect(r.status, r.text).toBe(201);
};
/** The state of a container once the node is done with it: refused (Waiting with a reason) or exited. */
const stateOf = (pod: string, container = 'main', init = false) =>
  until(async () => {
    const p = tc.cluster.store.get('pods', 'default', pod);
    const list =
      (p?.status as Record<string, { name: string; state: CState }[]> | undefined)?.[
        init ? 'initContainerStatuses' : 'containerStatuses'
      ] ?? [];
    const s = list.find((c) => c.name === container)?.state;
    return s && !s.running && !(s.waiting && (s.waiting.reason === 'ContainerCreating' || s.waiting.reason === 'PodInitializing'))
      ? s
      : undefined;
  }, 15_000);
const eventMessages = async (pod: string) =>
  (await api(tc.cluster, 'GET', `/api/v1/namespaces/default/events?fieldSelector=involvedObject.name=${pod}`))
    .json()
    .items.map((e: { reason: string; message: string }) => `${e.reason}: ${e.message}`) as string[];
const shPod = (name: string, container: object, extra: object = {}) => ({
  metadata: { name },
  spec: {
    restartPolicy: 'Never',
    containers: [{ name: 'main', image: 'local/sh', command: ['sh', '-c', 'ls /x; echo done'], ...container }],
    ...extra,
  },
});

describe('subPathExpr expanded out of the volume', () => {
  it('`..` in the expanded value: CreateContainerConfigError with the kubelet message, nothing created on the host', async () => {
    const target = join(scratch, 'escape-dotdot');
    const climb = `${'../'.repeat(12)}${target.slice(1)}`;
    await createPod(
      shPod(
        'esc-dotdot',
        { env: [{ name: 'P', value: climb }], volumeMounts: [{ name: 'd', mountPath: '/x', subPathExpr: '$(P)' }] },
        { volumes: [{ name: 'd', emptyDir: {} }] },
      ),
    );
    const s = await stateOf('esc-dotdot');
    expect(s.waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: `unable to provision SubPath \`${climb}\`: must not contain '..'`,
    });
    expect(await until(async () => (await eventMessages('esc-dotdot')).find((m) => m.startsWith('Failed: ')))).toBe(
      `Failed: Error: unable to provision SubPath \`${climb}\`: must not contain '..'`,
    );
    expect(existsSync(target)).toBe(false);
  });

  it('an absolute expanded value (the host /etc): refused, nothing mounted', async () => {
    await createPod(
      shPod(
        'esc-abs',
        { env: [{ name: 'P', value: '/etc' }], volumeMounts: [{ name: 'd', mountPath: '/x', subPathExpr: '$(P)' }] },
        { volumes: [{ name: 'd', emptyDir: {} }] },
      ),
    );
    const s = await stateOf('esc-abs');
    expect(s.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'error SubPath `/etc` must not be an absolute path' });
  });

  it('a variable that is not set (or empty): `missing value for …`, no directory named after it', async () => {
    await createPod(
      shPod(
        'esc-missing',
        { env: [{ name: 'EMPTY', value: '' }], volumeMounts: [{ name: 'd', mountPath: '/x', subPathExpr: '$(NOPE)/$(EMPTY)' }] },
        { volumes: [{ name: 'd', emptyDir: {} }] },
      ),
    );
    const s = await stateOf('esc-missing');
    expect(s.waiting).toEqual({ reason: 'CreateContainerConfigError', message: 'missing value for EMPTY, NOPE' });
  });

  it('a value inside the volume still works (and is created there)', async () => {
    await createPod(
      shPod(
        'sub-ok',
        {
          env: [{ name: 'P', value: 'a/./b' }],
          command: ['sh', '-c', 'echo hi > /x/f; echo done'],
          volumeMounts: [{ name: 'd', mountPath: '/x', subPathExpr: '$(P)' }],
        },
        { volumes: [{ name: 'd', emptyDir: {} }] },
      ),
    );
    expect((await stateOf('sub-ok')).terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });
});

describe('symlinks inside a volume are not followed out of it', () => {
  it('subPath through a symlink to a host directory (hostPath volume): refused; one that stays inside is fine', async () => {
    const vol = join(scratch, 'hostvol');
    const outside = join(scratch, 'outside');
    mkdirSync(join(vol, 'inner'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret'), 'host secret\n');
    symlinkSync(outside, join(vol, 'out'));
    symlinkSync('inner', join(vol, 'in'));
    await createPod({
      metadata: { name: 'sym-host' },
      spec: {
        restartPolicy: 'Never',
        containers: [
          {
            name: 'main',
            image: 'local/sh',
            command: ['sh', '-c', 'cat /x/secret'],
            volumeMounts: [{ name: 'host', mountPath: '/x', subPath: 'out' }],
          },
          {
            name: 'deeper',
            image: 'local/sh',
            command: ['sh', '-c', 'true'],
            volumeMounts: [{ name: 'host', mountPath: '/x', subPath: 'out/new-dir' }],
          },
          {
            name: 'inside',
            image: 'local/sh',
            command: ['sh', '-c', 'echo ok > /x/f'],
            volumeMounts: [{ name: 'host', mountPath: '/x', subPath: 'in' }],
          },
        ],
        volumes: [{ name: 'host', hostPath: { path: vol, type: 'Directory' } }],
      },
    });
    expect((await stateOf('sym-host')).waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'failed to prepare subPath for volumeMount "host" of container "main"',
    });
    expect((await stateOf('sym-host', 'deeper')).waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'failed to create subPath directory for volumeMount "host" of container "deeper"',
    });
    expect((await stateOf('sym-host', 'inside')).terminated).toMatchObject({ exitCode: 0 });
    expect(existsSync(join(vol, 'inner', 'f'))).toBe(true);
    expect(readdirSync(outside)).toEqual(['secret']);
  });

  it('a symlink an init container planted in an emptyDir: not followed by a later subPath, nor by a mount point inside the volume', async () => {
    const outside = join(scratch, 'planted');
    mkdirSync(outside);
    await createPod({
      metadata: { name: 'sym-planted' },
      spec: {
        restartPolicy: 'Never',
        initContainers: [
          {
            name: 'plant',
            image: 'local/sh',
            command: ['sh', '-c', `ln -s ${outside} /data/esc && ln -s ${outside} /data/nest`],
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
          },
        ],
        containers: [
          {
            name: 'main',
            image: 'local/sh',
            command: ['sh', '-c', 'ls /x'],
            volumeMounts: [{ name: 'data', mountPath: '/x', subPath: 'esc' }],
          },
          // A second volume mounted below the first, through the planted link: its mount point
          // would be made at <outside>/m on the host.
          {
            name: 'nested',
            image: 'local/sh',
            command: ['sh', '-c', 'echo done'],
            volumeMounts: [
              { name: 'data', mountPath: '/data' },
              { name: 'other', mountPath: '/data/nest/m' },
            ],
          },
        ],
        volumes: [
          { name: 'data', emptyDir: {} },
          { name: 'other', emptyDir: {} },
        ],
      },
    });
    expect((await stateOf('sym-planted', 'plant', true)).terminated).toMatchObject({ exitCode: 0 });
    expect((await stateOf('sym-planted')).waiting).toEqual({
      reason: 'CreateContainerConfigError',
      message: 'failed to prepare subPath for volumeMount "data" of container "main"',
    });
    await stateOf('sym-planted', 'nested');
    expect(readdirSync(outside)).toEqual([]);
    // Without a mount namespace (MountNamespaceUnavailable) nothing is mounted at all.
    const events = await eventMessages('sym-planted');
    if (!events.some((m) => m.startsWith('MountNamespaceUnavailable: '))) {
      expect(
        await until(async () =>
          (await eventMessages('sym-planted')).find((m) => m.startsWith('FailedMount: Unable to mount /data/nest/m in container nested:')),
        ),
      ).toMatch(/outside of allowed base/);
    }
  });
});

describe('items paths at admission (upstream validation texts)', () => {
  it('refuses `..` elements, a leading `..` and absolute paths in configMap, secret, downwardAPI and projected items', async () => {
    const r = await api(tc.cluster, 'POST', '/api/v1/namespaces/default/pods', {
      body: {
        metadata: { name: 'bad-items' },
        spec: {
          containers: [{ name: 'main', image: 'x', command: ['true'] }],
          volumes: [
            {
              name: 'c',
              configMap: {
                name: 'x',
                items: [
                  { key: 'a', path: 'a/../../etc/passwd' },
                  { key: 'b', path: '..b' },
                ],
              },
            },
            { name: 's', secret: { secretName: 'x', items: [{ key: 'a', path: '/etc/shadow' }] } },
            { name: 'd', downwardAPI: { items: [{ path: '../name', fieldRef: { fieldPath: 'metadata.name' } }] } },
            {
              name: 'p',
              projected: {
                sources: [
                  { configMap: { name: 'x', items: [{ key: 'a', path: 'x/../../y' }] } },
                  { serviceAccountToken: { path: '../token' } },
                ],
              },
            },
          ],
        },
      },
    });
    expect(r.status).toBe(422);
    const causes = (r.json().details.causes as { field: string; message: string }[]).map((c) => `${c.field}: ${c.message}`);
    expect(causes).toEqual(
      expect.arrayContaining([
        `spec.volumes[0].configMap.items[0].path: Invalid value: "a/../../etc/passwd": must not contain '..'`,
        `spec.volumes[0].configMap.items[1].path: Invalid value: "..b": must not start with '..'`,
        `spec.volumes[1].secret.items[0].path: Invalid value: "/etc/shadow": must be a relative path`,
        `spec.volumes[2].downwardAPI.path: Invalid value: "../name": must not contain '..'`,
        `spec.volumes[3].projected.sources[0].configMap.items[0].path: Invalid value: "x/../../y": must not contain '..'`,
        `spec.volumes[3].projected.path: Invalid value: "../token": must not contain '..'`,
      ]),
    );
  });
});
