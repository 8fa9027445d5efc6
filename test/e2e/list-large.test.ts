// Lists of more than 500 objects are written piece by piece (server/handlers/response.ts
// streamedRawList, streamedTable), so that a large list never holds every parsed object at once.
// The documents must be the same as the ones written whole: plain JSON and Tables, read by
// kubectl, the Python client and raw HTTP.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { pythonJson } from '../helpers/python.js';
import { until } from '../helpers/wait.js';

const N = 600;
const TABLE = 'application/json;as=Table;v=v1;g=meta.k8s.io';
const PARTIAL = 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io';
let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < N) {
        const i = next++;
        const r = await api(tc.cluster, 'POST', '/api/v1/namespaces/default/configmaps', {
          body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `cm-${String(i).padStart(4, '0')}` }, data: { i: String(i) } },
        });
        if (r.status !== 201) throw new Error(r.text);
      }
    }),
  );
}, 60_000);

afterAll(async () => {
  await tc?.stop();
});

const names = (n: number) => Array.from({ length: n }, (_, i) => `cm-${String(i).padStart(4, '0')}`);

describe(`a list of ${N} ConfigMaps`, () => {
  it('comes as plain JSON, written in pieces, with every object as stored', async () => {
    const r = await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    // Written in pieces: no Content-Length, chunked (a list written whole has its length).
    expect(r.headers['transfer-encoding']).toBe('chunked');
    const l = r.json();
    expect(Object.keys(l)).toEqual(['kind', 'apiVersion', 'metadata', 'items']);
    expect(l).toMatchObject({ kind: 'ConfigMapList', apiVersion: 'v1' });
    expect(Number(l.metadata.resourceVersion)).toBeGreaterThan(0);
    // kube-root-ca.crt is listed too (its name sorts first).
    expect(l.items.map((o: { metadata: { name: string } }) => o.metadata.name)).toEqual(['kube-root-ca.crt', ...names(N)].sort());
    expect(l.items.find((o: { metadata: { name: string } }) => o.metadata.name === 'cm-0007')).toMatchObject({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      data: { i: '7' },
    });
    // The same objects as a list of fewer (written whole): a page of 500.
    const page = await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps?limit=500');
    expect(page.headers['transfer-encoding']).toBeUndefined();
    expect(page.json().items).toEqual(l.items.slice(0, 500));
  });

  it('comes as a Table, written in pieces, the same rows a page written whole has', async () => {
    const r = await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps', { accept: TABLE });
    expect(r.status).toBe(200);
    expect(r.headers['transfer-encoding']).toBe('chunked');
    const t = r.json();
    expect(Object.keys(t)).toEqual(['kind', 'apiVersion', 'metadata', 'columnDefinitions', 'rows']);
    expect(t.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(['Name', 'Data', 'Age']);
    expect(t.rows).toHaveLength(N + 1);
    expect(t.rows[N].cells.slice(0, 2)).toEqual(['kube-root-ca.crt', 1]);
    expect(t.rows[N - 1].cells.slice(0, 2)).toEqual(['cm-0599', 1]);
    expect(t.rows[N - 1].object).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'cm-0599', namespace: 'default' } });
    const whole = (await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps?limit=500', { accept: TABLE })).json();
    const nameAndData = (rows: { cells: unknown[] }[]) => rows.map((row) => row.cells.slice(0, 2));
    expect(nameAndData(t.rows.slice(0, 500))).toEqual(nameAndData(whole.rows));
    expect(t.rows.slice(0, 500).map((row: { object: unknown }) => row.object)).toEqual(
      whole.rows.map((row: { object: unknown }) => row.object),
    );

    const none = (await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps?includeObject=None', { accept: TABLE })).json();
    expect(none.rows[0].object).toBeUndefined();
    const headless = await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps', {
      accept: `${TABLE};noHeaders=true`,
    });
    expect(headless.status).toBe(200);
  });

  it('comes as PartialObjectMetadataList, written in pieces, the same items a page written whole has', async () => {
    const r = await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps', { accept: PARTIAL });
    expect(r.headers['transfer-encoding']).toBe('chunked');
    const l = r.json();
    expect(Object.keys(l)).toEqual(['kind', 'apiVersion', 'metadata', 'items']);
    expect(l).toMatchObject({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' });
    expect(l.items).toHaveLength(N + 1);
    expect(l.items[0]).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'cm-0000' } });
    expect(l.items[0].data).toBeUndefined();
    const whole = (await api(tc.cluster, 'GET', '/api/v1/namespaces/default/configmaps?limit=500', { accept: PARTIAL })).json();
    expect(l.items.slice(0, 500)).toEqual(whole.items);
  });

  it('of custom resources comes written in pieces too, defaulted as a page written whole is', async () => {
    const group = 'list.example.com';
    await api(tc.cluster, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `widgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
          versions: [
            {
              name: 'v1',
              served: true,
              storage: true,
              schema: {
                openAPIV3Schema: {
                  type: 'object',
                  properties: { spec: { type: 'object', properties: { size: { type: 'integer', default: 3 } } } },
                },
              },
            },
          ],
        },
      },
    });
    const path = `/apis/${group}/v1/namespaces/default/widgets`;
    await until(async () => (await api(tc.cluster, 'GET', path)).status === 200);
    let next = 0;
    const M = 510;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < M) {
          const i = next++;
          const r = await api(tc.cluster, 'POST', path, {
            body: { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: `w-${String(i).padStart(4, '0')}` }, spec: {} },
          });
          if (r.status !== 201) throw new Error(r.text);
        }
      }),
    );
    const r = await api(tc.cluster, 'GET', path);
    expect(r.headers['transfer-encoding']).toBe('chunked');
    const l = r.json();
    expect(Object.keys(l)).toEqual(['kind', 'apiVersion', 'metadata', 'items']);
    expect(l).toMatchObject({ kind: 'WidgetList', apiVersion: `${group}/v1` });
    expect(l.items).toHaveLength(M);
    expect(l.items[M - 1]).toMatchObject({ kind: 'Widget', metadata: { name: 'w-0509' }, spec: { size: 3 } });
    const whole = (await api(tc.cluster, 'GET', `${path}?limit=500`)).json();
    expect(l.items.slice(0, 500)).toEqual(whole.items);
  }, 60_000);

  it('is read whole by kubectl and by the Python client', async () => {
    const { stdout } = await tc.kubectl(['get', 'configmaps', '-n', 'default', '--no-headers', '-o', 'custom-columns=N:.metadata.name']);
    expect(
      stdout
        .trim()
        .split('\n')
        .filter((n) => n.startsWith('cm-')),
    ).toEqual(names(N));
    const table = await tc.kubectl(['get', 'configmaps', '-n', 'default']);
    expect(
      table.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('cm-')),
    ).toHaveLength(N);
    const py = await pythonJson(tc, {
      code: `
import json, sys
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
items = client.CoreV1Api().list_namespaced_config_map("default").items
cms = [c for c in items if c.metadata.name.startswith("cm-")]
print(json.dumps({"n": len(cms), "last": cms[-1].data}))
`,
    });
    expect(py).toEqual({ n: N, last: { i: String(N - 1) } });
  }, 60_000);
});
