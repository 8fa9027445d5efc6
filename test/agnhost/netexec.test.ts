// netexec's endpoints and UDP server over real HTTP and UDP on 127.0.0.1, answered as upstream's
// handlers answer (bodies, status codes, JSON, headers), with a fake runtime that records exits,
// signals and the log.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAddresses, startNetexec, type NetexecOptions, type NetexecServer } from '../../src/agnhost/netexec.js';
import { localhostPair } from '../../src/agnhost/tls.js';
import { until } from '../helpers/wait.js';
import { fakeRuntime, HOSTNAME, httpGet, multipartBody, udpAsk, udpSend, type FakeRuntime } from './helpers.js';

const running: NetexecServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function netexec(o: Partial<NetexecOptions> = {}, f: FakeRuntime = fakeRuntime()) {
  const server = await startNetexec({ host: '127.0.0.1', httpPort: 0, udpPort: 0, runtime: f.rt, ...o });
  running.push(server);
  const base = `http://127.0.0.1:${server.httpPort}`;
  return { server, f, base, get: (path: string, init?: Parameters<typeof httpGet>[1]) => httpGet(base + path, init) };
}

describe('netexec HTTP endpoints', () => {
  it('/ answers the time; any unregistered path too', async () => {
    const { get, f } = await netexec();
    for (const path of ['/', '/nothing/here']) {
      const r = await get(path);
      expect(r.status).toBe(200);
      expect(r.body).toMatch(/^NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/);
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    }
    expect(f.log()).toMatch(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d GET \/$/m);
  });

  it('/clientip answers the caller as ip:port', async () => {
    const { get } = await netexec();
    expect((await get('/clientip')).body).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('/header answers all headers as JSON with canonical names, or the one asked for', async () => {
    const { get } = await netexec();
    const all = await get('/header', { headers: { 'x-forwarded-for': '10.1.2.3', 'user-agent': 'agnhost-test' } });
    // Host is not among r.Header in Go; keys sorted.
    expect(JSON.parse(all.body)).toEqual({ Connection: ['close'], 'User-Agent': ['agnhost-test'], 'X-Forwarded-For': ['10.1.2.3'] });
    expect(Object.keys(JSON.parse(all.body))).toEqual(['Connection', 'User-Agent', 'X-Forwarded-For']);
    expect((await get('/header?key=x-FORWARDED-for', { headers: { 'X-Forwarded-For': '10.9.9.9' } })).body).toBe('10.9.9.9');
    expect((await get('/header?key=X-Missing')).body).toBe('');
  });

  it('/echo answers msg with the given code; a bad code is explained with 200', async () => {
    const { get, f } = await netexec();
    expect(await get('/echo?msg=hello%20world')).toMatchObject({ status: 200, body: 'hello world' });
    const html = await get('/echo?msg=%3Chtml%3Ehi&code=404');
    expect(html).toMatchObject({ status: 404, body: '<html>hi' });
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    const empty = await get('/echo?msg=dropped&code=204');
    expect(empty).toMatchObject({ status: 204, body: '' });
    expect(empty.headers['content-type']).toBeUndefined();
    expect(await get('/echo?msg=x&code=abc')).toMatchObject({
      status: 200,
      body: `argument 'code' must be an integer or empty, got "abc"\n`,
    });
    // A form body of a POST comes before the query, as r.FormValue reads it.
    const post = await get('/echo?msg=query', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'msg=from+body',
    });
    expect(post.body).toBe('from body');
    expect(f.log()).toContain('GET /echo?msg=hello world&code=\n');
  });

  it('/echo of a large message (a 1 MB header limit, as Go)', async () => {
    const { get } = await netexec();
    const msg = '42'.repeat(100_000);
    expect((await get(`/echo?msg=${msg}`)).body).toBe(msg);
  });

  it('/hostname and /hostName answer the hostname', async () => {
    const { get } = await netexec();
    expect(await get('/hostname')).toMatchObject({ status: 200, body: HOSTNAME });
    expect(await get('/hostName')).toMatchObject({ status: 200, body: HOSTNAME });
  });

  it('/healthz and /readyz are 200 once the UDP server serves; 412 without one', async () => {
    const { get } = await netexec();
    expect(await get('/healthz')).toMatchObject({ status: 200, body: '' });
    expect(await get('/readyz')).toMatchObject({ status: 200, body: 'ok' });
    const noUDP = await netexec({ udpPort: -1 });
    expect(noUDP.server.udpPort).toBeUndefined();
    expect(await noUDP.get('/healthz')).toMatchObject({ status: 412, body: '' });
    expect(await noUDP.get('/readyz')).toMatchObject({ status: 412, body: '' });
  });

  it('/redirect answers the location with 302 or the given code, relative ones made absolute', async () => {
    const { get } = await netexec();
    const r = await get('/redirect?location=/echo%3Fmsg=foobar&code=307');
    expect(r.status).toBe(307);
    expect(r.headers.location).toBe('/echo?msg=foobar');
    expect(r.body).toBe('<a href="/echo?msg=foobar">Temporary Redirect</a>.\n\n');
    const d = await get('/redirect?location=hostname');
    expect(d.status).toBe(302);
    expect(d.headers.location).toBe('/hostname');
    expect((await get('/redirect?location=http://example.com/x', { method: 'POST' })).headers.location).toBe('http://example.com/x');
    expect(await get('/redirect?location=/x&code=zz')).toMatchObject({
      status: 200,
      body: `argument 'code' must be an integer or empty, got "zz"\n`,
    });
  });

  it('a path that is not clean is redirected (301) to its cleaned form, as Go ServeMux does', async () => {
    const { get } = await netexec();
    const r = await get('//hostname?a=1');
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/hostname?a=1');
    expect((await get('/x/../hostname')).headers.location).toBe('/hostname');
  });

  it('/shell runs the command with sh -c and answers output and error as JSON', async () => {
    const { get } = await netexec();
    expect(JSON.parse((await get(`/shell?cmd=${encodeURIComponent('echo hello; echo oops >&2')}`)).body)).toEqual({
      output: 'hello\noops\n',
    });
    const failed = await get(`/shell?shellCommand=${encodeURIComponent('echo partial; exit 3')}`);
    expect(failed.status).toBe(200);
    expect(failed.body).toBe('{"error":"exit status 3","output":"partial\\n"}');
    expect(JSON.parse((await get(`/shell?cmd=${encodeURIComponent('kill -9 $$')}`)).body)).toEqual({ error: 'signal: killed' });
    // encoding/json's HTML escaping.
    expect((await get(`/shell?cmd=${encodeURIComponent('printf "<&>"')}`)).body).toBe('{"output":"\\u003c\\u0026\\u003e"}');
  });

  it('/shell reports a shell that cannot start as Go exec does', async () => {
    const { get } = await netexec({ shell: '/nonexistent/sh' });
    expect(JSON.parse((await get('/shell?cmd=true')).body)).toEqual({ error: 'fork/exec /nonexistent/sh: no such file or directory' });
  });

  it('/upload writes the file (mode 0700) and answers 201 with its path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agnhost-upload-'));
    dirs.push(dir);
    const { get } = await netexec({ uploadDir: dir });
    const { body, contentType } = multipartBody('file', 'notes.txt', 'uploaded bytes');
    const r = await get('/upload', { method: 'POST', headers: { 'content-type': contentType }, body });
    expect(r.status).toBe(201);
    const { output } = JSON.parse(r.body);
    expect(output).toMatch(new RegExp(`^${dir}/upload\\d+$`));
    expect(readFileSync(output, 'utf8')).toBe('uploaded bytes');
    expect(statSync(output).mode & 0o777).toBe(0o700);
    const wrong = await get('/upload', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' });
    expect(wrong).toMatchObject({ status: 200, body: '{"error":"Unable to upload file."}' });
    const otherField = multipartBody('other', 'a.txt', 'x');
    expect(
      (await get('/upload', { method: 'POST', headers: { 'content-type': otherField.contentType }, body: otherField.body })).body,
    ).toBe('{"error":"Unable to upload file."}');
  });

  it('/upload into a directory it cannot create answers the open error', async () => {
    const { get } = await netexec({ uploadDir: '/nonexistent/agnhost/uploads' });
    const { body, contentType } = multipartBody('file', 'a.txt', 'x');
    expect((await get('/upload', { method: 'POST', headers: { 'content-type': contentType }, body })).body).toBe(
      '{"error":"Unable to open file for write"}',
    );
  });

  it('/exit?code=N exits at once with N, without an answer', async () => {
    const { get, f } = await netexec();
    await expect(get('/exit?code=3')).rejects.toThrow();
    expect(f.exits).toEqual([3]);
    expect(f.log()).toContain('Will begin shutdown in 0s, allowing 0s for connections to close, then will exit with 3');
  });

  it('/exit with a timeout answers, closes the server, then exits', async () => {
    const { get, f, server } = await netexec();
    expect(await get('/exit?code=5&timeout=10s')).toMatchObject({ status: 200, body: '' });
    expect(await f.exited()).toBe(5);
    expect(f.log()).toContain('Graceful shutdown completed with: <nil>');
    await expect(httpGet(`http://127.0.0.1:${server.httpPort}/`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('/exit explains bad parameters with 200 and does not exit', async () => {
    const { get, f } = await netexec();
    expect((await get('/exit?code=x')).body).toBe(`argument 'code' must be an integer [0-127] or empty, got "x"\n`);
    expect((await get('/exit?timeout=5')).body).toBe(`argument 'timeout' must be a valid golang duration or empty, got "5"\n`);
    expect((await get('/exit?wait=soon')).body).toBe(`argument 'wait' must be a valid golang duration or empty, got "soon"\n`);
    expect(f.exits).toEqual([]);
  });

  it('/shutdown exits 0', async () => {
    const { get, f } = await netexec();
    await expect(get('/shutdown')).rejects.toThrow();
    expect(f.exits).toEqual([0]);
  });

  it('--http-override serves every request as a GET of the override', async () => {
    const { get } = await netexec({ httpOverride: '/echo?msg=overridden' });
    expect((await get('/anything?msg=ignored', { method: 'POST' })).body).toBe('overridden');
    const ip = await netexec({ httpOverride: '/clientip' });
    // The override request is made in-process: it has no remote address.
    expect(await ip.get('/')).toMatchObject({ status: 200, body: '' });
  });

  it('serves HTTPS with --tls-cert-file/--tls-private-key-file, the image default names built in', async () => {
    const { server } = await netexec({ tlsCertFile: '/localhost.crt', tlsPrivateKeyFile: '/localhost.key' });
    const r = await httpGet(`https://127.0.0.1:${server.httpPort}/hostname`, { ca: localhostPair().cert });
    expect(r).toMatchObject({ status: 200, body: HOSTNAME });
  });

  it('fails to start as upstream does: a missing certificate, a port in use', async () => {
    await expect(
      startNetexec({ host: '127.0.0.1', httpPort: 0, udpPort: -1, tlsCertFile: '/nonexistent/tls.crt', runtime: fakeRuntime().rt }),
    ).rejects.toThrow('open /nonexistent/tls.crt: no such file or directory');
    const holder = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => holder.once('listening', r));
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(startNetexec({ host: '127.0.0.1', httpPort: port, udpPort: 0, runtime: fakeRuntime().rt })).rejects.toThrow(
        `listen tcp 127.0.0.1:${port}: bind: address already in use`,
      );
    } finally {
      holder.close();
    }
  });

  it('logs that SCTP is not served and goes on', async () => {
    const { f, get } = await netexec({ sctpPort: 9003 });
    expect(f.log()).toContain("SCTP is not supported by tinykube's built-in agnhost: not serving SCTP on port 9003");
    expect((await get('/hostname')).body).toBe(HOSTNAME);
  });
});

describe('netexec on SIGTERM', () => {
  it('exits 0 at once without --delay-shutdown', async () => {
    const { f } = await netexec();
    f.signals.emit('SIGTERM');
    expect(f.exits).toEqual([0]);
  });

  it('with --delay-shutdown keeps serving, /readyz 503 and /healthz 200, until the delay is over', async () => {
    const { f, get } = await netexec({ delayShutdownSeconds: 30 });
    f.signals.emit('SIGTERM');
    expect(f.log()).toContain('Sleeping 30 seconds before terminating...');
    expect(await get('/readyz')).toMatchObject({ status: 503, body: 'shutting down' });
    expect(await get('/healthz')).toMatchObject({ status: 200 });
    expect(f.exits).toEqual([]);
  });
});

describe('netexec UDP server', () => {
  it('answers hostname, echo (lower-cased, as upstream reads commands) and clientip', async () => {
    const { server, f } = await netexec();
    const port = server.udpPort!;
    expect(await udpAsk(port, 'hostname')).toBe(HOSTNAME);
    expect(await udpAsk(port, '  HOSTNAME\n')).toBe(HOSTNAME);
    expect(await udpAsk(port, 'echo Hello World')).toBe('hello world');
    expect(await udpAsk(port, 'clientip')).toMatch(/^127\.0\.0\.1:\d+$/);
    const long = 'n' + 'o'.repeat(1999);
    expect(await udpAsk(port, `echo ${long}`)).toBe(long);
    udpSend(port, 'bogus command');
    await until(() => f.log().includes('Unknown UDP command received from 127.0.0.1:'));
    expect(f.log()).toMatch(/Started UDP server on port 127\.0\.0\.1 \d+/);
  });

  it('--udp-listen-addresses: IP addresses, sorted and deduplicated; anything else refused', () => {
    expect(parseAddresses('127.0.0.2,127.0.0.1,127.000.0.1')).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(parseAddresses('::1')).toEqual(['::1']);
    expect(() => parseAddresses('127.0.0.1,localhost')).toThrow('parseAddress: invalid address localhost');
  });

  it('listens on each --udp-listen-addresses address', async () => {
    const { server } = await netexec({ udpListenAddresses: '127.0.0.1' });
    expect(await udpAsk(server.udpPort!, 'hostname')).toBe(HOSTNAME);
  });
});
