// serve-hostname over HTTP, raw TCP and UDP on 127.0.0.1, its refusal of HTTP with TCP/UDP, and
// its minute of serving after SIGTERM.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startServeHostname, type ServeHostnameOptions, type ServeHostnameServer } from '../../src/agnhost/serve-hostname.js';
import { fakeRuntime, HOSTNAME, httpGet, udpAsk, type FakeRuntime } from './helpers.js';

const running: ServeHostnameServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function serve(o: Partial<ServeHostnameOptions>, f: FakeRuntime = fakeRuntime()) {
  const s = await startServeHostname({ host: '127.0.0.1', port: 0, runtime: f.rt, ...o });
  running.push(s);
  return s;
}

/** Connects, reads until the server closes, returns what it sent. */
function tcpRead(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(port, '127.0.0.1');
    s.on('data', (c) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString()));
    s.on('error', reject);
  });
}

describe('serve-hostname', () => {
  it('serves the hostname over HTTP on any path by default', async () => {
    const f = fakeRuntime();
    const s = await serve({}, f);
    const r = await httpGet(`http://127.0.0.1:${s.port}/any/path`, { headers: { connection: 'keep-alive' } });
    expect(r).toMatchObject({ status: 200, body: HOSTNAME });
    expect(r.headers.connection).not.toBe('close');
    expect(f.log()).toMatch(/HTTP request from 127\.0\.0\.1:\d+/);
    expect(f.log()).toContain('Serving on port 0.');
  });

  it('--close answers with Connection: close', async () => {
    const s = await serve({ close: true });
    expect((await httpGet(`http://127.0.0.1:${s.port}/`, { headers: { connection: 'keep-alive' } })).headers.connection).toBe('close');
  });

  it('--tcp --http=false writes the hostname and closes', async () => {
    const f = fakeRuntime();
    const s = await serve({ tcp: true, http: false }, f);
    expect(await tcpRead(s.port!)).toBe(HOSTNAME);
    expect(f.log()).toMatch(/TCP request from 127\.0\.0\.1:\d+/);
  });

  it('--udp --http=false answers each datagram with the hostname', async () => {
    const f = fakeRuntime();
    const s = await serve({ udp: true, http: false }, f);
    expect(await udpAsk(s.udpPort!, 'anything at all, more than sixteen bytes')).toBe(HOSTNAME);
    expect(f.log()).toMatch(/UDP request from 127\.0\.0\.1:\d+/);
  });

  it('serves TCP and UDP together', async () => {
    const s = await serve({ tcp: true, udp: true, http: false });
    expect(await tcpRead(s.port!)).toBe(HOSTNAME);
    expect(await udpAsk(s.udpPort!, 'x')).toBe(HOSTNAME);
  });

  it('refuses HTTP together with TCP or UDP (HTTP is on by default)', async () => {
    await expect(serve({ udp: true })).rejects.toThrow("Can't serve TCP/UDP mode and HTTP mode at the same time");
    await expect(serve({ tcp: true, http: true })).rejects.toThrow("Can't serve TCP/UDP mode and HTTP mode at the same time");
  });

  it('keeps serving after SIGTERM, then exits 0', async () => {
    const f = fakeRuntime();
    const s = await serve({ awaitDeletionMs: 200 }, f);
    f.signals.emit('SIGTERM');
    expect(f.log()).toContain('Shutting down after receiving signal: terminated.\n');
    expect(f.log()).toContain('Awaiting pod deletion.\n');
    expect((await httpGet(`http://127.0.0.1:${s.port}/`)).body).toBe(HOSTNAME);
    expect(await f.exited()).toBe(0);
  });
});
