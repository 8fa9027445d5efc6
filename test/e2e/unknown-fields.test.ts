// Unknown fields are never stored (upstream decodes into Go structs, which keep nothing they do
// not declare): Warn and Ignore drop them, Strict refuses them. `__proto__`, `constructor` and
// `prototype` are ordinary unknown fields in bodies and patches.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  await tc?.stop();
});

const CM = '/api/v1/namespaces/default/configmaps';

describe('unknown fields', () => {
  it('Warn (the default) and Ignore drop them: a GET never shows them', async () => {
    const body = { apiVersion: 'v1', kind: 'ConfigMap', bogusTop: 1, metadata: { name: 'u1', bogusfield: 'x' }, data: { a: 'b' } };
    const r = await api(tc.cluster, 'POST', CM, { body });
    expect(r.status).toBe(201);
    expect(r.headers.warning).toEqual(
      expect.arrayContaining([
        expect.stringContaining('unknown field \\"bogusTop\\"'),
        expect.stringContaining('unknown field \\"metadata.bogusfield\\"'),
      ]),
    );
    expect(r.json().bogusTop).toBeUndefined();
    const got = (await api(tc.cluster, 'GET', `${CM}/u1`)).json();
    expect(got.bogusTop).toBeUndefined();
    expect(got.metadata.bogusfield).toBeUndefined();
    expect(got.data).toEqual({ a: 'b' });
    const ign = await api(tc.cluster, 'POST', `${CM}?fieldValidation=Ignore`, {
      body: { ...body, metadata: { name: 'u2', bogusfield: 'x' } },
    });
    expect(ign.status).toBe(201);
    expect(ign.headers.warning).toBeUndefined();
    expect((await api(tc.cluster, 'GET', `${CM}/u2`)).json().metadata.bogusfield).toBeUndefined();
  });

  it('a large unknown field does not ride past the ConfigMap size limit into storage', async () => {
    const big = 'x'.repeat(2_800_000);
    const r = await api(tc.cluster, 'POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'big' }, bogus: big } });
    expect(r.status).toBe(201);
    const got = await api(tc.cluster, 'GET', `${CM}/big`);
    expect(got.text.length).toBeLessThan(2000);
  });

  it('Pods drop unknown spec fields too', async () => {
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p-unknown' },
      spec: { bogusSpec: true, nodeName: 'nowhere', containers: [{ name: 'c', image: 'x', bogusC: 1 }] },
    };
    expect((await api(tc.cluster, 'POST', '/api/v1/namespaces/default/pods', { body: pod })).status).toBe(201);
    const got = (await api(tc.cluster, 'GET', '/api/v1/namespaces/default/pods/p-unknown')).json();
    expect(got.spec.bogusSpec).toBeUndefined();
    expect(got.spec.containers[0].bogusC).toBeUndefined();
  });

  it('__proto__, constructor and prototype are unknown fields in bodies (Strict refuses, Warn drops)', async () => {
    const text =
      '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"proto","__proto__":{"labels":{"a":"b"}},"constructor":1},"prototype":2}';
    const strict = await api(tc.cluster, 'POST', `${CM}?fieldValidation=Strict`, { body: text });
    expect(strict.status).toBe(400);
    expect(strict.json().message).toBe(
      'ConfigMap in version "v1" cannot be handled as a ConfigMap: strict decoding error: unknown field "metadata.__proto__", unknown field "metadata.constructor", unknown field "prototype"',
    );
    const warn = await api(tc.cluster, 'POST', CM, { body: text });
    expect(warn.status).toBe(201);
    const got = await api(tc.cluster, 'GET', `${CM}/proto`);
    expect(got.text).not.toContain('__proto__');
    expect(got.text).not.toContain('constructor');
    expect(got.json().metadata.labels).toBeUndefined();
  });

  it('a merge or strategic patch with __proto__ sets no prototype: Strict refuses it, Warn stores nothing of it', async () => {
    await api(tc.cluster, 'POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pp' } } });
    const patch = '{"metadata":{"__proto__":{"labels":{"injected":"yes"}}}}';
    for (const type of ['application/merge-patch+json', 'application/strategic-merge-patch+json']) {
      const strict = await api(tc.cluster, 'PATCH', `${CM}/pp?fieldValidation=Strict`, { body: patch, contentType: type });
      expect(strict.status).toBe(422);
      expect(strict.json().message).toContain('strict decoding error: unknown field "metadata.__proto__"');
      const warn = await api(tc.cluster, 'PATCH', `${CM}/pp`, { body: patch, contentType: type });
      expect(warn.status).toBe(200);
      expect(warn.json().metadata.labels).toBeUndefined();
      // No label selector sees an inherited label either.
      const sel = (await api(tc.cluster, 'GET', `${CM}?labelSelector=injected%3Dyes`)).json();
      expect(sel.items).toEqual([]);
    }
    expect(({} as Record<string, unknown>).labels).toBeUndefined();
  });
});
