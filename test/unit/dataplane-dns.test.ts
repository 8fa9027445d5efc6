// The cluster DNS server on the data-plane thread (startDataPlane().startDns): the same options,
// results, errors and log records as startDnsServer on the main thread (test/unit/dns-server.test.ts),
// and a write to the store answered by the very next query.
import { describe, it, expect, afterEach } from 'vitest';
import pino from 'pino';
import { Store } from '../../src/storage/store.js';
import { startDataPlane, type DataPlane } from '../../src/dataplane/index.js';
import { LEVELS, relayLog, replayLog } from '../../src/dataplane/log-relay.js';
import type { DnsServer } from '../../src/dns/index.js';
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

function store(groupCommit = false): Store {
  const s = new Store({ groupCommit });
  s.txn((tx) => {
    for (const name of ['default', 'kube-system']) tx.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  });
  cleanup.push(() => s.close());
  return s;
}

function dataPlane(log: pino.Logger = silentLogger(), o: { source?: string; thread?: boolean } = {}): DataPlane {
  const dp = startDataPlane({ log, ...o });
  cleanup.push(() => dp.stop());
  return dp;
}

const service = (name: string, ip: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: 'default', name },
  spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
});

function capture(level: string) {
  const lines: string[] = [];
  return { lines, log: pino({ level }, { write: (l: string) => void lines.push(l) }) };
}

async function start(
  dp: DataPlane,
  s: Store,
  o: { listen?: string; cidr?: string; upstream?: string[]; log?: pino.Logger; fallback?: string } = {},
): Promise<DnsServer> {
  const config = resolveConfig({ dnsListen: o.listen ?? '127.0.0.1:0', serviceCIDR: o.cidr ?? '127.214.0.0/16' });
  const srv = await dp.startDns({ store: s, config, log: o.log ?? silentLogger(), upstream: o.upstream ?? [], fallbackListen: o.fallback });
  cleanup.push(() => srv.stop());
  return srv;
}

const a = (name: string, id = 1) => encodeQuery({ id, name, type: TYPE.A });

describe('DNS on the data-plane thread', () => {
  it('serves UDP and TCP on one port and answers every write to the store on the very next query', async () => {
    const dp = dataPlane();
    expect(dp.where).toBe('thread');
    const s = store();
    s.txn((tx) => tx.create('services', service('web', '127.214.3.3')));
    const srv = await start(dp, s);
    expect(srv.udpPort).toBe(srv.tcpPort);
    expect(srv.addresses[0]).toBe(`127.0.0.1:${srv.udpPort}`);
    const replies = await tcpExchange(srv.tcpPort, [a('web.default.svc.cluster.local', 1), a('nope.default.svc.cluster.local', 2)]);
    expect(replies.map((r) => parseMessage(r)).map((m) => [m.id, m.rcode, m.answers.length])).toEqual([
      [1, 0, 1],
      [2, 3, 0],
    ]);
    for (let i = 0; i < 20; i++) {
      const ip = `127.214.4.${i + 1}`;
      s.txn((tx) => tx.create('services', service(`late-${i}`, ip)));
      const m = parseMessage((await udpExchange(srv.udpPort, a(`late-${i}.default.svc.cluster.local`)))!);
      expect(m.answers.map((r) => formatIP(r.data as Uint8Array))).toEqual([ip]);
      s.txn((tx) => tx.delete('services', 'default', `late-${i}`));
      expect(parseMessage((await udpExchange(srv.udpPort, a(`late-${i}.default.svc.cluster.local`)))!).rcode).toBe(3);
    }
  });

  it('falls back from a taken address with the warning in the main logger, and fails on a taken explicit one as before', async () => {
    const dp = dataPlane();
    const first = await start(dp, store(), { listen: '127.219.0.10:0', cidr: '127.219.0.0/16' });
    const taken = `127.219.0.10:${first.udpPort}`;
    const { lines, log } = capture('warn');
    const second = await start(dataPlane(), store(), { listen: taken, cidr: '127.219.0.0/16', log, fallback: '127.219.0.10:0' });
    expect(second.udpPort).not.toBe(first.udpPort);
    expect(second.addresses[0]).toBe(`127.219.0.10:${second.udpPort}`);
    const warning = JSON.parse(lines.find((l) => l.includes('fallback'))!) as Record<string, unknown>;
    expect(warning).toMatchObject({ level: 40, reason: 'EADDRINUSE', wanted: taken, listening: second.addresses[0] });
    const err = (await start(dataPlane(), store(), { listen: taken, cidr: '127.219.0.0/16' }).catch(
      (e: unknown) => e,
    )) as NodeJS.ErrnoException & {
      flag?: string;
    };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe(`cannot listen on ${taken} for DNS: address already in use`);
    expect(err.code).toBe('EADDRINUSE');
    expect(err.flag).toBe('--dns-listen');
  });

  it("relays records at the level its logger writes, with the logger's bindings, errors as errors", async () => {
    const quiet = capture('info');
    const loud = capture('debug');
    // A port free for UDP and TCP now, listened on below and named as an upstream: the server
    // skips itself, with a debug record.
    const probe = await start(dataPlane(), store(), { cidr: '127.215.0.0/16' });
    const port = probe.udpPort;
    await probe.stop();
    const self = `127.0.0.1:${port}`;
    for (const [who, cidr] of [
      [quiet, '127.216.0.0/16'],
      [loud, '127.217.0.0/16'],
    ] as const) {
      const srv = await start(dataPlane(who.log), store(), {
        listen: self,
        cidr,
        log: who.log.child({ component: 'dns' }),
        upstream: [self],
      });
      expect(srv.upstreams).toEqual([]);
      await srv.stop();
    }
    const skipped = loud.lines.find((x) => x.includes('dns: skipped upstreams that are this server'));
    expect(JSON.parse(skipped!)).toMatchObject({ level: 20, component: 'dns', skipped: [self] });
    const serving = JSON.parse(quiet.lines.find((x) => x.includes('dns: serving'))!) as Record<string, unknown>;
    expect(serving).toMatchObject({ level: 30, component: 'dns', addresses: expect.arrayContaining([self]), upstreams: [] });
    expect(quiet.lines.some((x) => x.includes('"level":20'))).toBe(false);
    // An Error in a record arrives as one: pino prints its type, message, stack and code.
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (l: string) => void lines.push(l) });
    const relayed = relayLog((r) => replayLog(log, structuredClone(r)), 'dns', LEVELS.debug);
    relayed.warn({ err: Object.assign(new Error('bind failed'), { code: 'EADDRINUSE' }), address: self }, 'dns: a warning');
    relayed.error('dns: plain text');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      {
        level: 40,
        msg: 'dns: a warning',
        address: self,
        err: { type: 'Error', message: 'bind failed', code: 'EADDRINUSE', stack: expect.stringContaining('bind failed') },
      },
      { level: 50, msg: 'dns: plain text' },
    ]);
  });

  it('stops with forwarded queries waiting, and then the thread', async () => {
    const up = await startFakeUpstream();
    cleanup.push(() => up.stop());
    up.silent = true;
    const dp = dataPlane();
    const srv = await start(dp, store(), { cidr: '127.217.0.0/16', upstream: [up.address] });
    const pending = udpExchange(srv.udpPort, a('example.org'), 500);
    await until(() => up.queries.length >= 1, { what: 'the query to reach the upstream' });
    await srv.stop();
    expect(await pending).toBeUndefined();
    expect(await udpExchange(srv.udpPort, a('web.default.svc.cluster.local'), 300)).toBeUndefined();
    await dp.stop();
  });

  it('runs on the main thread when asked to, or when the thread cannot start', async () => {
    const s = store();
    s.txn((tx) => tx.create('services', service('web', '127.214.3.3')));
    const main = dataPlane(silentLogger(), { thread: false });
    expect(main.where).toBe('main');
    const { lines, log } = capture('warn');
    const broken = dataPlane(log, { source: 'throw new Error("no data plane here")' });
    for (const [i, dp] of [main, broken].entries()) {
      const srv = await start(dp, s, { cidr: `127.${218 + i * 2}.0.0/16` });
      expect(parseMessage((await udpExchange(srv.udpPort, a('web.default.svc.cluster.local')))!).answers).toHaveLength(1);
    }
    expect(broken.where).toBe('main');
    expect(lines.join('')).toContain('no data plane here');
  });
});
