// The endpoint controllers at scale, kwok-style: Pods bound to a second (virtual) Node whose
// status the test writes through pods/status, as a kubelet would. That keeps hundreds of Pods
// cheap while the controllers see exactly what they would see from real ones.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';
import type { RunningCluster } from '../../src/index.js';

const SLICES = 'discovery.k8s.io/endpointslices';
const NODE = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'virt-1', labels: { 'topology.kubernetes.io/zone': 'zone-v' } } };

/** Pod IPs outside every tinykube range (API data only, never connected to). */
const ipOf = (i: number) => `10.200.${Math.floor(i / 250)}.${(i % 250) + 1}`;

async function pool<T>(items: T[], n: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function createPods(c: RunningCluster, app: string, from: number, to: number): Promise<void> {
  const idx = Array.from({ length: to - from }, (_, k) => from + k);
  await pool(idx, 16, async (i) => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${app}-${i}`, labels: { app } },
      spec: { nodeName: 'virt-1', containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }] },
    };
    const r = await api(c, 'POST', '/api/v1/namespaces/default/pods', { body: pod });
    expect(r.status, r.text).toBe(201);
  });
  await pool(idx, 16, (i) => setStatus(c, `${app}-${i}`, ipOf(i), true));
}

async function setStatus(c: RunningCluster, name: string, ip: string, ready: boolean): Promise<void> {
  const status = {
    phase: 'Running',
    podIP: ip,
    podIPs: [{ ip }],
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
  };
  const r = await api(c, 'PATCH', `/api/v1/namespaces/default/pods/${name}/status`, {
    body: { status },
    contentType: 'application/merge-patch+json',
  });
  expect(r.status, r.text).toBe(200);
}

type Slice = {
  metadata: { name: string; labels: Record<string, string> };
  endpoints?: { addresses: string[]; conditions: Record<string, boolean> }[];
};
const slicesOf = (c: RunningCluster, svc: string) =>
  (c.store.listObjects(SLICES, 'default') as Slice[]).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc);
const readyCount = (slices: Slice[]) => slices.reduce((n, s) => n + (s.endpoints ?? []).filter((e) => e.conditions.ready).length, 0);

/** Slice writes (any event) for one Service while `fn` runs and the controllers settle. */
async function sliceWrites(c: RunningCluster, svc: string, fn: () => Promise<void>): Promise<{ type: string; name: string }[]> {
  const seen: { type: string; name: string }[] = [];
  const unsub = c.store.subscribe(SLICES, (ev) => {
    if (ev.object.metadata.labels?.['kubernetes.io/service-name'] === svc) seen.push({ type: ev.type, name: ev.name });
  });
  try {
    await fn();
    await c.idle();
  } finally {
    unsub();
  }
  return seen;
}

let tc: TestCluster;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tinykube-eps-'));
  tc = await startTestCluster({ dataDir });
  expect((await api(tc.cluster, 'POST', '/api/v1/nodes', { body: NODE })).status).toBe(201);
});
afterAll(async () => {
  await tc?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('EndpointSlices at scale', () => {
  it('250 Pods behind one Service fill 3 slices; one Pod changing rewrites one slice; an unchanged update none', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input:
        'apiVersion: v1\nkind: Service\nmetadata: {name: big}\nspec:\n  selector: {app: big}\n  ports: [{name: web, port: 80, targetPort: http}]\n',
    });
    await createPods(tc.cluster, 'big', 0, 250);
    await until(async () => readyCount(slicesOf(tc.cluster, 'big')) === 250, 20_000);
    await tc.cluster.idle();
    // Pods become ready in bursts, and packing never moves an endpoint that stays, so the three
    // slices need not be 100/100/50 (as upstream); none exceeds the maximum.
    const sizes = slicesOf(tc.cluster, 'big').map((s) => s.endpoints!.length);
    expect(sizes).toHaveLength(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);

    // Readiness of one Pod: exactly one slice write.
    const flip = await sliceWrites(tc.cluster, 'big', () => setStatus(tc.cluster, 'big-7', ipOf(7), false));
    expect(flip).toHaveLength(1);
    expect(flip[0]!.type).toBe('MODIFIED');
    expect(readyCount(slicesOf(tc.cluster, 'big'))).toBe(249);

    // Labels/annotations that do not matter: no slice write at all.
    const none = await sliceWrites(tc.cluster, 'big', async () => {
      const r = await api(tc.cluster, 'PATCH', '/api/v1/namespaces/default/pods/big-8', {
        body: { metadata: { annotations: { touched: 'yes' } } },
        contentType: 'application/merge-patch+json',
      });
      expect(r.status).toBe(200);
    });
    expect(none).toEqual([]);

    // A rolling replacement (old Pod gone, new Pod with a new IP): only one slice is touched.
    const roll = await sliceWrites(tc.cluster, 'big', async () => {
      expect((await api(tc.cluster, 'DELETE', '/api/v1/namespaces/default/pods/big-9?gracePeriodSeconds=0')).status).toBe(200);
      await createPods(tc.cluster, 'big', 250, 251);
      await until(async () => slicesOf(tc.cluster, 'big').some((s) => s.endpoints!.some((e) => e.addresses[0] === ipOf(250))));
    });
    expect(new Set(roll.map((w) => w.name)).size).toBe(1);
    expect(roll.every((w) => w.type === 'MODIFIED')).toBe(true);

    // kubectl's columns: addresses shown as upstream (first three, then "+ N more...").
    const eps = (await tc.kubectl(['get', 'endpoints', 'big', '--no-headers'])).stdout.trim().split(/\s+/);
    expect(eps[0]).toBe('big');
    expect(eps.slice(1, 5).join(' ')).toMatch(/^10\.200\.\d+\.\d+:8080,10\.200\.\d+\.\d+:8080,10\.200\.\d+\.\d+:8080 \+ 246 more\.\.\.$/);
    const describe = (await tc.kubectl(['describe', 'svc', 'big'])).stdout;
    expect(describe).toMatch(/Endpoints:\s+10\.200\.\d+\.\d+:8080,10\.200\.\d+\.\d+:8080,10\.200\.\d+\.\d+:8080 \+ 246 more\.\.\./);
    const es = (await tc.kubectl(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=big', '--no-headers'])).stdout
      .trim()
      .split('\n');
    expect(es).toHaveLength(3);
    for (const row of es)
      expect(row).toMatch(
        /^big-[a-z0-9]{5}\s+IPv4\s+8080\s+10\.200\.\d+\.\d+,10\.200\.\d+\.\d+,10\.200\.\d+\.\d+ \+ \d+ more\.\.\.\s+\S+$/,
      );
  }, 60_000);

  it('a Node changing zone moves its endpoints; a status heartbeat writes no slice', async () => {
    const zones = () => new Set(slicesOf(tc.cluster, 'big').flatMap((s) => (s.endpoints ?? []).map((e) => (e as { zone?: string }).zone)));
    expect(zones()).toEqual(new Set(['zone-v']));
    const beat = await sliceWrites(tc.cluster, 'big', async () => {
      const r = await api(tc.cluster, 'PATCH', '/api/v1/nodes/virt-1/status', {
        body: {
          status: { conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }] },
        },
        contentType: 'application/merge-patch+json',
      });
      expect(r.status, r.text).toBe(200);
    });
    expect(beat).toEqual([]);
    await tc.kubectl(['label', 'node', 'virt-1', 'topology.kubernetes.io/zone=zone-w', '--overwrite']);
    await until(async () => zones().size === 1 && zones().has('zone-w'));
  }, 20_000);

  it('a deleted Pod is serving and terminating until it is gone', async () => {
    // Nobody runs virt-1's Pods, so a graceful delete leaves the Pod terminating (as with an
    // unreachable kubelet) until it is force-deleted.
    expect((await api(tc.cluster, 'DELETE', '/api/v1/namespaces/default/pods/big-10')).status).toBe(200);
    const ep = await until(async () =>
      slicesOf(tc.cluster, 'big')
        .flatMap((s) => s.endpoints ?? [])
        .find((e) => e.addresses[0] === ipOf(10) && e.conditions.terminating),
    );
    expect(ep.conditions).toEqual({ ready: false, serving: true, terminating: true });
    const legacy = tc.cluster.store.get('endpoints', 'default', 'big') as unknown as {
      subsets: { addresses?: { ip: string }[]; notReadyAddresses?: { ip: string }[] }[];
    };
    expect(legacy.subsets.flatMap((s) => s.addresses ?? []).some((a) => a.ip === ipOf(10))).toBe(false);
    await tc.kubectl(['delete', 'pod', 'big-10', '--grace-period=0', '--force']);
    await until(async () => !slicesOf(tc.cluster, 'big').some((s) => s.endpoints!.some((e) => e.addresses[0] === ipOf(10))));
  }, 20_000);

  it('after a restart the controllers reuse every slice and write nothing', async () => {
    await tc.cluster.idle();
    const before = slicesOf(tc.cluster, 'big')
      .map((s) => `${s.metadata.name}@${(s.metadata as { resourceVersion?: string }).resourceVersion}`)
      .sort();
    await tc.cluster.stop();
    const again = await startTestCluster({ dataDir });
    tc = again;
    await tc.cluster.idle();
    const after = slicesOf(tc.cluster, 'big')
      .map((s) => `${s.metadata.name}@${(s.metadata as { resourceVersion?: string }).resourceVersion}`)
      .sort();
    expect(after).toEqual(before);
  }, 30_000);

  it('1,200 Pods: Endpoints truncated to 1,000 with the over-capacity annotation, cleared below', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input:
        'apiVersion: v1\nkind: Service\nmetadata: {name: huge}\nspec:\n  selector: {app: huge}\n  ports: [{port: 80, targetPort: 8080}]\n',
    });
    await createPods(tc.cluster, 'huge', 1000, 2200);
    const full = await until(async () => {
      const ep = tc.cluster.store.get('endpoints', 'default', 'huge') as
        { metadata: { annotations?: Record<string, string> }; subsets?: { addresses?: unknown[] }[] } | undefined;
      return ep?.metadata.annotations?.['endpoints.kubernetes.io/over-capacity'] ? ep : undefined;
    }, 30_000);
    expect(full.metadata.annotations!['endpoints.kubernetes.io/over-capacity']).toBe('truncated');
    expect(full.subsets!.reduce((n, s) => n + (s.addresses?.length ?? 0), 0)).toBe(1000);
    await until(async () => readyCount(slicesOf(tc.cluster, 'huge')) === 1200, 20_000);
    // Pods arrive in bursts, so packing (which never moves endpoints that stay) may leave one
    // slice more than the minimum, as upstream does; none is over the maximum.
    const huge = slicesOf(tc.cluster, 'huge');
    expect(huge.length).toBeGreaterThanOrEqual(12);
    expect(huge.every((x) => x.endpoints!.length <= 100)).toBe(true);

    // Below the cap again: the annotation goes, every address is back.
    await pool(
      Array.from({ length: 250 }, (_, k) => 1000 + k),
      16,
      async (i) => {
        expect((await api(tc.cluster, 'DELETE', `/api/v1/namespaces/default/pods/huge-${i}?gracePeriodSeconds=0`)).status).toBe(200);
      },
    );
    const below = await until(async () => {
      const ep = tc.cluster.store.get('endpoints', 'default', 'huge') as
        { metadata: { annotations?: Record<string, string> }; subsets?: { addresses?: unknown[] }[] } | undefined;
      const n = ep?.subsets?.reduce((a, s) => a + (s.addresses?.length ?? 0), 0);
      return n === 950 ? ep : undefined;
    }, 30_000);
    expect(below.metadata.annotations?.['endpoints.kubernetes.io/over-capacity']).toBeUndefined();
  }, 120_000);
});
