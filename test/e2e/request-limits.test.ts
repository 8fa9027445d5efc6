// Request deadline and bearer token parsing as upstream's handler chain has them: a body that
// trickles past the (here shortened) request timeout gets upstream's 504 and the connection is
// closed, long-running requests (watch) are exempt, and the Authorization scheme is compared
// case-insensitively.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import tls from 'node:tls';
import { Agent, request } from 'undici';
import { startCluster, type RunningCluster } from '../../src/index.js';
import { silentLogger } from '../../src/base/log.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';

let cluster: RunningCluster;
let agent: Agent;
beforeAll(async () => {
  cluster = await startCluster({
    apiListen: '127.0.0.1:0',
    dnsListen: '127.0.0.1:0',
    dnsUpstream: '127.0.0.1:1',
    logger: silentLogger(),
    requestTimeoutMs: 700,
  });
  agent = new Agent({ connect: { ca: cluster.caCert } });
});
afterAll(async () => {
  await agent?.close();
  await cluster?.stop();
});

const CM = '/api/v1/namespaces/default/configmaps';

/** A raw HTTPS request whose body arrives one byte at a time; resolves with what the server answered. */
function trickle(path: string, body: string): Promise<{ head: string; body: string; closed: boolean }> {
  const u = new URL(cluster.server);
  return new Promise((resolve, reject) => {
    let data = '';
    let timer: NodeJS.Timeout | undefined;
    const sock = tls.connect({ host: u.hostname, port: Number(u.port), ca: cluster.caCert, servername: 'localhost' }, () => {
      sock.write(
        `POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${cluster.token}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
      );
      let i = 0;
      // Never the whole body: one byte now and then, short of the end.
      timer = setInterval(() => {
        if (i < body.length - 1 && !sock.destroyed) sock.write(body[i++]!);
      }, 50);
    });
    sock.on('data', (d) => (data += d.toString()));
    sock.on('error', (e) => (data ? undefined : reject(e)));
    sock.on('close', () => {
      clearInterval(timer);
      const [head, rest] = data.split('\r\n\r\n');
      resolve({ head: head ?? '', body: rest ?? '', closed: true });
    });
  });
}

describe('request deadline', () => {
  it('answers a trickled body with upstream 504 and closes the connection; a watch outlives it', async () => {
    // A watch, long-running, is open before and after the deadline of the slow request.
    const events: string[] = [];
    const watch = await request(`${cluster.server}${CM}?watch=1`, {
      headers: { authorization: `Bearer ${cluster.token}` },
      dispatcher: agent,
    });
    expect(watch.statusCode).toBe(200);
    watch.body.on('data', (d: Buffer) => events.push(...d.toString().split('\n').filter(Boolean)));

    const r = await trickle(CM, JSON.stringify({ metadata: { name: 'slow' }, data: { a: 'x'.repeat(200) } }));
    expect(r.head).toMatch(/^HTTP\/1\.1 504 /);
    expect(r.head.toLowerCase()).toContain('connection: close');
    const status = JSON.parse(r.body.slice(r.body.indexOf('{'), r.body.lastIndexOf('}') + 1));
    expect(status).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Timeout',
      code: 504,
      message: 'Timeout: request did not complete within the allotted timeout',
    });
    expect(r.closed).toBe(true);
    // Nothing was created from the partial body.
    expect((await api(cluster, 'GET', `${CM}/slow`)).status).toBe(404);

    // The watch is still served after the deadline passed.
    expect((await api(cluster, 'POST', CM, { body: { metadata: { name: 'after-deadline' } } })).status).toBe(201);
    await until(async () => events.some((e) => e.includes('"after-deadline"')));
    watch.body.destroy();
  });
});

describe('bearer token', () => {
  const get = async (authorization: string) =>
    await request(`${cluster.server}/api/v1/namespaces/default`, { headers: { authorization }, dispatcher: agent }).then(
      async (r) => (await r.body.text(), r.statusCode),
    );

  it('takes the scheme in any case, as upstream', async () => {
    expect(await get(`bearer ${cluster.token}`)).toBe(200);
    expect(await get(`BEARER ${cluster.token}`)).toBe(200);
    expect(await get(`Bearer ${cluster.token}`)).toBe(200);
  });

  it('reads the token as upstream splits the header', async () => {
    // A third part is ignored; an empty token (two spaces) is none.
    expect(await get(`Bearer ${cluster.token} extra`)).toBe(200);
    expect(await get(`Bearer  ${cluster.token}`)).toBe(401);
    expect(await get(`Basic ${cluster.token}`)).toBe(401);
    expect(await get(`Bearer${cluster.token}`)).toBe(401);
  });
});
