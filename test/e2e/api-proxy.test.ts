// The API server's proxy subresources (services/NAME[:PORT]/proxy, pods/NAME[:PORT]/proxy) end to
// end: real Pods serving HTTP and HTTPS on their Pod IPs, reached with `kubectl get --raw`, through
// `kubectl proxy`, and with direct HTTPS calls (bodies beyond the 3 MiB API body limit, streamed
// responses, redirects, upstream's error Statuses).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { gunzipSync, inflateSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'undici';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { until } from '../helpers/wait.js';
import { loadOrCreatePKI } from '../../src/pki/certs.js';

// One Pod, three servers (8080 and 8081 plain, 8443 TLS). Paths: /big?mib=N streams N MiB of a
// fixed pattern; /redirect?to=X answers 302 to X; /hold writes one line and waits for /release;
// /duplex echoes the request body as it arrives; /html?enc=&type= is a page of links; anything
// else answers what it received. An upgrade request on 8080 gets 101 and an upper-casing echo.
const SERVER = `
const http = require('http'), https = require('https'), crypto = require('crypto'), zlib = require('zlib');
let held;
const pattern = Buffer.alloc(65536); for (let i = 0; i < pattern.length; i++) pattern[i] = i % 251;
const handler = (port) => (q, s) => {
  const u = new URL(q.url, 'http://x');
  if (u.pathname === '/big') {
    const n = Number(u.searchParams.get('mib')) * 1048576;
    s.writeHead(200, { 'content-type': 'application/octet-stream' });
    let sent = 0;
    const pump = () => {
      while (sent < n) {
        const c = pattern.subarray(0, Math.min(pattern.length, n - sent));
        sent += c.length;
        if (!s.write(c)) return s.once('drain', pump);
      }
      s.end();
    };
    return pump();
  }
  if (u.pathname === '/html') {
    // Links of every kind, and a byte that is not UTF-8 (the page says latin1).
    const page = Buffer.concat([Buffer.from('<!doctype html><html><head><LINK rel=stylesheet href="/style.css"></head><body><a href="/docs/?q=1">docs</a> <a href="http://' + process.env.POD_IP + ':' + port + '/abs">abs</a> <a href="other.html">rel</a> <img src=//cdn.example/x.png> <p class=x>caf'), Buffer.of(0xe9), Buffer.from('</p></body></html>')]);
    const enc = u.searchParams.get('enc');
    const body = enc === 'gzip' ? zlib.gzipSync(page) : enc === 'deflate' ? zlib.deflateSync(page) : enc ? Buffer.from('not ' + enc) : page;
    s.writeHead(200, Object.assign({ 'content-type': u.searchParams.get('type') || 'text/html; charset=iso-8859-1', 'content-length': body.length }, enc ? { 'content-encoding': enc === 'broken' ? 'gzip' : enc } : {}));
    return s.end(body);
  }
  if (u.pathname === '/redirect') { s.writeHead(302, { location: u.searchParams.get('to') }); return s.end(); }
  if (u.pathname === '/hold') { s.writeHead(200, { 'content-type': 'text/plain' }); s.write('first\\n'); held = s; return; }
  if (u.pathname === '/release') { held.end('last\\n'); return s.end('released'); }
  if (u.pathname === '/duplex') { s.writeHead(200, { 'content-type': 'text/plain' }); s.flushHeaders(); return q.pipe(s); }
  const h = crypto.createHash('sha256'); let len = 0;
  q.on('data', (d) => { h.update(d); len += d.length; });
  q.on('end', () => {
    s.writeHead(u.pathname === '/created' ? 201 : 200, { 'content-type': 'application/json', 'access-control-allow-origin': '*', 'x-backend': port });
    s.end(JSON.stringify({ pod: process.env.POD_NAME, port, method: q.method, url: q.url, headers: q.headers, len, sha256: h.digest('hex') }));
  });
};
const plain = http.createServer(handler(8080));
// Upgrades: 101 with what was asked, then every byte echoed upper-cased.
plain.on('upgrade', (q, sock, head) => {
  sock.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: echo\\r\\nConnection: Upgrade\\r\\nX-Url: ' + q.url + '\\r\\nX-Auth: ' + (q.headers.authorization ? 'yes' : 'no') + '\\r\\n\\r\\n');
  if (head.length) sock.write(head.toString().toUpperCase());
  sock.on('data', (d) => sock.write(d.toString().toUpperCase()));
});
plain.listen(8080, process.env.POD_IP);
http.createServer(handler(8081)).listen(8081, process.env.POD_IP);
https.createServer({ key: process.env.TLS_KEY, cert: process.env.TLS_CERT }, handler(8443)).listen(8443, process.env.POD_IP);
`;

let tc: TestCluster;
let podIP: string;
let dispatcher: Agent;
beforeAll(async () => {
  tc = await startTestCluster();
  dispatcher = new Agent({ connect: { ca: tc.cluster.caCert } });
  const tls = await loadOrCreatePKI(undefined, { ips: ['127.0.0.1'], dns: ['echo'] });
  await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: Pod
metadata: {name: echo, labels: {app: echo}}
spec:
  containers:
  - name: c
    image: x
    command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(SERVER)}]
    ports: [{name: web, containerPort: 8080}, {name: alt, containerPort: 8081}, {name: tls, containerPort: 8443}]
    env:
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: TLS_KEY, value: ${JSON.stringify(tls.keyPem)}}
    - {name: TLS_CERT, value: ${JSON.stringify(tls.certPem)}}
    readinessProbe: {tcpSocket: {port: 8443}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: echo}
spec:
  selector: {app: echo}
  ports:
  - {name: web, port: 80, targetPort: web}
  - {name: alt, port: 81, targetPort: alt}
  - {name: tls, port: 443, targetPort: tls}
---
apiVersion: v1
kind: Service
metadata: {name: single}
spec:
  selector: {app: echo}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: empty}
spec:
  selector: {app: nothing-matches}
  ports: [{port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: manual}
spec:
  ports: [{port: 80}]
`,
  });
  await tc.kubectl(['wait', '--for=condition=Ready', 'pod/echo', '--timeout=30s']);
  podIP = (await tc.kubectl(['get', 'pod', 'echo', '-o', 'jsonpath={.status.podIP}'])).stdout;
  // The endpoint controllers publish the ready Pod for both selector Services.
  await until(async () => {
    const r = await api(tc.cluster, 'GET', '/api/v1/namespaces/default/services/single/proxy/ready');
    return r.status === 200 || undefined;
  }, 20_000);
}, 90_000);
afterAll(async () => {
  await dispatcher?.close();
  await tc?.stop();
});

const P = '/api/v1/namespaces/default';
type Echo = { pod: string; port: number; method: string; url: string; headers: Record<string, string>; len: number; sha256: string };
const raw = async (path: string) => JSON.parse((await tc.kubectl(['get', '--raw', path])).stdout) as Echo;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The backend's /big?mib=N content, for comparison. */
function pattern(mib: number): Buffer {
  const chunk = Buffer.alloc(65536);
  for (let i = 0; i < chunk.length; i++) chunk[i] = i % 251;
  return Buffer.concat(Array.from({ length: mib * 16 }, () => chunk));
}

describe('services/NAME:PORT/proxy', () => {
  it('forwards a GET with its query to one endpoint of the port (kubectl get --raw), without the client’s Authorization', async () => {
    // (kubectl re-encodes the query it is given: a%20b becomes a+b.)
    const r = await raw(`${P}/services/echo:80/proxy/some/path?x=1&y=a%20b`);
    expect(r).toMatchObject({ pod: 'echo', port: 8080, method: 'GET', url: '/some/path?x=1&y=a+b' });
    expect(r.headers.authorization).toBeUndefined();
    expect(r.headers['x-forwarded-uri']).toBe(`${P}/services/echo:80/proxy/some/path`);
    expect(r.headers['x-forwarded-for']).toBe('127.0.0.1');
    // The query passes byte for byte; the path is cleaned and re-escaped as Go does.
    const direct = await api(tc.cluster, 'GET', `${P}/services/echo:80/proxy/a%20b//c%2Fd?b=2&a=%20&a=x`);
    expect(direct.json().url).toBe('/a%20b/c/d?b=2&a=%20&a=x');

    // Hop-by-hop headers (and those the Connection header names) stay on this hop; the Host
    // header is the client's, as upstream's proxy forwards it.
    const hop = await new Promise<Echo>((resolve, reject) => {
      const u = new URL(`${tc.cluster.server}${P}/services/echo:80/proxy/hop`);
      const q = httpsRequest(
        {
          host: u.hostname,
          port: u.port,
          path: u.pathname,
          ca: tc.cluster.caCert,
          headers: {
            authorization: `Bearer ${tc.cluster.token}`,
            connection: 'keep-alive, X-Hop',
            'x-hop': '1',
            'proxy-authorization': 'Basic eA==',
            'x-end-to-end': 'kept',
            'x-forwarded-for': '10.9.8.7',
          },
        },
        (res) => {
          let b = '';
          res.on('data', (d) => (b += d));
          res.on('end', () => resolve(JSON.parse(b) as Echo));
        },
      );
      q.on('error', reject);
      q.end();
    });
    expect(hop.headers['x-hop']).toBeUndefined();
    expect(hop.headers['proxy-authorization']).toBeUndefined();
    expect(hop.headers['x-end-to-end']).toBe('kept');
    expect(hop.headers['x-forwarded-for']).toBe('10.9.8.7, 127.0.0.1');
    expect(hop.headers.host).toBe(new URL(tc.cluster.server).host);
  });

  it('takes the port by name, by number, with a scheme, and the only unnamed port when none is given', async () => {
    expect((await raw(`${P}/services/echo:alt/proxy/`)).port).toBe(8081);
    expect((await raw(`${P}/services/echo:81/proxy/x`)).port).toBe(8081);
    expect((await raw(`${P}/services/http:echo:web/proxy/x`)).port).toBe(8080);
    // https: TLS to the endpoint, its certificate not verified (as upstream).
    expect(await raw(`${P}/services/https:echo:443/proxy/secure`)).toMatchObject({ port: 8443, url: '/secure' });
    expect(await raw(`${P}/services/single/proxy/a/./b/../c/`)).toMatchObject({ port: 8080, url: '/a/c/' });
  });

  it('streams a request body past the 3 MiB API body limit and passes the backend’s status and headers (CORS removed)', async () => {
    const body = Buffer.alloc(5 * 1024 * 1024, 7);
    const res = await request(`${tc.cluster.server}${P}/services/echo:80/proxy/created?k=v`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tc.cluster.token}`, 'content-type': 'application/octet-stream' },
      body,
      dispatcher,
    });
    const r = (await res.body.json()) as Echo;
    expect(res.statusCode).toBe(201);
    expect(res.headers['x-backend']).toBe('8080');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(r).toMatchObject({ method: 'POST', url: '/created?k=v', len: body.length, sha256: sha256(body) });
    expect(r.headers['content-type']).toBe('application/octet-stream');
    for (const method of ['PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const) {
      const x = await api(tc.cluster, method, `${P}/services/echo:80/proxy/m`, { body: 'abc', contentType: 'text/plain' });
      expect([x.status, x.json().method, x.json().len]).toEqual([200, method, 3]);
    }
    const head = await api(tc.cluster, 'HEAD', `${P}/services/echo:80/proxy/h`);
    expect([head.status, head.headers['x-backend'], head.text]).toEqual([200, '8080', '']);
  });

  it('streams both ways: the response before the backend ends it, the request body as it is sent', async () => {
    const held = await request(`${tc.cluster.server}${P}/services/echo:80/proxy/hold`, {
      headers: { authorization: `Bearer ${tc.cluster.token}` },
      dispatcher,
    });
    const it = held.body[Symbol.asyncIterator]();
    expect(String((await it.next()).value)).toBe('first\n');
    expect((await api(tc.cluster, 'GET', `${P}/services/echo:80/proxy/release`)).text).toBe('released');
    let rest = '';
    for (let n = await it.next(); !n.done; n = await it.next()) rest += String(n.value);
    expect(rest).toBe('last\n');

    // The backend echoes what arrives; the client sends its second part only after reading the
    // first back, so this only completes if neither direction waits for the whole body.
    let send!: (s: string | null) => void;
    const input = new Readable({ read() {} });
    send = (s) => input.push(s);
    send('ping;');
    const duplex = await request(`${tc.cluster.server}${P}/services/echo:80/proxy/duplex`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tc.cluster.token}`, 'content-type': 'text/plain' },
      body: input,
      dispatcher,
    });
    const d = duplex.body[Symbol.asyncIterator]();
    expect(String((await d.next()).value)).toBe('ping;');
    send('pong');
    send(null);
    let tail = '';
    for (let n = await d.next(); !n.done; n = await d.next()) tail += String(n.value);
    expect(tail).toBe('pong');
  });

  it('streams a 20 MiB response intact', async () => {
    const res = await request(`${tc.cluster.server}${P}/services/echo:web/proxy/big?mib=20`, {
      headers: { authorization: `Bearer ${tc.cluster.token}` },
      dispatcher,
    });
    const got = Buffer.from(await res.body.arrayBuffer());
    expect(res.statusCode).toBe(200);
    expect([got.length, sha256(got)]).toEqual([20 * 1024 * 1024, sha256(pattern(20))]);
  });

  it('redirects the proxy root to its slash and sends the backend’s own redirects back through the proxy', async () => {
    const root = await api(tc.cluster, 'GET', `${P}/services/echo:80/proxy?a=1`);
    expect([root.status, root.headers.location]).toEqual([301, `${P}/services/echo:80/proxy/?a=1`]);
    const post = await api(tc.cluster, 'POST', `${P}/services/echo:80/proxy`, { body: 'x', contentType: 'text/plain' });
    expect(post.json()).toMatchObject({ url: '/', len: 1 });
    const loc = async (to: string) =>
      (await api(tc.cluster, 'GET', `${P}/services/echo:80/proxy/redirect?to=${encodeURIComponent(to)}`)).headers.location;
    expect(await loc('/target/x?q=1')).toBe(`${P}/services/echo:80/proxy/target/x?q=1`);
    expect(await loc(`http://${podIP}:8080/abs/`)).toBe(`${P}/services/echo:80/proxy/abs/`);
    expect(await loc('http://elsewhere.example/x')).toBe('http://elsewhere.example/x');
    expect(await loc('relative/y')).toBe('relative/y');
  });

  it('rewrites the links of text/html pages to go through the proxy, as upstream, in any encoding it reads', async () => {
    const page = async (query: string) => {
      const r = await request(`${tc.cluster.server}${P}/services/echo:80/proxy/html?${query}`, {
        headers: { authorization: `Bearer ${tc.cluster.token}` },
        dispatcher,
      });
      const raw = Buffer.from(await r.body.arrayBuffer());
      expect(Number(r.headers['content-length'])).toBe(raw.length);
      const enc = r.headers['content-encoding'];
      return enc === 'gzip' ? gunzipSync(raw) : enc === 'deflate' ? inflateSync(raw) : raw;
    };
    const via = `${P}/services/echo:80/proxy`;
    const want = Buffer.concat([
      Buffer.from(
        `<!doctype html><html><head><link rel="stylesheet" href="${via}/style.css"></head><body><a href="${via}/docs/?q=1">docs</a> <a href="${via}/abs">abs</a> <a href="other.html">rel</a> <img src="//cdn.example/x.png"> <p class="x">caf`,
      ),
      Buffer.of(0xe9),
      Buffer.from('</p></body></html>'),
    ]);
    expect((await page('')).toString('latin1')).toBe(want.toString('latin1'));
    expect((await page('enc=gzip')).equals(want)).toBe(true);
    expect((await page('enc=deflate')).equals(want)).toBe(true);
    // An encoding upstream does not read passes unchanged; a body that does not decode is a 500.
    const br = await api(tc.cluster, 'GET', `${via}/html?enc=br`);
    expect([br.status, br.headers['content-encoding'], br.text]).toEqual([200, 'br', 'not br']);
    const broken = await api(tc.cluster, 'GET', `${via}/html?enc=broken`);
    expect([broken.status, broken.json()]).toEqual([
      500,
      { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'incorrect header check', code: 500 },
    ]);
    // Not text/html: untouched.
    expect((await page('type=text/plain')).toString('latin1')).toContain('<a href="/docs/?q=1">');
    // kubectl sees the same page.
    expect((await tc.kubectl(['get', '--raw', `${via}/html`])).stdout).toContain(`<a href="${via}/docs/?q=1">docs</a>`);
  });

  it('answers upstream’s errors: unknown Service or port, no ready endpoints, endpoints not backed by a Pod', async () => {
    const err = async (path: string) => {
      const r = await api(tc.cluster, 'GET', path);
      return [r.status, r.json().reason, r.json().message];
    };
    expect(await err(`${P}/services/nope:80/proxy/`)).toEqual([404, 'NotFound', 'services "nope" not found']);
    expect(await err(`${P}/services/nope/proxy/`)).toEqual([404, 'NotFound', 'endpoints "nope" not found']);
    expect(await err(`${P}/services/echo:82/proxy/`)).toEqual([503, 'ServiceUnavailable', 'no service port 82 found for service "echo"']);
    expect(await err(`${P}/services/echo:bogus/proxy/`)).toEqual([
      503,
      'ServiceUnavailable',
      'no endpoints available for service "echo:bogus"',
    ]);
    expect(await err(`${P}/services/empty:80/proxy/`)).toEqual([503, 'ServiceUnavailable', 'no endpoints available for service "empty"']);
    expect(await err(`${P}/services/ftp:echo:80/proxy/`)).toEqual([400, 'BadRequest', 'invalid service request "ftp:echo:80"']);
    const k = await tc.kubectl(['get', '--raw', `${P}/services/empty:80/proxy/`], { allowFail: true });
    expect([k.code, k.stderr.trim()]).toEqual([1, 'Error from server (ServiceUnavailable): no endpoints available for service "empty"']);

    // A selector-less Service whose slice names the Pod's address: upstream proxies only to
    // endpoints whose targetRef is a Pod that has the address.
    const slice = (targetRef: string) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: manual-1, labels: {kubernetes.io/service-name: manual}}
addressType: IPv4
ports: [{name: '', port: 8081, protocol: TCP}]
endpoints: [{addresses: [${podIP}]${targetRef}}]
`;
    await tc.kubectl(['apply', '-f', '-'], { input: slice('') });
    // (404 "endpoints not found" until the slice is seen.)
    const manual = await until(async () => {
      const e = await err(`${P}/services/manual:80/proxy/`);
      return e[0] === 503 ? e : undefined;
    });
    expect(manual).toEqual([503, 'ServiceUnavailable', 'no endpoints available for service "manual:80"']);
    await tc.kubectl(['apply', '-f', '-'], { input: slice(', targetRef: {kind: Pod, namespace: default, name: echo}') });
    expect(await until(async () => (await api(tc.cluster, 'GET', `${P}/services/manual:80/proxy/m`)).status === 200 || undefined)).toBe(
      true,
    );
    expect((await raw(`${P}/services/manual/proxy/m`)).port).toBe(8081);
  });

  it('needs credentials like every API path', async () => {
    const r = await api(tc.cluster, 'GET', `${P}/services/echo:80/proxy/`, { token: null });
    expect([r.status, r.json().reason]).toEqual([401, 'Unauthorized']);
  });
});

describe('pods/NAME:PORT/proxy', () => {
  it('forwards to the Pod IP: the given port, the first container port, https', async () => {
    expect(await raw(`${P}/pods/echo:8081/proxy/p?z=9`)).toMatchObject({ port: 8081, url: '/p?z=9' });
    expect(await raw(`${P}/pods/echo/proxy/p`)).toMatchObject({ port: 8080, url: '/p' });
    expect(await raw(`${P}/pods/https:echo:8443/proxy/`)).toMatchObject({ port: 8443, url: '/' });
    const r = await api(tc.cluster, 'POST', `${P}/pods/echo:8080/proxy/created`, { body: 'hello', contentType: 'text/plain' });
    expect([r.status, r.json().len]).toEqual([201, 5]);
  });

  it('answers 503 with Go’s dial error when nothing listens, 404 for an unknown Pod', async () => {
    const r = await api(tc.cluster, 'GET', `${P}/pods/echo:9/proxy/`);
    expect([r.status, r.json().reason, r.json().message]).toEqual([
      503,
      'ServiceUnavailable',
      `error trying to reach service: dial tcp ${podIP}:9: connect: connection refused`,
    ]);
    const k = await tc.kubectl(['get', '--raw', `${P}/pods/echo:9/proxy/`], { allowFail: true });
    expect(k.stderr.trim()).toBe(
      `Error from server (ServiceUnavailable): error trying to reach service: dial tcp ${podIP}:9: connect: connection refused`,
    );
    const tlsToPlain = await api(tc.cluster, 'GET', `${P}/pods/https:echo:8080/proxy/`);
    expect([tlsToPlain.status, tlsToPlain.json().message]).toEqual([
      503,
      'error trying to reach service: tls: first record does not look like a TLS handshake',
    ]);
    const missing = await api(tc.cluster, 'GET', `${P}/pods/ghost/proxy/`);
    expect([missing.status, missing.json().message]).toEqual([404, 'pods "ghost" not found']);
  });
});

/** `kubectl proxy --port=0`, resolved once it says where it serves. */
async function kubectlProxy(): Promise<{ p: ChildProcess; base: string }> {
  const p = spawn('kubectl', ['--kubeconfig', tc.kubeconfigPath, 'proxy', '--port=0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
      const m = /Starting to serve on (127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(`http://${m[1]}`);
    });
    p.on('exit', (code) => reject(new Error(`kubectl proxy exited ${code}`)));
  });
  return { p, base };
}

describe('kubectl proxy', () => {
  it('reaches Services and Pods through the local proxy', async () => {
    const { p, base } = await kubectlProxy();
    try {
      const r = (await (await fetch(`${base}${P}/services/echo:80/proxy/via/kubectl?x=1`)).json()) as Echo;
      expect(r).toMatchObject({ port: 8080, url: '/via/kubectl?x=1' });
      expect(r.headers.authorization).toBeUndefined();
      const posted = await fetch(`${base}${P}/pods/echo:8081/proxy/created`, {
        method: 'POST',
        body: 'round trip',
        headers: { 'content-type': 'text/plain' },
      });
      expect([posted.status, ((await posted.json()) as Echo).sha256]).toEqual([201, sha256(Buffer.from('round trip'))]);
      const big = Buffer.from(await (await fetch(`${base}${P}/services/echo:80/proxy/big?mib=20`)).arrayBuffer());
      expect([big.length, sha256(big)]).toEqual([20 * 1024 * 1024, sha256(pattern(20))]);
      const none = await fetch(`${base}${P}/services/empty:80/proxy/`);
      expect([none.status, ((await none.json()) as { message: string }).message]).toEqual([
        503,
        'no endpoints available for service "empty"',
      ]);
    } finally {
      p.kill();
    }
  });
});

/** Sends an upgrade request and returns the 101 head and the echo of `say`. */
function upgradeThrough(
  url: string,
  opts: { ca?: string; token?: string },
  say: string,
): Promise<{ status: number; headers: Record<string, unknown>; echo: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      ca: opts.ca,
      headers: { connection: 'Upgrade', upgrade: 'echo', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
    });
    req.on('upgrade', (res, sock) => {
      let echo = '';
      sock.on('data', (d: Buffer) => {
        echo += d;
        if (echo.length >= say.length) {
          sock.destroy();
          resolve({ status: res.statusCode!, headers: res.headers, echo });
        }
      });
      sock.write(say);
    });
    req.on('response', (res) => resolve({ status: res.statusCode!, headers: res.headers, echo: '' }));
    req.on('error', reject);
    req.end();
  });
}

describe('upgrades through the proxy (WebSocket and others)', () => {
  it('passes an upgrade to the Service’s backend and then every byte, directly and through kubectl proxy', async () => {
    const direct = await upgradeThrough(
      `${tc.cluster.server}${P}/services/echo:80/proxy/ws?room=1`,
      { ca: tc.cluster.caCert, token: tc.cluster.token },
      'hello upgrade',
    );
    expect(direct).toMatchObject({ status: 101, echo: 'HELLO UPGRADE' });
    expect(direct.headers).toMatchObject({ upgrade: 'echo', 'x-url': '/ws?room=1', 'x-auth': 'no' });
    const noBackend = await upgradeThrough(
      `${tc.cluster.server}${P}/services/empty:80/proxy/ws`,
      { ca: tc.cluster.caCert, token: tc.cluster.token },
      'x',
    );
    expect(noBackend.status).toBe(503);
    const { p, base } = await kubectlProxy();
    try {
      const via = await upgradeThrough(`${base}${P}/pods/echo:8080/proxy/chat`, {}, 'through kubectl');
      expect(via).toMatchObject({ status: 101, echo: 'THROUGH KUBECTL' });
      expect(via.headers).toMatchObject({ 'x-url': '/chat', 'x-auth': 'no' });
    } finally {
      p.kill();
    }
  });
});

describe('discovery', () => {
  it('lists pods/proxy and services/proxy as upstream does', async () => {
    const list = JSON.parse((await tc.kubectl(['get', '--raw', '/api/v1'])).stdout) as {
      resources: { name: string; kind: string; verbs: string[] }[];
    };
    const find = (n: string) => list.resources.find((r) => r.name === n);
    expect(find('pods/proxy')).toMatchObject({ kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
    expect(find('services/proxy')).toMatchObject({ kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  });
});
