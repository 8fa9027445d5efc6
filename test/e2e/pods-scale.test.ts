// Many Pods at once: 200 created in one burst all run with distinct IPs, status writes are
// batched, and deleting them all frees every address; the agent stays up throughout.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { api } from '../helpers/http.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster({ podBackoff: { initialMs: 500, maxMs: 2000 } });
});
afterAll(async () => {
  await tc?.stop();
});

describe('200 Pods at once', () => {
  it('all run with distinct IPs, then all go away and free their addresses', async () => {
    const n = 200;
    const revBefore = tc.cluster.store.db.prepare('SELECT max(rev) AS r FROM changes').get() as { r: number };
    const created = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        api(tc.cluster, 'POST', '/api/v1/namespaces/default/pods', {
          body: {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: { name: `p-${i}`, labels: { app: 'many' } },
            spec: { containers: [{ name: 'c', image: 'x', command: ['sleep', '1000'] }] },
          },
        }),
      ),
    );
    expect(created.map((r) => r.status).every((s) => s === 201)).toBe(true);
    const pods = await until(async () => {
      const items = (await api(tc.cluster, 'GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dmany')).json().items as {
        status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
      }[];
      return items.length === n && items.every((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
        ? items
        : undefined;
    }, 30_000);
    const ips = pods.map((p) => p.status.podIP);
    expect(new Set(ips).size).toBe(n);
    // Status writes are batched: far fewer Pod revisions than one per container transition
    // (Events are not counted: how many a Pod gets depends on the host, e.g. ClusterDNSUnavailable).
    const podRevs = tc.cluster.store.db
      .prepare("SELECT count(*) AS n FROM changes WHERE resource = 'pods' AND rev > ?")
      .get(revBefore.r) as { n: number };
    expect(podRevs.n).toBeLessThan(n * 4);

    // One deletecollection (kubectl's own --wait throttles itself to 5 requests/s, on any cluster).
    const del = await api(tc.cluster, 'DELETE', '/api/v1/namespaces/default/pods?labelSelector=app%3Dmany');
    expect(del.status).toBe(200);
    await until(
      async () => (await api(tc.cluster, 'GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dmany')).json().items.length === 0,
      30_000,
    );
    const held = tc.cluster.store.db.prepare("SELECT count(*) AS n FROM allocations WHERE range LIKE 'podip:%'").get() as { n: number };
    expect(held.n).toBe(0);
    expect((await api(tc.cluster, 'GET', '/readyz')).status).toBe(200);
  });
});
