// The generic REST semantics through raw HTTP: pagination, resourceVersion rules, watch details,
// dry run, generateName, finalizers, garbage collection, status subresource, Table output.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Agent, request } from 'undici';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { api } from '../helpers/http.js';
import { bytes, envelope, m, num, time } from '../helpers/protobuf.js';
import { inCIDR, nthIP } from '../helpers/ranges.js';
import { until } from '../helpers/wait.js';

let c: RunningCluster;
beforeAll(async () => {
  c = await startCluster({ apiListen: '127.0.0.1:0', watchBookmarkIntervalMs: 100 });
});
afterAll(async () => {
  await c?.stop();
});

const CM = '/api/v1/namespaces/default/configmaps';

/** Reads a watch stream's events until `stopWhen` says so or the server ends it. */
async function watchEvents(path: string, stopWhen: (evs: any[]) => boolean = () => false, ms = 10_000): Promise<any[]> {
  const agent = new Agent({ connect: { ca: c.caCert } });
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), ms);
  const evs: any[] = [];
  try {
    const res = await request(c.server + path, { headers: { authorization: `Bearer ${c.token}` }, dispatcher: agent, signal: ac.signal });
    let buf = '';
    for await (const chunk of res.body) {
      buf += chunk.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) evs.push(JSON.parse(line));
      }
      if (stopWhen(evs)) break;
    }
  } catch (e) {
    if (!ac.signal.aborted) throw e;
  } finally {
    clearTimeout(timer);
    ac.abort();
    await agent.destroy();
  }
  return evs;
}

describe('discovery', () => {
  it("lists a built-in resource's subresources sorted by name, as upstream's installer does", async () => {
    const v1 = (await api(c, 'GET', '/api/v1')).json();
    const pods = v1.resources.map((r: { name: string }) => r.name).filter((n: string) => n.startsWith('pods/'));
    expect(pods).toEqual([...pods].sort());
    expect(pods).toContain('pods/status');
    expect(pods.indexOf('pods/binding')).toBeLessThan(pods.indexOf('pods/status'));
    const csr = (await api(c, 'GET', '/apis/certificates.k8s.io/v1')).json();
    expect(csr.resources.map((r: { name: string }) => r.name)).toEqual([
      'certificatesigningrequests',
      'certificatesigningrequests/approval',
      'certificatesigningrequests/status',
    ]);
  });
});

describe('REST semantics', () => {
  it('paginates with limit/continue on a consistent snapshot', async () => {
    await api(c, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'page' } } });
    for (let i = 0; i < 7; i++) {
      const r = await api(c, 'POST', '/api/v1/namespaces/page/configmaps', { body: { metadata: { name: `p${i}` } } });
      expect(r.status).toBe(201);
    }
    // As on any cluster, the namespace also holds kube-root-ca.crt (published on its creation).
    const p1 = (await api(c, 'GET', '/api/v1/namespaces/page/configmaps?limit=3')).json();
    expect(p1.items.map((o: any) => o.metadata.name)).toEqual(['kube-root-ca.crt', 'p0', 'p1']);
    expect(p1.metadata.remainingItemCount).toBe(5);
    // A change after the first page does not show up in later pages (snapshot at p1's revision).
    await api(c, 'DELETE', '/api/v1/namespaces/page/configmaps/p5');
    const p2 = (
      await api(c, 'GET', `/api/v1/namespaces/page/configmaps?limit=3&continue=${encodeURIComponent(p1.metadata.continue)}`)
    ).json();
    expect(p2.items.map((o: any) => o.metadata.name)).toEqual(['p2', 'p3', 'p4']);
    expect(p2.metadata.resourceVersion).toBe(p1.metadata.resourceVersion);
    const p3 = (
      await api(c, 'GET', `/api/v1/namespaces/page/configmaps?limit=3&continue=${encodeURIComponent(p2.metadata.continue)}`)
    ).json();
    expect(p3.items.map((o: any) => o.metadata.name)).toEqual(['p5', 'p6']);
    expect(p3.metadata.continue).toBeUndefined();
  });

  it('serves exact and not-older-than resourceVersions', async () => {
    const a = (await api(c, 'POST', CM, { body: { metadata: { name: 'rv1' } } })).json();
    await api(c, 'POST', CM, { body: { metadata: { name: 'rv2' } } });
    const exact = (await api(c, 'GET', `${CM}?resourceVersion=${a.metadata.resourceVersion}&resourceVersionMatch=Exact`)).json();
    const names = exact.items.map((o: any) => o.metadata.name);
    expect(names).toContain('rv1');
    expect(names).not.toContain('rv2');
    expect(exact.metadata.resourceVersion).toBe(a.metadata.resourceVersion);
    const future = await api(c, 'GET', `${CM}?resourceVersion=99999999`);
    expect(future.status).toBe(504);
    expect(future.json().reason).toBe('Timeout');
  });

  it('dry runs without storing, and generates names', async () => {
    const d = await api(c, 'POST', `${CM}?dryRun=All`, { body: { metadata: { name: 'dry' } } });
    expect(d.status).toBe(201);
    expect(d.json().metadata.uid).toBeTruthy();
    expect((await api(c, 'GET', `${CM}/dry`)).status).toBe(404);
    const dsvc = (
      await api(c, 'POST', '/api/v1/namespaces/default/services?dryRun=All', {
        body: { metadata: { name: 'dry' }, spec: { ports: [{ port: 80 }] } },
      })
    ).json();
    expect(inCIDR(c.config.serviceCIDR, dsvc.spec.clusterIP), `${dsvc.spec.clusterIP} in ${c.config.serviceCIDR}`).toBe(true);
    const g = (await api(c, 'POST', CM, { body: { metadata: { generateName: 'gen-' } } })).json();
    expect(g.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('streams watch events with bookmarks and ends at timeoutSeconds', async () => {
    const start = (await api(c, 'GET', CM)).json().metadata.resourceVersion;
    setTimeout(() => void api(c, 'POST', CM, { body: { metadata: { name: 'watched1', labels: { w: 'yes' } } } }), 50);
    const evs = await watchEvents(`${CM}?watch=true&resourceVersion=${start}&allowWatchBookmarks=true&timeoutSeconds=1`);
    expect(evs.find((e) => e.type === 'ADDED')?.object.metadata.name).toBe('watched1');
    const bm = evs.find((e) => e.type === 'BOOKMARK');
    expect(bm).toBeTruthy();
    expect(bm.object.kind).toBe('ConfigMap');
    expect(Number(bm.object.metadata.resourceVersion)).toBeGreaterThan(Number(start));
  });

  it('sends selector leave/enter as DELETED/ADDED in watches', async () => {
    const start = (await api(c, 'GET', CM)).json().metadata.resourceVersion;
    const p = watchEvents(`${CM}?watch=true&resourceVersion=${start}&labelSelector=w%3Dyes`, (e) => e.length >= 2);
    await api(c, 'POST', CM, { body: { metadata: { name: 'sel', labels: { w: 'yes' } } } });
    await api(c, 'PATCH', `${CM}/sel`, { body: { metadata: { labels: { w: 'no' } } }, contentType: 'application/merge-patch+json' });
    const evs = await p;
    expect(evs.map((e) => `${e.type}:${e.object.metadata.name}`)).toEqual(['ADDED:sel', 'DELETED:sel']);
  });

  it('holds deletion on finalizers', async () => {
    await api(c, 'POST', CM, { body: { metadata: { name: 'fin', finalizers: ['example.com/hold'] } } });
    // upstream answers 200 for an object kept by finalizers (202 only with orphanDependents=false).
    const d = await api(c, 'DELETE', `${CM}/fin`);
    expect(d.status).toBe(200);
    await api(c, 'POST', CM, { body: { metadata: { name: 'fin2', finalizers: ['example.com/hold'] } } });
    expect((await api(c, 'DELETE', `${CM}/fin2?orphanDependents=false`)).status).toBe(202);
    await api(c, 'PATCH', `${CM}/fin2`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    const held = (await api(c, 'GET', `${CM}/fin`)).json();
    expect(held.metadata.deletionTimestamp).toBeTruthy();
    await api(c, 'PATCH', `${CM}/fin`, { body: { metadata: { finalizers: null } }, contentType: 'application/merge-patch+json' });
    expect((await api(c, 'GET', `${CM}/fin`)).status).toBe(404);
  });

  it('collects garbage: background, orphan and foreground', async () => {
    const mk = async (name: string, owner?: any, block = false) =>
      (
        await api(c, 'POST', CM, {
          body: {
            metadata: {
              name,
              ownerReferences: owner
                ? [{ apiVersion: 'v1', kind: 'ConfigMap', name: owner.metadata.name, uid: owner.metadata.uid, blockOwnerDeletion: block }]
                : undefined,
            },
          },
        })
      ).json();
    const o1 = await mk('owner-bg');
    await mk('dep-bg', o1);
    await api(c, 'DELETE', `${CM}/owner-bg`);
    await until(async () => (await api(c, 'GET', `${CM}/dep-bg`)).status === 404);

    const o2 = await mk('owner-orphan');
    await mk('dep-orphan', o2);
    await api(c, 'DELETE', `${CM}/owner-orphan`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Orphan' } });
    await until(async () => (await api(c, 'GET', `${CM}/owner-orphan`)).status === 404);
    const orphan = await until(async () => {
      const o = (await api(c, 'GET', `${CM}/dep-orphan`)).json();
      return !o.metadata.ownerReferences?.length ? o : undefined;
    });
    expect(orphan.metadata.name).toBe('dep-orphan');

    const o3 = await mk('owner-fg');
    await mk('dep-fg', o3, true);
    const del = await api(c, 'DELETE', `${CM}/owner-fg`, {
      body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Foreground' },
    });
    expect(del.json().metadata.finalizers).toContain('foregroundDeletion');
    await until(async () => (await api(c, 'GET', `${CM}/owner-fg`)).status === 404);
    expect((await api(c, 'GET', `${CM}/dep-fg`)).status).toBe(404);
  });

  it('deletes collections by label', async () => {
    await api(c, 'POST', CM, { body: { metadata: { name: 'dc1', labels: { batch: 'x' } } } });
    await api(c, 'POST', CM, { body: { metadata: { name: 'dc2', labels: { batch: 'x' } } } });
    const r = await api(c, 'DELETE', `${CM}?labelSelector=batch%3Dx`);
    expect(r.status).toBe(200);
    expect((await api(c, 'GET', `${CM}?labelSelector=batch%3Dx`)).json().items).toEqual([]);
  });

  it('updates status only through /status', async () => {
    await api(c, 'POST', '/api/v1/namespaces/default/services', {
      body: { metadata: { name: 'lb' }, spec: { type: 'LoadBalancer', loadBalancerClass: 'example.com/elsewhere', ports: [{ port: 80 }] } },
    });
    const s = (await api(c, 'GET', '/api/v1/namespaces/default/services/lb')).json();
    const lbIP = nthIP(c.config.loadBalancerCIDR, 5);
    s.status = { loadBalancer: { ingress: [{ ip: lbIP }] } };
    const main = (await api(c, 'PUT', '/api/v1/namespaces/default/services/lb', { body: s })).json();
    expect(main.status?.loadBalancer?.ingress).toBeUndefined();
    s.metadata.resourceVersion = main.metadata.resourceVersion;
    const st = (await api(c, 'PUT', '/api/v1/namespaces/default/services/lb/status', { body: s })).json();
    expect(st.status.loadBalancer.ingress).toEqual([{ ip: lbIP, ipMode: 'VIP' }]);

    // What a status write takes is decoded like any body: wrong types are refused and store
    // nothing. A patch's result that does not decode is upstream's 422 on the `patch` field
    // (jsonPatcher.applyPatchToCurrentObject), with the patched object's JSON as the value.
    const bad = async (body: object, q = '') => {
      const r = await api(c, 'PATCH', `/api/v1/namespaces/default/services/lb/status${q}`, {
        body,
        contentType: 'application/merge-patch+json',
      });
      return [r.status, r.json().message.replace(/Invalid value: ".*": /, 'Invalid value: "…": ')];
    };
    expect(await bad({ status: { loadBalancer: { ingress: 'x' } } })).toEqual([
      422,
      ' "" is invalid: patch: Invalid value: "…": json: cannot unmarshal string into Go struct field LoadBalancerStatus.status.loadBalancer.ingress of type []v1.LoadBalancerIngress',
    ]);
    expect(await bad({ metadata: { labels: 'x' } })).toEqual([
      422,
      ' "" is invalid: patch: Invalid value: "…": json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string',
    ]);
    expect(await bad({ status: { bogus: 1 } }, '?fieldValidation=Strict')).toEqual([
      422,
      ' "" is invalid: patch: Invalid value: "…": strict decoding error: unknown field "status.bogus"',
    ]);
    // A PUT of the same wrong type is the decoder's 400.
    const put = await api(c, 'PUT', '/api/v1/namespaces/default/services/lb/status', {
      body: { ...s, status: { loadBalancer: { ingress: 'x' } } },
    });
    expect([put.status, put.json().message]).toEqual([
      400,
      'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field LoadBalancerStatus.status.loadBalancer.ingress of type []v1.LoadBalancerIngress',
    ]);
    expect((await api(c, 'GET', '/api/v1/namespaces/default/services/lb')).json().status.loadBalancer.ingress).toEqual([
      { ip: lbIP, ipMode: 'VIP' },
    ]);
  });

  it('takes protobuf bodies as typed clients send them (a leader-election Lease, an events.k8s.io Event)', async () => {
    const lease = m(
      bytes(1, bytes(1, 'op-leader')),
      bytes(
        2,
        m(bytes(1, 'pod-a'), num(2, 15), bytes(3, time(1_795_000_000, 5_000)), bytes(4, time(1_795_000_010, 250_000_000)), num(5, 0)),
      ),
    );
    const r = await api(c, 'POST', '/apis/coordination.k8s.io/v1/namespaces/default/leases', {
      body: envelope('coordination.k8s.io/v1', 'Lease', lease),
      contentType: 'application/vnd.kubernetes.protobuf',
    });
    expect(r.status).toBe(201);
    expect(r.json().spec).toEqual({
      holderIdentity: 'pod-a',
      leaseDurationSeconds: 15,
      acquireTime: '2026-11-18T11:06:40.000005Z',
      renewTime: '2026-11-18T11:06:50.250000Z',
      leaseTransitions: 0,
    });
    const regarding = m(bytes(1, 'Pod'), bytes(2, 'default'), bytes(3, 'web'));
    const event = m(
      bytes(1, m(bytes(1, 'web.1'), bytes(3, 'default'))),
      bytes(2, time(1_795_000_000, 1_000)),
      bytes(4, 'my-operator'),
      bytes(5, 'my-operator-0'),
      bytes(6, 'Reconcile'),
      bytes(7, 'Synced'),
      bytes(8, regarding),
      bytes(10, 'all good'),
      bytes(11, 'Normal'),
    );
    const e = await api(c, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      body: envelope('events.k8s.io/v1', 'Event', event),
      contentType: 'application/vnd.kubernetes.protobuf',
    });
    expect(e.status).toBe(201);
    expect(e.json()).toMatchObject({
      eventTime: '2026-11-18T11:06:40.000001Z',
      reason: 'Synced',
      note: 'all good',
      regarding: { kind: 'Pod', name: 'web' },
      reportingController: 'my-operator',
    });
  });

  it('answers Tables with upstream columns', async () => {
    const t = (
      await api(c, 'GET', '/api/v1/namespaces/default/services', {
        accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      })
    ).json();
    expect(t.kind).toBe('Table');
    expect(t.columnDefinitions.map((d: any) => d.name)).toEqual([
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      'Selector',
    ]);
    const k = t.rows.find((r: any) => r.cells[0] === 'kubernetes');
    expect(k.cells.slice(1, 5)).toEqual(['ClusterIP', nthIP(c.config.serviceCIDR, 1), '<none>', '443/TCP']);
    expect(k.object.kind).toBe('PartialObjectMetadata');
  });

  it('shares Events between core/v1 and events.k8s.io/v1', async () => {
    const ev = await api(c, 'POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      body: {
        metadata: { name: 'e1' },
        eventTime: '2026-11-25T10:00:00.000000Z',
        reportingController: 'example.com/ctl',
        reportingInstance: 'i1',
        action: 'Test',
        reason: 'Testing',
        type: 'Normal',
        note: 'hello',
        regarding: { kind: 'ConfigMap', namespace: 'default', name: 'x' },
      },
    });
    expect(ev.status).toBe(201);
    const core = (await api(c, 'GET', '/api/v1/namespaces/default/events/e1')).json();
    expect(core.message).toBe('hello');
    expect(core.involvedObject.name).toBe('x');
    expect(core.reason).toBe('Testing');
  });

  it('refuses creates in a terminating namespace with 403', async () => {
    await api(c, 'POST', '/api/v1/namespaces', { body: { metadata: { name: 'term' } } });
    await api(c, 'POST', '/api/v1/namespaces/term/configmaps', { body: { metadata: { name: 'held', finalizers: ['example.com/x'] } } });
    await api(c, 'DELETE', '/api/v1/namespaces/term');
    const ns = await until(async () => {
      const n = (await api(c, 'GET', '/api/v1/namespaces/term')).json();
      return n.status?.phase === 'Terminating' && n.status.conditions?.length ? n : undefined;
    });
    expect(ns.status.phase).toBe('Terminating');
    const r = await api(c, 'POST', '/api/v1/namespaces/term/configmaps', { body: { metadata: { name: 'new' } } });
    expect(r.status).toBe(403);
    expect(r.json().message).toBe(
      'configmaps "new" is forbidden: unable to create new content in namespace term because it is being terminated',
    );
    await api(c, 'PATCH', '/api/v1/namespaces/term/configmaps/held', {
      body: { metadata: { finalizers: null } },
      contentType: 'application/merge-patch+json',
    });
    await until(async () => (await api(c, 'GET', '/api/v1/namespaces/term')).status === 404);
  });
});
