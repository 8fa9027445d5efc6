// Subresources against a real cluster: every one the cluster registers (cluster.ts SUBRESOURCES,
// declared beside their handlers) and every one a ResourceDef brings (status, finalize, ...) is in
// discovery (/api/v1 and aggregated discovery) with its kind and verbs; every subresource
// discovery lists has a route for each of its verbs, and connect subresources (`...Options`
// kinds) an upgrade route too; discovery lists no other.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { SUBRESOURCES } from '../../src/cluster.js';
import { allResourceDefs } from '../../src/registry/kinds.js';
import { defSubresources, type SubresourceInfo } from '../../src/server/subresource.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster({ proxy: false });
});
afterAll(() => tc?.stop());

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const PAGE_NOT_FOUND = 'the server could not find the requested resource';
/** The HTTP method of each verb a subresource may list. */
const METHOD: Record<string, string> = { get: 'GET', create: 'POST', update: 'PUT', patch: 'PATCH', delete: 'DELETE' };

interface APIResource {
  name: string;
  singularName: string;
  namespaced: boolean;
  kind: string;
  verbs: string[];
  group?: string;
  version?: string;
}

const registered: SubresourceInfo[] = [...allResourceDefs().flatMap(defSubresources), ...SUBRESOURCES];
const gvPath = (s: { group: string; version: string }) => (s.group ? `/apis/${s.group}/${s.version}` : `/api/${s.version}`);

async function resourceList(gv: string): Promise<APIResource[]> {
  const r = await api(tc.cluster, 'GET', gv);
  expect(r.status).toBe(200);
  return r.json().resources;
}

/** Every subresource entry of every group version's APIResourceList, with where it is served. */
async function discovered(): Promise<{ gv: string; entry: APIResource }[]> {
  const gvs = ['/api/v1'];
  for (const g of (await api(tc.cluster, 'GET', '/apis')).json().groups as { versions: { groupVersion: string }[] }[])
    for (const v of g.versions) gvs.push(`/apis/${v.groupVersion}`);
  const out: { gv: string; entry: APIResource }[] = [];
  for (const gv of gvs) for (const entry of await resourceList(gv)) if (entry.name.includes('/')) out.push({ gv, entry });
  return out;
}

/** A path of a subresource of an object that does not exist. */
const pathOf = (gv: string, entry: APIResource) => {
  const [plural, sub] = entry.name.split('/');
  return `${gv}${entry.namespaced ? '/namespaces/default' : ''}/${plural}/no-such-object/${sub}`;
};

/** The Status of an upgrade request (the subresource's answer, or the upgrade router's 404). */
function upgrade(path: string): Promise<{ status: number; body: { message?: string } }> {
  const url = new URL(tc.cluster.server + path);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'GET',
      ca: tc.cluster.caCert,
      headers: {
        authorization: `Bearer ${tc.cluster.token}`,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': Buffer.alloc(16, 1).toString('base64'),
        'sec-websocket-protocol': 'v5.channel.k8s.io',
      },
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error(`${path}: upgraded for an object that does not exist`));
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('subresources', () => {
  it.each(registered.map((s) => [`${s.plural}/${s.subresource}`, s] as const))(
    '%s is in discovery with its kind and verbs',
    async (name, s) => {
      const list = await resourceList(gvPath(s));
      const parent = list.find((r) => r.name === s.plural);
      expect(parent).toBeDefined();
      expect(list.filter((r) => r.name === name)).toEqual([
        {
          name,
          singularName: '',
          namespaced: parent!.namespaced,
          kind: s.kind,
          verbs: s.verbs,
          ...(s.responseGroup !== undefined ? { group: s.responseGroup, version: s.responseVersion } : {}),
        },
      ]);
      // Aggregated discovery (kubectl's), with the response kind's group version.
      const agg = (await api(tc.cluster, 'GET', s.group ? '/apis' : '/api', { accept: AGGREGATED })).json();
      const group = agg.items.find((g: { metadata: { name?: string } }) => (g.metadata.name ?? '') === s.group);
      const resource = group.versions
        .find((v: { version: string }) => v.version === s.version)
        .resources.find((r: { resource: string }) => r.resource === s.plural);
      expect(resource.subresources.filter((r: { subresource: string }) => r.subresource === s.subresource)).toEqual([
        {
          subresource: s.subresource,
          responseKind: { group: s.responseGroup ?? s.group, version: s.responseVersion ?? s.version, kind: s.kind },
          verbs: s.verbs,
        },
      ]);
    },
  );

  it('discovery lists no subresource that is not registered', async () => {
    const listed = (await discovered()).map(({ gv, entry }) => `${gv} ${entry.name}`).sort();
    expect(listed).toEqual(registered.map((s) => `${gvPath(s)} ${s.plural}/${s.subresource}`).sort());
  });

  it('every subresource discovery lists has a route for each of its verbs', async () => {
    const entries = await discovered();
    expect(entries.length).toBeGreaterThan(10);
    const missing: string[] = [];
    for (const { gv, entry } of entries) {
      for (const verb of entry.verbs) {
        const method = METHOD[verb];
        expect(method, `${entry.name}: verb ${verb}`).toBeDefined();
        const path = pathOf(gv, entry);
        const body = method === 'GET' || method === 'DELETE' ? undefined : '{}';
        const contentType = method === 'PATCH' ? 'application/merge-patch+json' : undefined;
        const r = await api(tc.cluster, method!, path, { body, contentType });
        // Served: the subresource's own answer (mostly: that object is not found), never the
        // router's 404 or a 405.
        if ((r.status === 404 && r.json().message === PAGE_NOT_FOUND) || r.status === 405) missing.push(`${method} ${path}: ${r.status}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('connect subresources (exec, attach, portforward, proxy) take upgrades on their path', async () => {
    const connect = (await discovered()).filter(({ entry }) => entry.kind.endsWith('Options'));
    expect(connect.map(({ entry }) => entry.name).sort()).toEqual([
      'pods/attach',
      'pods/exec',
      'pods/portforward',
      'pods/proxy',
      'services/proxy',
    ]);
    for (const { gv, entry } of connect) {
      const r = await upgrade(pathOf(gv, entry));
      // The subresource's own 404 (pods "no-such-object" not found; for services/proxy upstream
      // names the missing endpoints), not the upgrade router's.
      expect({ name: entry.name, status: r.status, message: r.body.message }).toEqual({
        name: entry.name,
        status: 404,
        message: expect.stringMatching(/^(pods|endpoints) "no-such-object" not found$/),
      });
    }
  });

  it('a subresource nothing registers is the 404 of any unknown path, for HTTP and upgrades', async () => {
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const r = await api(tc.cluster, method, '/api/v1/namespaces/default/pods/no-such-object/nosuch', {
        body: method === 'GET' ? undefined : '{}',
      });
      expect([method, r.status, r.json().message]).toEqual([method, 404, PAGE_NOT_FOUND]);
    }
    expect(await upgrade('/api/v1/namespaces/default/pods/no-such-object/nosuch')).toMatchObject({
      status: 404,
      body: { message: PAGE_NOT_FOUND },
    });
  });
});
