// porter: a server per SERVE_PORT_<N> / SERVE_TLS_PORT_<N> variable answering its value (or
// {"Method","Body"} with --json-response), and the log lines of those it cannot serve.
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPorter, type PorterServer } from '../../src/agnhost/porter.js';
import { localhostPair } from '../../src/agnhost/tls.js';
import { fakeRuntime, httpGet } from './helpers.js';

const running: PorterServer[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function porter(env: Record<string, string>, jsonResponse = false) {
  const f = fakeRuntime(env);
  const p = await startPorter({ host: '127.0.0.1', jsonResponse, runtime: f.rt });
  running.push(p);
  const port = (variable: string) => p.servers.find((s) => s.variable === variable)!.port;
  return { p, f, port };
}

describe('porter', () => {
  it('serves each SERVE_PORT_ value over HTTP, and SERVE_TLS_PORT_ over HTTPS with the built-in localhost certificate', async () => {
    const { port } = await porter({ SERVE_PORT_0: 'foo', SERVE_TLS_PORT_0: '<a href="/tlsrewriteme">test</a>', OTHER: 'x' });
    const plain = await httpGet(`http://127.0.0.1:${port('SERVE_PORT_0')}/any?thing`);
    expect(plain).toMatchObject({ status: 200, body: 'foo' });
    expect(plain.headers['content-type']).toBe('text/plain; charset=utf-8');
    const tls = await httpGet(`https://127.0.0.1:${port('SERVE_TLS_PORT_0')}/`, { ca: localhostPair().cert });
    expect(tls).toMatchObject({ status: 200, body: '<a href="/tlsrewriteme">test</a>' });
    expect(tls.headers['content-type']).toBe('text/html; charset=utf-8');
  });

  it('--json-response answers {"Method","Body"} as JSON', async () => {
    const { port } = await porter({ SERVE_PORT_0: 'a<b' }, true);
    const r = await httpGet(`http://127.0.0.1:${port('SERVE_PORT_0')}/`, { method: 'POST' });
    expect(r.body).toBe('{"Method":"POST","Body":"a\\u003cb"}');
    expect(r.headers['content-type']).toBe('application/json');
  });

  it('uses CERT_FILE and KEY_FILE', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'agnhost-porter-'));
    dirs.push(dir);
    const { cert, key } = localhostPair();
    writeFileSync(join(dir, 'tls.crt'), cert);
    writeFileSync(join(dir, 'tls.key'), key);
    const { port } = await porter({ SERVE_TLS_PORT_0: 'tls baz', CERT_FILE: join(dir, 'tls.crt'), KEY_FILE: join(dir, 'tls.key') });
    expect((await httpGet(`https://127.0.0.1:${port('SERVE_TLS_PORT_0')}/`, { ca: cert })).body).toBe('tls baz');
  });

  it('logs what it cannot serve, and serves the rest', async () => {
    const { f, p, port } = await porter({
      SERVE_PORT_0: 'ok',
      SERVE_PORT_notaservice: 'x',
      SERVE_PORT_70000: 'x',
      SERVE_SCTP_PORT_9003: 'x',
      SERVE_TLS_PORT_0: 'x',
      CERT_FILE: '/nonexistent/cert.pem',
    });
    expect(p.servers.map((s) => s.variable)).toEqual(['SERVE_PORT_0']);
    expect((await httpGet(`http://127.0.0.1:${port('SERVE_PORT_0')}/`)).body).toBe('ok');
    const log = f.log();
    expect(log).toContain('server on port "notaservice" failed: listen tcp: lookup tcp/notaservice: unknown port\n');
    expect(log).toContain('server on port "70000" failed: listen tcp: address 70000: invalid port\n');
    expect(log).toContain("SCTP is not supported by tinykube's built-in agnhost: not serving SERVE_SCTP_PORT_9003\n");
    expect(log).toContain(
      'tls server on port "0" with certFile="/nonexistent/cert.pem", keyFile="localhost.key" failed: open /nonexistent/cert.pem: no such file or directory\n',
    );
  });
});

describe('the built-in localhost certificate', () => {
  it('is a self-signed CA for 127.0.0.1, ::1, example.com and localhost, valid until 2084', () => {
    const { cert } = localhostPair();
    const x = new X509Certificate(cert);
    expect(x.ca).toBe(true);
    expect(x.checkIssued(x)).toBe(true);
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.subjectAltName).toBe('IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:example.com, DNS:localhost');
    expect(new Date(x.validTo).getUTCFullYear()).toBe(2084);
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });
});
