// startDnsServer on an in-memory store: ports, pipelined TCP, store changes answered at once,
// upstreams from resolv.conf without ourselves, bind failures, stop.
import { describe, it, expect, afterEach } from 'vitest';
import dgram from 'node:dgram';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Store } from '../../src/storage/store.js';
import { startDnsServer, canBindPrivileged, clusterFirstResolvConf, type DnsServer } from '../../src/dns/index.js';
import { resolveConfig } from '../../src/config/options.js';
import { silentLogger } from '../../src/base/log.js';
import { TYPE, encodeQuery, parseMessage } from '../../src/dns/wire.js';
import { formatIP } from '../../src/dns/ip.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import { startFakeUpstream, tcpExchange, udpExchange } from '../helpers/dns.js';
import { until } from '../helpers/wait.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function store(): Store {
  const s = new Store();
  s.txn((tx) => {
    for (const name of ['default', 'kube-system']) tx.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  });
  cleanup.push(() => s.close());
  return s;
}

const service = (name: string, ip: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'default', name },
  spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
});

async function start(
  s: Store,
  o: { cidr?: string; upstream?: string[]; resolvConf?: string; log?: pino.Logger; listen?: string } = {},
): Promise<DnsServer> {
  const config = resolveConfig({ dnsListen: o.listen ?? '127.0.0.1:0', serviceCIDR: o.cidr ?? '127.204.0.0/16' });
  const srv = await startDnsServer({ store: s, config, log: o.log ?? silentLogger(), upstream: o.upstream, resolvConfPath: o.resolvConf });
  cleanup.push(() => srv.stop());
  return srv;
}

const a = (name: string, id = 1) => encodeQuery({ id, name, type: TYPE.A });

describe('startDnsServer', () => {
  it('listens on one free port for UDP and TCP and answers pipelined TCP queries', async () => {
    const s = store();
    s.txn((tx) => tx.create('services', service('web', '127.204.3.3')));
    const srv = await start(s, { upstream: [] });
    expect(srv.udpPort).toBe(srv.tcpPort);
    expect(srv.addresses[0]).toBe(`127.0.0.1:${srv.udpPort}`);
    const replies = await tcpExchange(srv.tcpPort, [
      a('web.default.svc.cluster.local', 1),
      a('nope.default.svc.cluster.local', 2),
      a('web.default.svc.cluster.local', 3),
    ]);
    const ms = replies.map((r) => parseMessage(r)).sort((x, y) => x.id - y.id);
    expect(ms.map((m) => [m.id, m.rcode, m.answers.length])).toEqual([
      [1, 0, 1],
      [2, 3, 0],
      [3, 0, 1],
    ]);
  });

  it('answers a Service written to the store on the very next query, and forgets a deleted one', async () => {
    const s = store();
    const srv = await start(s, { upstream: [] });
    s.txn((tx) => tx.create('services', service('late', '127.204.4.4')));
    const m = parseMessage((await udpExchange(srv.udpPort, a('late.default.svc.cluster.local')))!);
    expect(m.answers.map((r) => formatIP(r.data as Uint8Array))).toEqual(['127.204.4.4']);
    s.txn((tx) => tx.delete('services', 'default', 'late'));
    expect(parseMessage((await udpExchange(srv.udpPort, a('late.default.svc.cluster.local')))!).rcode).toBe(3);
  });

  it('takes upstreams from resolv.conf and never its own addresses', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinykube-dns-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const resolvConf = join(dir, 'resolv.conf');
    // Our kube-dns address (bound when privileged) and a resolver that is not us.
    writeFileSync(resolvConf, 'nameserver 127.204.0.10\nnameserver 127.0.0.2\n');
    const s = store();
    const srv = await start(s, { resolvConf });
    if (srv.addresses.includes('127.204.0.10:53')) expect(srv.upstreams).toEqual(['127.0.0.2:53']);
    else expect(srv.upstreams).toEqual(['127.204.0.10:53', '127.0.0.2:53']);
    // An explicit upstream that is this very server is dropped too; another server on the same port is not us.
    const p = srv.udpPort;
    const other = await start(store(), {
      listen: `127.0.0.3:${p}`,
      cidr: '127.205.0.0/16',
      upstream: [`127.0.0.3:${p}`, `127.0.0.1:${p}`],
    });
    expect(other.upstreams).toEqual([`127.0.0.1:${p}`]);
  });

  it('logs, never fails, when the kube-dns ClusterIP cannot be bound', async () => {
    if (!canBindPrivileged()) return;
    const squatter = dgram.createSocket('udp4');
    await new Promise<void>((r) => squatter.bind(53, '127.206.0.10', r));
    cleanup.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const srv = await start(store(), { cidr: '127.206.0.0/16', upstream: [], log });
    expect(srv.addresses).toEqual([`127.0.0.1:${srv.udpPort}`]);
    expect(srv.clusterDNS.nameserver).toBeUndefined();
    expect(lines.join('')).toContain('not serving on the kube-dns ClusterIP');
  });

  it('serves on the kube-dns ClusterIP and names it for Pods when it may', async () => {
    if (!canBindPrivileged()) return;
    const srv = await start(store(), { cidr: '127.207.0.0/16', upstream: [] });
    expect(srv.addresses).toContain('127.207.0.10:53');
    expect(srv.clusterDNS).toEqual({ nameserver: '127.207.0.10', domain: 'cluster.local' });
    expect(clusterFirstResolvConf(srv.clusterDNS, 'team-a')).toBe(
      'search team-a.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.207.0.10\noptions ndots:5\n',
    );
    const m = parseMessage((await udpExchange(53, a('ns.dns.cluster.local'), 2000, '127.207.0.10'))!);
    expect(m.rcode).toBe(0);
  });

  it('fails clearly when --dns-listen is taken, and stops cleanly', async () => {
    const s = store();
    const first = await start(s, { upstream: [] });
    await expect(start(s, { listen: `127.0.0.1:${first.udpPort}`, upstream: [] })).rejects.toThrow(
      /cannot listen on 127\.0\.0\.1:\d+ for DNS: address already in use/,
    );
    await first.stop();
    expect(await udpExchange(first.udpPort, a('web.default.svc.cluster.local'), 300)).toBeUndefined();
    expect(clusterFirstResolvConf({ domain: 'cluster.local' }, 'x')).toBeUndefined();
  });

  it('stops cleanly with forwarded queries still waiting for the upstream', async () => {
    const up = await startFakeUpstream();
    cleanup.push(() => up.stop());
    up.silent = true;
    const srv = await start(store(), { upstream: [up.address] });
    const pending = udpExchange(srv.udpPort, a('example.org'), 500);
    const tcpPending = tcpExchange(srv.tcpPort, [a('example.net')], 1, 500);
    await until(() => up.queries.length >= 2, { what: 'both queries to reach the upstream' });
    await srv.stop();
    expect(await pending).toBeUndefined();
    expect(await tcpPending).toEqual([]);
  });

  it('falls back from a taken default address (a second cluster), and fails on a taken explicit one', async () => {
    const first = await start(store(), { listen: '127.209.0.10:0', cidr: '127.209.0.0/16' });
    const taken = `127.209.0.10:${first.udpPort}`;
    const config = resolveConfig({ dnsListen: taken, serviceCIDR: '127.209.0.0/16' });
    const lines: string[] = [];
    const log = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const second = await startDnsServer({ store: store(), config, log, upstream: [], fallbackListen: '127.209.0.10:0' });
    cleanup.push(() => second.stop());
    expect(second.udpPort).not.toBe(first.udpPort);
    expect(second.addresses[0]).toBe(`127.209.0.10:${second.udpPort}`);
    expect(lines.join('')).toContain('EADDRINUSE');
    await expect(startDnsServer({ store: store(), config, log, upstream: [] })).rejects.toThrow(
      `cannot listen on ${taken} for DNS: address already in use`,
    );
  });

  it('falls back to another address, with a warning, when not allowed to bind port 53', async () => {
    // The same code as an unprivileged process: in-process when we are not root, else as nobody.
    const src = fileURLToPath(new URL('../../src/', import.meta.url));
    const body = `
      const lines = [];
      const log = pino({ level: 'warn' }, { write: (l) => lines.push(l) });
      const store = { subscribe: () => () => {}, listObjects: () => [] };
      const config = resolveConfig({ dnsListen: '127.208.0.10:53', serviceCIDR: '127.208.0.0/16' });
      const out = { privileged: canBindPrivileged() };
      try {
        const s = await startDnsServer({ store, config, log, upstream: [], fallbackListen: '127.0.0.1:0' });
        Object.assign(out, { addresses: s.addresses, nameserver: s.clusterDNS.nameserver ?? null, warned: lines.join('').includes('fallback') });
        await s.stop();
      } catch (e) { out.error = e.message; }
      try { await startDnsServer({ store, config, log, upstream: [] }); out.noFallback = 'started'; } catch (e) { out.noFallback = e.message; }
      return out;`;
    let out: Record<string, unknown>;
    if (process.getuid?.() !== 0) {
      if (canBindPrivileged()) return; // nothing to fall back from here
      const { resolveConfig: rc } = await import('../../src/config/options.js');
      const fn = new Function('pino', 'resolveConfig', 'startDnsServer', 'canBindPrivileged', `return (async () => {${body}})();`);
      out = await fn(pino, rc, startDnsServer, canBindPrivileged);
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'tinykube-dns-'));
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      chmodSync(dir, 0o755);
      writeFileSync(
        join(dir, 'entry.ts'),
        `import pino from 'pino';
         import { startDnsServer, canBindPrivileged } from '${src}dns/index.js';
         import { resolveConfig } from '${src}config/options.js';
         (async () => {${body}})().then((o) => console.log(JSON.stringify(o)));`,
      );
      buildSync({
        entryPoints: [join(dir, 'entry.ts')],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile: join(dir, 'out.cjs'),
        external: ['pino', 'better-sqlite3'],
        logLevel: 'silent',
      });
      chmodSync(join(dir, 'out.cjs'), 0o644);
      const stdout = execFileSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, join(dir, 'out.cjs')], {
        env: { ...process.env, NODE_PATH: fileURLToPath(new URL('../../node_modules', import.meta.url)) },
        cwd: dir,
        timeout: 20_000,
      }).toString();
      out = JSON.parse(stdout.trim().split('\n').pop()!);
    }
    expect(out.privileged).toBe(false);
    expect(out.error).toBeUndefined();
    expect(out.addresses).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/)]);
    expect(out.nameserver).toBe(null);
    expect(out.warned).toBe(true);
    expect(out.noFallback).toMatch(/cannot listen on 127\.208\.0\.10:53 for DNS: permission denied/);
  });
});
