// Forwarding (src/dns/forward.ts) against a fake upstream on 127.0.0.1: UDP with TCP retry on
// truncation, failover, the TTL-honouring cache, coalescing, and never forwarding to ourselves.
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dgram from 'node:dgram';
import { Forwarder, parseUpstream, readResolvConf, withoutSelf, cacheTTL } from '../../src/dns/forward.js';
import { QueryHandler } from '../../src/dns/handler.js';
import { ClusterIndex } from '../../src/dns/cluster-index.js';
import { CLASS_IN, RCODE, TYPE, encodeQuery, parseMessage, type Message } from '../../src/dns/wire.js';
import { formatIP } from '../../src/dns/ip.js';
import { resolveConfig, OptionError } from '../../src/config/options.js';
import { startFakeUpstream, type FakeUpstream } from '../helpers/dns.js';

const A = (ip: string) => new Uint8Array(ip.split('.').map(Number));
let up: FakeUpstream;

beforeAll(async () => {
  up = await startFakeUpstream();
});
afterAll(async () => {
  await up.stop();
});
beforeEach(() => {
  up.queries = [];
  up.truncateUdp = false;
  up.silent = false;
  up.negativeTTL = 60;
  up.set([
    { name: 'example.com', type: TYPE.A, ttl: 120, data: A('192.0.2.1') },
    { name: 'short.example', type: TYPE.A, ttl: 2, data: A('192.0.2.2') },
    ...Array.from({ length: 100 }, (_, i) => ({ name: 'big.example', type: TYPE.A, ttl: 300, data: A(`192.0.2.${i + 1}`) })),
    { name: 'txtonly.example', type: TYPE.TXT, data: Buffer.from('\u0003abc') },
  ]);
});

const question = (name: string, type: number = TYPE.A) => ({ name, type, class: CLASS_IN });
const addrs = (m: Message | undefined) => (m?.answers ?? []).map((r) => formatIP(r.data as Uint8Array));

describe('Forwarder', () => {
  it('resolves over UDP and caches with the TTL aged', async () => {
    let now = 1_000_000;
    const f = new Forwarder({ upstreams: [up], now: () => now });
    const m = await f.resolve(question('example.com'));
    expect(addrs(m)).toEqual(['192.0.2.1']);
    expect(m!.answers[0]!.ttl).toBe(120);
    expect(up.queries).toEqual(['example.com 1 udp']);
    now += 30_500;
    const again = await f.resolve(question('EXAMPLE.com'));
    expect(again!.answers[0]!.ttl).toBe(90);
    expect(up.queries).toHaveLength(1);
    now += 90_000;
    await f.resolve(question('example.com'));
    expect(up.queries).toHaveLength(2);
    expect(f.stats.hits).toBe(1);
    f.close();
  });

  it('retries over TCP when the UDP answer is truncated', async () => {
    up.truncateUdp = true;
    const f = new Forwarder({ upstreams: [up] });
    const m = await f.resolve(question('big.example'));
    expect(m!.tc).toBe(false);
    expect(m!.answers).toHaveLength(100);
    expect(up.queries).toEqual(['big.example 1 udp', 'big.example 1 tcp']);
    f.close();
  });

  it('fails over to the next upstream on a timeout, and gives up after the last', async () => {
    const dead = dgram.createSocket('udp4');
    await new Promise<void>((r) => dead.bind(0, '127.0.0.1', r));
    const f = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: dead.address().port }, up], timeoutMs: 200 });
    const t0 = Date.now();
    expect(addrs(await f.resolve(question('example.com')))).toEqual(['192.0.2.1']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(180);
    up.silent = true;
    expect(await f.resolve(question('other.example'))).toBeUndefined();
    expect(f.stats.failures).toBe(1);
    f.close();
    dead.close();
  });

  it('caches denial for the SOA minimum and never caches errors', async () => {
    let now = 0;
    up.negativeTTL = 10;
    const f = new Forwarder({ upstreams: [up], now: () => now });
    const nx = await f.resolve(question('missing.example'));
    expect(nx!.rcode).toBe(RCODE.NXDOMAIN);
    expect(cacheTTL(nx!)).toBe(10);
    await f.resolve(question('missing.example'));
    expect(up.queries).toHaveLength(1);
    now += 11_000;
    await f.resolve(question('missing.example'));
    expect(up.queries).toHaveLength(2);
    // NODATA is cached like NXDOMAIN.
    const nodata = await f.resolve(question('txtonly.example', TYPE.A));
    expect([nodata!.rcode, nodata!.answers.length]).toEqual([0, 0]);
    expect(cacheTTL({ ...nodata!, rcode: RCODE.SERVFAIL })).toBe(0);
    f.close();
  });

  it('coalesces identical queries in flight', async () => {
    const f = new Forwarder({ upstreams: [up] });
    const [a, b] = await Promise.all([f.resolve(question('example.com')), f.resolve(question('example.com'))]);
    expect(addrs(a)).toEqual(addrs(b));
    expect(up.queries).toHaveLength(1);
    f.close();
  });
});

describe('upstream selection', () => {
  it('parses HOST:PORT, [V6]:PORT and bare addresses', () => {
    expect(parseUpstream('127.0.0.1:5353')).toEqual({ host: '127.0.0.1', port: 5353 });
    expect(parseUpstream('[::1]:53')).toEqual({ host: '::1', port: 53 });
    expect(parseUpstream('10.0.0.2')).toEqual({ host: '10.0.0.2', port: 53 });
    expect(parseUpstream('dns.example:53')).toBeUndefined();
    expect(parseUpstream('127.0.0.1:0')).toBeUndefined();
  });

  it('reads nameservers from resolv.conf (at most three)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinykube-dns-'));
    try {
      const p = join(dir, 'resolv.conf');
      writeFileSync(
        p,
        '# comment\nsearch example.org\nnameserver 127.0.0.53\nnameserver fe80::1%eth0\n  nameserver 10.0.0.2\nnameserver 10.0.0.3\noptions ndots:1\n',
      );
      expect(readResolvConf(p)).toEqual([
        { host: '127.0.0.53', port: 53 },
        { host: 'fe80::1', port: 53 },
        { host: '10.0.0.2', port: 53 },
      ]);
      expect(readResolvConf(join(dir, 'missing'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never forwards to this server', () => {
    const ups = [
      { host: '127.96.0.10', port: 53 },
      { host: '127.0.0.53', port: 53 },
      { host: '127.0.0.1', port: 5353 },
      { host: '10.255.255.53', port: 53 },
    ];
    expect(withoutSelf(ups, [{ host: '127.96.0.10', port: 53 }])).toEqual(ups.slice(1));
    expect(withoutSelf(ups, [{ host: '127.0.0.1', port: 5353 }])).toEqual([ups[0], ups[1], ups[3]]);
    // A wildcard listener on 53 is every local address at 53.
    expect(withoutSelf(ups, [{ host: '0.0.0.0', port: 53 }])).toEqual([ups[2], ups[3]]);
  });

  it('validates --dns-upstream and --dns-ttl', () => {
    expect(resolveConfig({ dnsUpstream: '127.0.0.1:5353, [::1]:53' }).dnsUpstream).toEqual(['127.0.0.1:5353', '[::1]:53']);
    expect(resolveConfig({ dnsUpstream: ['127.0.0.2:53'] }).dnsUpstream).toEqual(['127.0.0.2:53']);
    expect(resolveConfig({}).dnsUpstream).toBeUndefined();
    expect(resolveConfig({}).dnsTTL).toBe(5);
    expect(resolveConfig({ dnsTTL: 30 }).dnsTTL).toBe(30);
    expect(() => resolveConfig({ dnsUpstream: 'dns.google:53' })).toThrow(OptionError);
    expect(() => resolveConfig({ dnsUpstream: '0.0.0.0:53' })).toThrow(/--dns-upstream/);
    expect(() => resolveConfig({ dnsTTL: -1 })).toThrow(/--dns-ttl/);
    expect(() => resolveConfig({ dnsTTL: Number('x') })).toThrow(/--dns-ttl/);
  });
});

describe('forwarding through the handler', () => {
  const index = () => {
    const idx = new ClusterIndex();
    idx.upsert('namespaces', { metadata: { name: 'default' } });
    idx.upsert('services', {
      metadata: { namespace: 'default', name: 'ext' },
      spec: { type: 'ExternalName', externalName: 'example.com' },
    });
    return idx;
  };

  it('relays upstream answers without aa, truncating to the client size; TCP gets them all', async () => {
    const f = new Forwarder({ upstreams: [up] });
    const h = new QueryHandler({ index: index(), zone: { zone: 'cluster.local', ttl: 5, ownNets: [] }, forwarder: f });
    const udp = parseMessage((await h.handle(encodeQuery({ id: 11, name: 'Big.Example', type: TYPE.A }), 'udp'))!);
    expect([udp.id, udp.aa, udp.ra, udp.tc, udp.questions[0]!.name]).toEqual([11, false, true, true, 'Big.Example']);
    expect(udp.answers.length).toBeLessThan(100);
    const tcp = parseMessage((await h.handle(encodeQuery({ id: 12, name: 'big.example', type: TYPE.A }), 'tcp'))!);
    expect([tcp.tc, tcp.answers.length]).toEqual([false, 100]);
    const nx = parseMessage((await h.handle(encodeQuery({ id: 13, name: 'missing.example', type: TYPE.A, edns: {} }), 'udp'))!);
    expect([nx.rcode, nx.authority.length, nx.edns?.udpSize]).toEqual([RCODE.NXDOMAIN, 1, 1232]);
    f.close();
  });

  it('answers SERVFAIL when no upstream answers', async () => {
    up.silent = true;
    const f = new Forwarder({ upstreams: [up], timeoutMs: 100 });
    const h = new QueryHandler({ index: index(), zone: { zone: 'cluster.local', ttl: 5, ownNets: [] }, forwarder: f });
    const m = parseMessage((await h.handle(encodeQuery({ id: 14, name: 'example.net', type: TYPE.A }), 'udp'))!);
    expect(m.rcode).toBe(RCODE.SERVFAIL);
    const none = new QueryHandler({ index: index(), zone: { zone: 'cluster.local', ttl: 5, ownNets: [] } });
    expect(parseMessage((await none.handle(encodeQuery({ id: 15, name: 'example.net', type: TYPE.A }), 'udp'))!).rcode).toBe(
      RCODE.SERVFAIL,
    );
    f.close();
  });

  it('resolves an ExternalName target outside the zone upstream and appends it to the CNAME', async () => {
    const f = new Forwarder({ upstreams: [up] });
    const h = new QueryHandler({ index: index(), zone: { zone: 'cluster.local', ttl: 5, ownNets: [] }, forwarder: f });
    const m = parseMessage((await h.handle(encodeQuery({ id: 16, name: 'ext.default.svc.cluster.local', type: TYPE.A }), 'udp'))!);
    expect([m.rcode, m.aa]).toEqual([0, true]);
    expect(m.answers.map((r) => [r.name, r.type])).toEqual([
      ['ext.default.svc.cluster.local', TYPE.CNAME],
      ['example.com', TYPE.A],
    ]);
    f.close();
  });
});
