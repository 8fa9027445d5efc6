// Hostile request bodies are refused as upstream refuses them (go-yaml's depth and alias limits,
// Go's JSON nesting limit, the body size and JSON patch limits, with upstream's texts), and none
// of them stops the rest of the process: DNS queries and API reads sent while one is being
// handled are answered.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { Agent, request } from 'undici';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { silentLogger } from '../../src/base/log.js';
import { api } from '../helpers/http.js';
import { udpExchange } from '../helpers/dns.js';
import { TYPE, encodeQuery, parseMessage } from '../../src/dns/wire.js';

let cluster: RunningCluster;
let quick: Agent;
beforeAll(async () => {
  cluster = await startCluster({ apiListen: '127.0.0.1:0', dnsListen: '127.0.0.1:0', dnsUpstream: '127.0.0.1:1', logger: silentLogger() });
  // For reads that must be answered while a hostile request is being handled.
  quick = new Agent({ connect: { ca: cluster.caCert }, headersTimeout: 5_000, bodyTimeout: 5_000 });
  expect((await api(cluster, 'POST', CM, { body: { metadata: { name: 'target' } } })).status).toBe(201);
});
afterAll(async () => {
  await quick?.close();
  await cluster?.stop();
});

const CM = '/api/v1/namespaces/default/configmaps';
const HEAD = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hostile\n';
/** handlers/rest.go summarizeData(body, 30) of a body that is not a JSON object: hex. */
const hex30 = (body: string) => `${Buffer.from(body).subarray(0, 30).toString('hex')} ...`;
const json30 = (body: string) => `${body.slice(0, 30)} ...`;

/**
 * Sends `hostile` and, until it is answered, one DNS query and one API read after the other:
 * every one of them must be answered (the DNS helper gives up after 2 s, the reads after 5 s).
 */
async function whileHandled<T>(hostile: Promise<T>): Promise<{ result: T; dns: (Buffer | undefined)[]; reads: number[] }> {
  let done = false;
  const p = hostile.finally(() => (done = true));
  const dns: (Buffer | undefined)[] = [];
  const reads: number[] = [];
  const query = encodeQuery({ id: 77, name: 'kubernetes.default.svc.cluster.local', type: TYPE.A });
  const probe = async () => {
    do {
      dns.push(await udpExchange(cluster.ports.dns, query));
      const r = await request(`${cluster.server}/api/v1/namespaces/default/configmaps/target`, {
        headers: { authorization: `Bearer ${cluster.token}` },
        dispatcher: quick,
      }).then(
        async (res) => (await res.body.text(), res.statusCode),
        () => 0,
      );
      reads.push(r);
    } while (!done);
  };
  const [result] = await Promise.all([p, probe()]);
  return { result, dns, reads };
}

const expectAnswered = (dns: (Buffer | undefined)[], reads: number[]) => {
  expect(dns.length).toBeGreaterThan(0);
  for (const m of dns) {
    expect(m).toBeDefined();
    expect(parseMessage(m!).answers.length).toBe(1);
  }
  expect(reads.every((s) => s === 200)).toBe(true);
};

describe('hostile YAML', () => {
  it('2 MB of nested flow sequences: 400 with go-yaml text, and the process keeps answering', async () => {
    const body = `${HEAD}data: ${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}\n`;
    const { result: r, dns, reads } = await whileHandled(api(cluster, 'POST', CM, { body, contentType: 'application/yaml' }));
    expect(r.status).toBe(400);
    expect(r.json()).toMatchObject({
      reason: 'BadRequest',
      code: 400,
      message: `the object provided is unrecognized (must be of type ConfigMap): yaml: line 5: exceeded max depth of 10000 (${hex30(body)})`,
    });
    expectAnswered(dns, reads);
  });

  it('2 MB flow list of 1M items is decoded without stopping the process', async () => {
    const body = `${HEAD.replace('hostile', 'big-list')}foo: [${'a,'.repeat(1_000_000)}a]\n`;
    const { result: r, dns, reads } = await whileHandled(api(cluster, 'POST', CM, { body, contentType: 'application/yaml' }));
    // Upstream decodes it too; the unknown field is dropped (a Warning says so).
    expect(r.status).toBe(201);
    expect(r.json().foo).toBeUndefined();
    expect(r.headers.warning).toContain('unknown field \\"foo\\"');
    expectAnswered(dns, reads);
  });

  it('block sequences nested beyond 10000 levels', async () => {
    const body = `${HEAD}data:\n${'- '.repeat(10_001)}x\n`;
    const r = await api(cluster, 'POST', CM, { body, contentType: 'application/yaml' });
    expect(r.status).toBe(400);
    expect(r.json().message).toBe(
      `the object provided is unrecognized (must be of type ConfigMap): yaml: line 6: exceeded max depth of 10000 (${hex30(body)})`,
    );
  });

  it('alias expansion (billion laughs) is excessive aliasing', async () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [prev, cur] of ['ab', 'bc', 'cd', 'de', 'ef', 'fg', 'gh', 'hi'])
      levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
    const body = `${HEAD}${levels.join('\n')}\n`;
    const r = await api(cluster, 'POST', CM, { body, contentType: 'application/yaml' });
    expect(r.status).toBe(400);
    expect(r.json().message).toBe(
      `the object provided is unrecognized (must be of type ConfigMap): yaml: document contains excessive aliasing (${hex30(body)})`,
    );
    // A few aliases are fine.
    const ok = await api(cluster, 'POST', CM, {
      body: `${HEAD.replace('hostile', 'aliases')}data: &d {a: b}\nbinaryData: {}\nmore: *d\n`,
      contentType: 'application/yaml',
    });
    expect(ok.status).toBe(201);
    expect(ok.json().data).toEqual({ a: 'b' });
  });

  it('an apply patch nested too deep: the apply handler text', async () => {
    const body = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"target"},\n"data":${'['.repeat(10_001)}${']'.repeat(10_001)}}`;
    const r = await api(cluster, 'PATCH', `${CM}/target?fieldManager=test`, { body, contentType: 'application/apply-patch+yaml' });
    expect(r.status).toBe(400);
    expect(r.json().message).toBe('error decoding YAML: error converting YAML to JSON: yaml: line 2: exceeded max depth of 10000');
  });
});

describe('deep JSON', () => {
  // Go's encoding/json allows 10000 levels; our walkers are recursive, so the bound is lower
  // (MAX_NESTING, 1000), with Go's text. These answered 500 `Maximum call stack size exceeded`.
  const deep = (n: number, bracket = '[') =>
    `${bracket === '[' ? '['.repeat(n) : '{"a":'.repeat(n - 1) + '{'}${bracket === '[' ? ']'.repeat(n) : '}'.repeat(n)}`;

  it('in an unknown field of a create', async () => {
    const body = `{"metadata":{"name":"deep","foo":${deep(3000)}}}`;
    const r = await api(cluster, 'POST', CM, { body });
    expect(r.status).toBe(400);
    expect(r.json().message).toBe(
      `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '[' exceeded max depth (${json30(body)})`,
    );
  });

  it('in metadata.managedFields[].fieldsV1', async () => {
    const body = `{"metadata":{"name":"deep-mf","managedFields":[{"manager":"m","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":${deep(3000, '{')}}]}}`;
    const r = await api(cluster, 'POST', CM, { body });
    expect(r.status).toBe(400);
    expect(r.json().message).toBe(
      `the object provided is unrecognized (must be of type ConfigMap): couldn't get version/kind; json parse error: invalid character '{' exceeded max depth (${json30(body)})`,
    );
  });

  it('in merge, strategic merge and JSON patches', async () => {
    const merge = await api(cluster, 'PATCH', `${CM}/target`, {
      body: `{"data":${deep(3000, '{')}}`,
      contentType: 'application/merge-patch+json',
    });
    expect(merge.status).toBe(400);
    expect(merge.json().message).toBe(`error decoding patch: invalid character '{' exceeded max depth`);
    const smp = await api(cluster, 'PATCH', `${CM}/target`, {
      body: `{"data":${deep(3000, '{')}}`,
      contentType: 'application/strategic-merge-patch+json',
    });
    expect(smp.status).toBe(400);
    expect(smp.json().message).toBe(`invalid character '{' exceeded max depth`);
    const jp = await api(cluster, 'PATCH', `${CM}/target`, {
      body: `[{"op":"add","path":"/foo","value":${deep(3000)}}]`,
      contentType: 'application/json-patch+json',
    });
    expect(jp.status).toBe(400);
    expect(jp.json().message).toBe(`error decoding patch: invalid character '[' exceeded max depth`);
  });

  it('up to the bound, deep values are fine (and nothing answers 500)', async () => {
    const r = await api(cluster, 'PATCH', `${CM}/target`, {
      body: `{"foo":${deep(999, '{')}}`,
      contentType: 'application/merge-patch+json',
    });
    expect(r.status).toBe(200);
    const mf = await api(cluster, 'POST', CM, {
      body: `{"metadata":{"name":"deep-ok","managedFields":[{"manager":"m","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":${deep(990, '{')}}]}}`,
    });
    expect(mf.status).toBe(201);
  });
});

describe('size limits', () => {
  it('a body over 3 MiB is 413', async () => {
    const r = await api(cluster, 'POST', CM, { body: `{"metadata":{"name":"huge"},"data":{"a":"${'x'.repeat(3 * 1024 * 1024)}"}}` });
    expect(r.status).toBe(413);
    expect(r.json()).toMatchObject({ reason: 'RequestEntityTooLarge', message: 'Request entity too large: limit is 3145728' });
  });

  it('a JSON patch of more than 10000 operations is 413', async () => {
    const ops = Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/metadata/name', value: 'target' }));
    const r = await api(cluster, 'PATCH', `${CM}/target`, { body: JSON.stringify(ops), contentType: 'application/json-patch+json' });
    expect(r.status).toBe(413);
    expect(r.json()).toMatchObject({
      reason: 'RequestEntityTooLarge',
      message: 'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001',
    });
  });

  it('JSON patch copies are limited to 3 MiB in all', async () => {
    const big = 'x'.repeat(400 * 1024);
    expect(
      (await api(cluster, 'PATCH', `${CM}/target`, { body: { data: { big } }, contentType: 'application/merge-patch+json' })).status,
    ).toBe(200);
    const ops = Array.from({ length: 9 }, (_, i) => ({ op: 'copy', from: '/data/big', path: `/data/c${i}` }));
    const r = await api(cluster, 'PATCH', `${CM}/target`, { body: JSON.stringify(ops), contentType: 'application/json-patch+json' });
    expect(r.status).toBe(422);
    const each = JSON.stringify(big).length;
    expect(r.json().message).toBe(
      `Unable to complete the copy, the accumulated size increase of copy is ${8 * each}, exceeding the limit 3145728`,
    );
  });
});
