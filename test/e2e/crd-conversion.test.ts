// A CRD with two versions and a conversion webhook (an HTTPS server of this test on loopback,
// trusted by its caBundle): objects stored in v1 are read, listed, watched and patched in v2 and
// written in either, each conversion through a ConversionReview, lists in one review; a webhook
// that is down or refuses gives upstream's texts; objects of the storage version never call it.
import { createServer, type Server } from 'node:https';
import { createServer as createTCPServer, type AddressInfo } from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadOrCreatePKI } from '../../src/pki/certs.js';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';
import { Agent, request } from 'undici';

let tc: TestCluster;
let server: Server;
let port: number;
let closedPort: number;
let caBundle: string;
const reviews: { desiredAPIVersion: string; objects: { apiVersion: string; metadata: { name: string } }[] }[] = [];
let refuse = false;

type Endpoint = { apiVersion: string; spec?: { hostPort?: string; host?: string; port?: number } };
/** v1 spec.hostPort "host:port" <-> v2 spec.host + spec.port. */
function convert(o: Endpoint, to: string): Endpoint {
  const out = structuredClone(o);
  out.apiVersion = to;
  if (to.endsWith('/v2') && o.spec?.hostPort !== undefined) {
    const [host, p] = o.spec.hostPort.split(':');
    out.spec = { host, port: Number(p) };
  } else if (to.endsWith('/v1') && o.spec?.host !== undefined) {
    out.spec = { hostPort: `${o.spec.host}:${o.spec.port}` };
  }
  return out;
}

const crd = (url: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: endpoints.conv.example.com}
spec:
  group: conv.example.com
  scope: Namespaced
  names: {plural: endpoints, singular: endpoint, kind: Endpoint, shortNames: [ep2]}
  conversion:
    strategy: Webhook
    webhook:
      conversionReviewVersions: [v1]
      clientConfig:
        url: ${url}
        caBundle: ${caBundle}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {hostPort: {type: string}}}}}}
    - name: v2
      served: true
      storage: false
      schema: {openAPIV3Schema: {type: object, properties: {spec: {type: object, properties: {host: {type: string}, port: {type: integer}}}}}}
`;

beforeAll(async () => {
  const pki = await loadOrCreatePKI(undefined, { ips: ['127.0.0.1'], dns: [] });
  caBundle = Buffer.from(pki.caCertPem).toString('base64');
  server = createServer({ cert: pki.certPem, key: pki.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const review = JSON.parse(Buffer.concat(chunks).toString());
      const r = review.request;
      reviews.push({ desiredAPIVersion: r.desiredAPIVersion, objects: r.objects });
      const response = refuse
        ? { uid: r.uid, result: { status: 'Failure', message: 'converter is being upgraded' } }
        : { uid: r.uid, result: { status: 'Success' }, convertedObjects: r.objects.map((o: Endpoint) => convert(o, r.desiredAPIVersion)) };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'ConversionReview', response }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const probe = createTCPServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  tc = await startTestCluster();
  await tc.kubectl(['apply', '-f', '-'], { input: crd(`https://127.0.0.1:${port}/convert`) });
  await until(async () => (await api(tc.cluster, 'GET', '/apis/conv.example.com/v2')).status === 200 || undefined);
}, 60_000);

afterAll(async () => {
  await tc?.stop();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

const V1 = '/apis/conv.example.com/v1/namespaces/default/endpoints';
const V2 = '/apis/conv.example.com/v2/namespaces/default/endpoints';

describe('a conversion webhook', () => {
  it('converts reads, lists, writes and patches between the versions', async () => {
    reviews.length = 0;
    const made = await api(tc.cluster, 'POST', V1, {
      body: {
        apiVersion: 'conv.example.com/v1',
        kind: 'Endpoint',
        metadata: { name: 'a', labels: { app: 'x' } },
        spec: { hostPort: 'db:5432' },
      },
    });
    expect(made.status).toBe(201);
    // Writing and reading the storage version converts nothing.
    expect(reviews).toEqual([]);
    const a2 = (await api(tc.cluster, 'GET', `${V2}/a`)).json();
    expect([a2.apiVersion, a2.spec, a2.metadata.labels, a2.metadata.uid]).toEqual([
      'conv.example.com/v2',
      { host: 'db', port: 5432 },
      { app: 'x' },
      made.json().metadata.uid,
    ]);
    expect(reviews.at(-1)!.desiredAPIVersion).toBe('conv.example.com/v2');
    // A create in v2 is stored in v1.
    const b = await api(tc.cluster, 'POST', V2, {
      body: { apiVersion: 'conv.example.com/v2', kind: 'Endpoint', metadata: { name: 'b' }, spec: { host: 'cache', port: 6379 } },
    });
    expect([b.status, b.json().apiVersion, b.json().spec]).toEqual([201, 'conv.example.com/v2', { host: 'cache', port: 6379 }]);
    expect((await api(tc.cluster, 'GET', `${V1}/b`)).json().spec).toEqual({ hostPort: 'cache:6379' });
    // A list in v2: the objects not converted yet go in one review.
    await api(tc.cluster, 'POST', V1, {
      body: { apiVersion: 'conv.example.com/v1', kind: 'Endpoint', metadata: { name: 'c' }, spec: { hostPort: 'q:1' } },
    });
    await api(tc.cluster, 'POST', V1, {
      body: { apiVersion: 'conv.example.com/v1', kind: 'Endpoint', metadata: { name: 'd' }, spec: { hostPort: 'r:2' } },
    });
    reviews.length = 0;
    const list = (await tc.kubectl(['get', 'endpoints.v2.conv.example.com', '-o', 'json'])).stdout;
    expect(JSON.parse(list).items.map((i: { spec: { host: string } }) => i.spec.host)).toEqual(['db', 'cache', 'q', 'r']);
    expect(reviews.map((r) => r.objects.map((o) => o.metadata.name).sort())).toEqual([['c', 'd']]);
    // A patch in v2 applies to the converted object and is stored converted back.
    await tc.kubectl(['patch', 'endpoints.v2.conv.example.com', 'a', '--type=merge', '-p', '{"spec":{"port":6543}}']);
    expect((await api(tc.cluster, 'GET', `${V1}/a`)).json().spec).toEqual({ hostPort: 'db:6543' });
  });

  it('converts watch events in order', async () => {
    const agent = new Agent({ connect: { ca: tc.cluster.caCert } });
    const res = await request(`${tc.cluster.server}${V2}?watch=1&timeoutSeconds=10`, {
      headers: { authorization: `Bearer ${tc.cluster.token}` },
      dispatcher: agent,
    });
    expect(res.statusCode).toBe(200);
    // The watch is registered once its headers are sent: events from here on are delivered.
    for (const [name, hp] of [
      ['w1', 'a:1'],
      ['w2', 'b:2'],
    ])
      await api(tc.cluster, 'POST', V1, {
        body: { apiVersion: 'conv.example.com/v1', kind: 'Endpoint', metadata: { name }, spec: { hostPort: hp } },
      });
    const seen: string[] = [];
    let buf = '';
    for await (const chunk of res.body) {
      buf += chunk.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const ev = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (ev.type === 'ADDED' && ev.object.metadata.name.startsWith('w'))
          seen.push(`${ev.object.apiVersion} ${ev.object.metadata.name}=${ev.object.spec.host}:${ev.object.spec.port}`);
      }
      if (seen.length === 2) break;
    }
    res.body.destroy();
    await agent.close();
    expect(seen).toEqual(['conv.example.com/v2 w1=a:1', 'conv.example.com/v2 w2=b:2']);
  });

  it('fails requests with upstream’s texts when the webhook refuses or is down', async () => {
    refuse = true;
    await api(tc.cluster, 'POST', V1, {
      body: { apiVersion: 'conv.example.com/v1', kind: 'Endpoint', metadata: { name: 'e' }, spec: { hostPort: 'z:9' } },
    });
    const got = await api(tc.cluster, 'GET', `${V2}/e`);
    expect([got.status, got.json().reason, got.json().message]).toEqual([
      500,
      undefined,
      'conversion webhook for conv.example.com/v1, Kind=Endpoint failed: converter is being upgraded',
    ]);
    const put = await api(tc.cluster, 'POST', V2, {
      body: { apiVersion: 'conv.example.com/v2', kind: 'Endpoint', metadata: { name: 'f' }, spec: { host: 'y', port: 1 } },
    });
    expect([put.status, put.json().reason, put.json().message]).toEqual([
      500,
      'InternalError',
      'Internal error occurred: conversion webhook for conv.example.com/v2, Kind=Endpoint failed: converter is being upgraded',
    ]);
    refuse = false;
    await tc.kubectl(['apply', '-f', '-'], { input: crd(`https://127.0.0.1:${closedPort}/convert`) });
    await until(async () => {
      const r = await api(tc.cluster, 'GET', `${V2}/e`);
      return r.status === 500 && r.json().message.includes('connection refused') ? r : undefined;
    });
    const down = (await api(tc.cluster, 'GET', `${V2}/e`)).json().message;
    expect(down).toBe(
      `conversion webhook for conv.example.com/v1, Kind=Endpoint failed: Post "https://127.0.0.1:${closedPort}/convert?timeout=30s": dial tcp 127.0.0.1:${closedPort}: connect: connection refused`,
    );
    // The storage version is still served without the webhook.
    expect((await api(tc.cluster, 'GET', `${V1}/e`)).status).toBe(200);
  });
});
