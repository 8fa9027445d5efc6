// The volume manager of src/kubelet/volume-manager.ts, alone, on a temp dir: a Pod's containers
// wait until every volume is set up (retrying, one FailedMount event per failure), the Pod's
// own hosts and resolv.conf are written beside the volumes, API-data volumes follow their
// objects and tokens are refreshed on time, and a container's mounts resolve subPaths.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../../src/apimachinery/types.js';
import { SubPathError } from '../../src/kubelet/volumes.js';
import {
  containerMounts,
  podFileMounts,
  rewriteServiceHosts,
  setupVolumes,
  volumesObjectChanged,
  writePodFiles,
} from '../../src/kubelet/volume-manager.js';
import { ctr, fakeContext, pod, worker } from './kubelet-fakes.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-volmgr-'));
});
afterEach(() => {
  vi.useRealTimers();
  rmSync(dir, { recursive: true, force: true });
});

const configMap = (name: string, data: Record<string, string>) =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns' }, data }) as KubeObject;

function setup(spec: Record<string, unknown>, objects: Record<string, KubeObject> = {}) {
  const f = fakeContext({ objects });
  const p = pod(spec);
  const pd = mkdtempSync(join(dir, 'pod-'));
  const w = worker(p, [], { dir: join(pd, 'disk'), run: join(pd, 'run') });
  mkdirSync(w.dir);
  mkdirSync(w.run);
  f.rt.workers.set(w.key, w);
  return { ...f, w, objects };
}

const cmVolume = { name: 'cfg', configMap: { name: 'settings' } };

describe('setupVolumes', () => {
  it('keeps the Pod waiting while a ConfigMap is missing: one FailedMount event, a sync every 2 s', async () => {
    vi.useFakeTimers();
    const { rt, w, events } = setup({ volumes: [cmVolume] });
    expect(setupVolumes(rt, w)).toBe(false);
    expect(setupVolumes(rt, w)).toBe(false);
    expect(w.volumes).toBeUndefined();
    expect(events).toEqual([
      {
        pod: 'p',
        type: 'Warning',
        reason: 'FailedMount',
        message: 'MountVolume.SetUp failed for volume "cfg" : configmap "settings" not found',
      },
    ]);
    await vi.advanceTimersByTimeAsync(1999);
    expect(rt.sync).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    // The second failure replaced the first retry: one sync, not two.
    expect(rt.sync).toHaveBeenCalledTimes(1);
    expect(rt.sync).toHaveBeenCalledWith('ns/p');
  });

  it('sets up every volume and writes the Pod’s hosts and resolv.conf; says what a host without mount namespaces lacks', () => {
    const { rt, w, events } = setup(
      { volumes: [cmVolume, { name: 'scratch', emptyDir: {} }], hostname: 'web', subdomain: 'sub', dnsPolicy: 'Default' },
      { 'configmaps/ns/settings': configMap('settings', { 'a.conf': 'x=1' }) },
    );
    w.lastMountError = 'an earlier failure';
    expect(setupVolumes(rt, w)).toBe(true);
    expect(w.lastMountError).toBeUndefined();
    expect(readFileSync(join(w.volumes!.get('cfg')!.path, 'a.conf'), 'utf8')).toBe('x=1');
    expect(w.volumes!.get('scratch')!.path.startsWith(w.dir)).toBe(true);
    expect(readFileSync(join(w.run, 'etc-hosts'), 'utf8')).toContain('127.244.0.5\tweb.sub.ns.svc.cluster.local\tweb');
    expect(existsSync(join(w.run, 'resolv.conf'))).toBe(true);
    expect(events.map((e) => e.reason)).toEqual(['MountNamespaceUnavailable']);
  });
});

describe('the Pod’s /etc/hosts without cluster DNS', () => {
  const svc = (name: string, ns: string, ip: string) => ({ metadata: { name, namespace: ns }, spec: { clusterIP: ip } }) as KubeObject;

  it('carries the cluster’s Services, built once per namespace until the cache is cleared', () => {
    const { rt, w, events } = setup({});
    vi.mocked(rt.services.list).mockReturnValue([svc('db', 'ns', '127.96.0.20')]);
    setupVolumes(rt, w);
    expect(w.dnsFallback).toBe(true);
    expect(readFileSync(join(w.run, 'etc-hosts'), 'utf8')).toContain('127.96.0.20\tdb.ns.svc.cluster.local\tdb.ns.svc\tdb.ns\tdb');
    expect(events.map((e) => e.reason)).toContain('ClusterDNSUnavailable');
    writePodFiles(rt, w);
    expect(rt.services.list).toHaveBeenCalledTimes(1);
    // A Service changed: runtime.ts clears the cache, then the hosts files are rewritten.
    vi.mocked(rt.services.list).mockReturnValue([svc('db', 'ns', '127.96.0.21')]);
    rt.hostsBlocks.clear();
    rewriteServiceHosts(rt);
    expect(readFileSync(join(w.run, 'etc-hosts'), 'utf8')).toContain('127.96.0.21\tdb.ns.svc.cluster.local');
  });

  it('has no Services block when the cluster DNS serves the Pod', () => {
    const { rt, w } = setup({});
    rt.clusterDNS = () => ({ nameserver: '127.96.0.10', domain: 'cluster.local' });
    vi.mocked(rt.services.list).mockReturnValue([svc('db', 'ns', '127.96.0.20')]);
    setupVolumes(rt, w);
    expect(w.dnsFallback).toBe(false);
    expect(readFileSync(join(w.run, 'etc-hosts'), 'utf8')).not.toContain('127.96.0.20');
    expect(readFileSync(join(w.run, 'resolv.conf'), 'utf8')).toContain('nameserver 127.96.0.10');
  });

  it('is the host’s with host networking: no file of the Pod’s own to bind', () => {
    const { rt, w } = setup({ hostNetwork: true });
    writePodFiles(rt, w);
    expect(podFileMounts(w).map((m) => m.target)).toEqual(['/etc/resolv.conf']);
    const { rt: rt2, w: w2 } = setup({});
    writePodFiles(rt2, w2);
    expect(podFileMounts(w2).map((m) => m.target)).toEqual(['/etc/hosts', '/etc/resolv.conf']);
  });
});

describe('volumesObjectChanged', () => {
  it('rewrites the volumes that read a changed ConfigMap, and syncs a Pod that waits for one', () => {
    const objects = { 'configmaps/ns/settings': configMap('settings', { k: 'v1' }) };
    const { rt, w } = setup({ volumes: [cmVolume] }, objects);
    setupVolumes(rt, w);
    objects['configmaps/ns/settings'] = configMap('settings', { k: 'v2' });
    volumesObjectChanged(rt, 'configmaps', 'ns', 'other');
    expect(readFileSync(join(w.volumes!.get('cfg')!.path, 'k'), 'utf8')).toBe('v1');
    volumesObjectChanged(rt, 'configmaps', 'other-ns', 'settings');
    expect(readFileSync(join(w.volumes!.get('cfg')!.path, 'k'), 'utf8')).toBe('v1');
    volumesObjectChanged(rt, 'configmaps', 'ns', 'settings');
    expect(readFileSync(join(w.volumes!.get('cfg')!.path, 'k'), 'utf8')).toBe('v2');
    expect(rt.sync).not.toHaveBeenCalled();

    const waiting = setup({ volumes: [cmVolume] });
    setupVolumes(waiting.rt, waiting.w);
    volumesObjectChanged(waiting.rt, 'configmaps', 'ns', 'settings');
    expect(waiting.rt.sync).toHaveBeenCalledWith('ns/p');
  });

  it('keeps the old content when the object is gone', () => {
    const objects: Record<string, KubeObject> = { 'configmaps/ns/settings': configMap('settings', { k: 'v1' }) };
    const { rt, w, events } = setup({ volumes: [cmVolume] }, objects);
    setupVolumes(rt, w);
    delete objects['configmaps/ns/settings'];
    volumesObjectChanged(rt, 'configmaps', 'ns', 'settings');
    expect(readFileSync(join(w.volumes!.get('cfg')!.path, 'k'), 'utf8')).toBe('v1');
    expect(events.at(-1)?.reason).toBe('FailedMount');
  });
});

describe('service account tokens', () => {
  it('are written again at 80% of their lifetime', async () => {
    vi.useFakeTimers();
    const sa = { metadata: { name: 'default', namespace: 'ns', uid: 'sa-uid' } } as KubeObject;
    const { rt, w } = setup(
      { volumes: [{ name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }] } }] },
      { 'serviceaccounts/ns/default': sa },
    );
    let n = 0;
    rt.issueToken = () => ({ token: `token-${++n}`, expiresAt: new Date(Date.now() + 3600_000) });
    expect(setupVolumes(rt, w)).toBe(true);
    const file = join(w.volumes!.get('token')!.path, 'token');
    expect(readFileSync(file, 'utf8')).toBe('token-1');
    await vi.advanceTimersByTimeAsync(0.8 * 3600_000 - 2000);
    expect(readFileSync(file, 'utf8')).toBe('token-1');
    await vi.advanceTimersByTimeAsync(2000);
    expect(readFileSync(file, 'utf8')).toBe('token-2');
    // ...and the next refresh is armed.
    await vi.advanceTimersByTimeAsync(0.8 * 3600_000);
    expect(readFileSync(file, 'utf8')).toBe('token-3');
    clearTimeout(w.volumeTimer);
  });
});

describe('containerMounts', () => {
  it('binds each volumeMount, API data read-only, subPathExpr expanded from the environment', () => {
    const { rt, w } = setup(
      { volumes: [cmVolume, { name: 'scratch', emptyDir: {} }] },
      { 'configmaps/ns/settings': configMap('settings', { k: 'v' }) },
    );
    setupVolumes(rt, w);
    const c = ctr({
      name: 'app',
      volumeMounts: [
        { name: 'cfg', mountPath: '/etc/app' },
        { name: 'scratch', mountPath: '/data', subPathExpr: '$(POD_NAME)' },
        { name: 'unknown', mountPath: '/nowhere' },
      ],
    });
    const mounts = containerMounts(w, c, { POD_NAME: 'p' });
    expect(mounts).toEqual([
      { source: w.volumes!.get('cfg')!.path, target: '/etc/app', readOnly: true },
      { source: join(w.volumes!.get('scratch')!.path, 'p'), target: '/data', readOnly: false },
    ]);
    expect(existsSync(join(w.volumes!.get('scratch')!.path, 'p'))).toBe(true);
  });

  it('refuses a subPath that leaves its volume', () => {
    const { rt, w } = setup({ volumes: [{ name: 'scratch', emptyDir: {} }] });
    setupVolumes(rt, w);
    const c = ctr({ name: 'app', volumeMounts: [{ name: 'scratch', mountPath: '/data', subPath: '../../etc' }] });
    expect(() => containerMounts(w, c, {})).toThrow(SubPathError);
  });
});
