// Bad input never breaks the server: each case gets a Status with the right code and reason, and
// the server keeps answering (and keeps its data) afterwards.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { api } from '../helpers/http.js';

let cluster: RunningCluster;
beforeAll(async () => {
  cluster = await startCluster({ apiListen: '127.0.0.1:0' });
  const r = await api(cluster, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'keep' }, data: { a: '1' } } });
  expect(r.status).toBe(201);
});
afterAll(async () => {
  await cluster?.stop();
});

const CM = '/api/v1/namespaces/default/configmaps';
const SVC = '/api/v1/namespaces/default/services';

interface Case {
  name: string;
  method: string;
  path: string;
  body?: string | object | Buffer;
  contentType?: string;
  token?: string | null;
  code: number;
  reason?: string;
  message?: string | RegExp;
}

const cases: Case[] = [
  { name: 'no token', method: 'GET', path: CM, token: null, code: 401, reason: 'Unauthorized', message: 'Unauthorized' },
  { name: 'wrong token', method: 'GET', path: CM, token: 'nope', code: 401, reason: 'Unauthorized' },
  { name: 'unknown path', method: 'GET', path: '/api/v1/nothings', code: 404, reason: 'NotFound' },
  { name: 'unknown group', method: 'GET', path: '/apis/nope.example.com/v1', code: 404, reason: 'NotFound' },
  // Every group version's resources share one set of routes: an unknown group's or version's are 404 too.
  { name: 'unknown group resource', method: 'GET', path: '/apis/nope.example.com/v1/things', code: 404, reason: 'NotFound' },
  {
    name: 'unknown version resource',
    method: 'POST',
    path: '/apis/apps/v9/namespaces/default/deployments',
    body: {},
    code: 404,
    reason: 'NotFound',
  },
  {
    name: 'resource of another group',
    method: 'GET',
    path: '/apis/batch/v1/namespaces/default/deployments/x',
    code: 404,
    reason: 'NotFound',
  },
  { name: 'missing object', method: 'GET', path: `${CM}/absent`, code: 404, reason: 'NotFound', message: 'configmaps "absent" not found' },
  {
    name: 'missing namespace',
    method: 'POST',
    path: '/api/v1/namespaces/nowhere/configmaps',
    body: { metadata: { name: 'x' } },
    code: 404,
    reason: 'NotFound',
    message: 'namespaces "nowhere" not found',
  },
  { name: 'malformed JSON', method: 'POST', path: CM, body: '{"metadata": {', code: 400, reason: 'BadRequest' },
  { name: 'JSON array body', method: 'POST', path: CM, body: '[1,2]', code: 400, reason: 'BadRequest' },
  {
    name: 'malformed YAML',
    method: 'POST',
    path: CM,
    body: 'metadata: [: x',
    contentType: 'application/yaml',
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'wrong kind',
    method: 'POST',
    path: CM,
    body: { kind: 'Secret', apiVersion: 'v1', metadata: { name: 'x' } },
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'wrong content type',
    method: 'POST',
    path: CM,
    body: 'name=x',
    contentType: 'application/x-www-form-urlencoded',
    code: 415,
    reason: 'UnsupportedMediaType',
  },
  {
    name: 'wrong patch type',
    method: 'PATCH',
    path: `${CM}/keep`,
    body: '{}',
    contentType: 'text/plain',
    code: 415,
    reason: 'UnsupportedMediaType',
  },
  {
    name: 'malformed merge patch',
    method: 'PATCH',
    path: `${CM}/keep`,
    body: '{"data":',
    contentType: 'application/merge-patch+json',
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'json patch not a list',
    method: 'PATCH',
    path: `${CM}/keep`,
    body: '{"op":"add"}',
    contentType: 'application/json-patch+json',
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'json patch bad path',
    method: 'PATCH',
    path: `${CM}/keep`,
    body: '[{"op":"replace","path":"/nope/x","value":1}]',
    contentType: 'application/json-patch+json',
    code: 422,
  },
  {
    name: 'invalid name',
    method: 'POST',
    path: CM,
    body: { metadata: { name: 'Not_Valid' } },
    code: 422,
    reason: 'Invalid',
    message: /ConfigMap "Not_Valid" is invalid: metadata.name: Invalid value: "Not_Valid": a lowercase RFC 1123 subdomain/,
  },
  {
    name: 'missing name',
    method: 'POST',
    path: CM,
    body: { metadata: {} },
    code: 422,
    reason: 'Invalid',
    message: /metadata.name: Required value: name or generateName is required/,
  },
  {
    name: 'name mismatch on PUT',
    method: 'PUT',
    path: `${CM}/keep`,
    body: { metadata: { name: 'other' } },
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'stale resourceVersion',
    method: 'PUT',
    path: `${CM}/keep`,
    body: { metadata: { name: 'keep', resourceVersion: '1' } },
    code: 409,
    reason: 'Conflict',
    message: /the object has been modified/,
  },
  {
    name: 'non-numeric resourceVersion',
    method: 'PUT',
    path: `${CM}/keep`,
    body: { metadata: { name: 'keep', resourceVersion: 'abc' } },
    code: 422,
    reason: 'Invalid',
    message: /metadata.resourceVersion: Invalid value: "abc"/,
  },
  {
    name: 'already exists',
    method: 'POST',
    path: CM,
    body: { metadata: { name: 'keep' } },
    code: 409,
    reason: 'AlreadyExists',
    message: 'configmaps "keep" already exists',
  },
  {
    name: 'wrong field type',
    method: 'POST',
    path: SVC,
    body: { metadata: { name: 'x' }, spec: { ports: [{ port: 'eighty' }] } },
    code: 400,
    reason: 'BadRequest',
  },
  {
    name: 'invalid service port',
    method: 'POST',
    path: SVC,
    body: { metadata: { name: 'x' }, spec: { ports: [{ port: 70000 }] } },
    code: 422,
    reason: 'Invalid',
    message: /spec.ports\[0\].port: Invalid value: 70000: must be between 1 and 65535, inclusive/,
  },
  { name: 'bad label selector', method: 'GET', path: `${CM}?labelSelector=a%20in%20(`, code: 400, reason: 'BadRequest' },
  { name: 'unknown field selector', method: 'GET', path: `${CM}?fieldSelector=spec.nope%3Dx`, code: 400, reason: 'BadRequest' },
  { name: 'bad continue token', method: 'GET', path: `${CM}?limit=1&continue=garbage`, code: 400, reason: 'BadRequest' },
  { name: 'bad limit', method: 'GET', path: `${CM}?limit=abc`, code: 400, reason: 'BadRequest' },
  { name: 'bad resourceVersion on list', method: 'GET', path: `${CM}?resourceVersion=xyz`, code: 400, reason: 'BadRequest' },
  { name: 'huge body', method: 'POST', path: CM, body: Buffer.alloc(4 * 1024 * 1024, 'a'), code: 413, reason: 'RequestEntityTooLarge' },
  {
    name: 'delete precondition uid',
    method: 'DELETE',
    path: `${CM}/keep`,
    body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-it' } },
    code: 409,
    reason: 'Conflict',
    message: /Precondition failed: UID in precondition: not-it, UID in object meta: /,
  },
  {
    name: 'bad propagation policy',
    method: 'DELETE',
    path: `${CM}/keep`,
    body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Sometimes' },
    code: 422,
    reason: 'Invalid',
  },
  { name: 'method not allowed', method: 'PUT', path: CM, body: { metadata: { name: 'x' } }, code: 405, reason: 'MethodNotAllowed' },
];

describe('bad input', () => {
  for (const c of cases) {
    it(`${c.name} → ${c.code}`, async () => {
      const r = await api(cluster, c.method, c.path, { body: c.body, contentType: c.contentType, token: c.token });
      expect(r.status).toBe(c.code);
      const s = r.json();
      expect(s.kind).toBe('Status');
      expect(s.apiVersion).toBe('v1');
      expect(s.status).toBe('Failure');
      expect(s.code).toBe(c.code);
      if (c.reason) expect(s.reason).toBe(c.reason);
      if (typeof c.message === 'string') expect(s.message).toBe(c.message);
      else if (c.message) expect(s.message).toMatch(c.message);
    });
  }

  it('still serves and kept the data', async () => {
    const r = await api(cluster, 'GET', `${CM}/keep`);
    expect(r.status).toBe(200);
    expect(r.json().data).toEqual({ a: '1' });
    const h = await api(cluster, 'GET', '/readyz', { token: null });
    expect(h.status).toBe(200);
    expect(h.text).toBe('ok');
  });

  it('lets anonymous clients read health and version only', async () => {
    for (const p of ['/healthz', '/livez', '/readyz']) expect((await api(cluster, 'GET', p, { token: null })).status).toBe(200);
    const v = await api(cluster, 'GET', '/version', { token: null });
    expect(v.json().gitVersion).toMatch(/^v1\.32\.\d+-tinykube/);
    expect((await api(cluster, 'GET', '/api', { token: null })).status).toBe(401);
  });
});
