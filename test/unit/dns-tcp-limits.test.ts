// DNS over TCP under connection pressure: a message must arrive whole within its deadline
// (CoreDNS's read and idle timeouts, applied per message as miekg/dns does), and when every slot
// is taken a newcomer evicts the connection idle longest instead of being refused.
import { describe, it, expect, afterEach } from 'vitest';
import net from 'node:net';
import { Store } from '../../src/storage/store.js';
import { startDnsServer, type DnsServer, type TcpLimits } from '../../src/dns/index.js';
import { resolveConfig } from '../../src/config/options.js';
import { silentLogger } from '../../src/base/log.js';
import { TYPE, encodeQuery, parseMessage } from '../../src/dns/wire.js';
import { dig, tcpExchange } from '../helpers/dns.js';
import { until } from '../helpers/wait.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function start(tcp: Partial<TcpLimits>): Promise<DnsServer> {
  const s = new Store();
  s.txn((tx) => {
    for (const name of ['default', 'kube-system']) tx.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    tx.create('services', {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { namespace: 'default', name: 'web' },
      spec: {
        type: 'ClusterIP',
        clusterIP: '127.205.3.3',
        clusterIPs: ['127.205.3.3'],
        ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
      },
    });
  });
  cleanup.push(() => s.close());
  const config = resolveConfig({ dnsListen: '127.0.0.1:0', serviceCIDR: '127.205.0.0/16' });
  const srv = await startDnsServer({ store: s, config, log: silentLogger(), upstream: [], tcp });
  cleanup.push(() => srv.stop());
  return srv;
}

/** A connection that sent the first byte of a length prefix and then nothing. */
function stalled(port: number): Promise<{ sock: net.Socket; closed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const sock = net.connect({ host: '127.0.0.1', port }, () => {
      sock.write(Buffer.from([0]));
      resolve({ sock, closed: () => closed });
    });
    sock.on('error', () => undefined);
    sock.on('close', () => (closed = true));
    sock.once('error', reject);
    cleanup.push(() => void sock.destroy());
  });
}

describe('DNS over TCP', () => {
  it('answers dig +tcp while 1,030 stalled connections hold every slot', async () => {
    // Long deadlines: what frees a slot here is the eviction, not a timeout.
    const srv = await start({ readTimeoutMs: 120_000, idleTimeoutMs: 120_000 });
    const conns: Awaited<ReturnType<typeof stalled>>[] = [];
    for (let i = 0; i < 1030; i += 50)
      conns.push(...(await Promise.all(Array.from({ length: Math.min(50, 1030 - i) }, () => stalled(srv.tcpPort)))));
    // Every slot is taken (the last six evicted the six oldest).
    await until(async () => conns.filter((c) => c.closed()).length >= 6);
    const out = await dig(srv.tcpPort, ['+tcp', 'web.default.svc.cluster.local', 'A']);
    expect(out).toContain('status: NOERROR');
    expect(out).toMatch(/web\.default\.svc\.cluster\.local\.\s+\d+\s+IN\s+A\s+127\.205\.3\.3/);
    // The oldest stalled connections made room; the newest are still open.
    expect(conns[0]!.closed()).toBe(true);
    expect(conns[conns.length - 1]!.closed()).toBe(false);
  });

  it('closes a connection that trickles a message past its read deadline', async () => {
    const srv = await start({ readTimeoutMs: 300, idleTimeoutMs: 300 });
    const c = await stalled(srv.tcpPort);
    // One more byte now and then: activity, but never a whole message.
    const query = encodeQuery({ id: 7, name: 'web.default.svc.cluster.local', type: TYPE.A });
    const trickle = Buffer.concat([Buffer.from([query.length & 0xff]), query]);
    let i = 0;
    const t = setInterval(() => {
      if (!c.closed()) c.sock.write(trickle.subarray(i % trickle.length, (i++ % trickle.length) + 1));
    }, 40);
    cleanup.push(() => clearInterval(t));
    await until(async () => c.closed());
    // A client that sends its query at once is answered, and its idle connection closes later.
    const [reply] = await tcpExchange(srv.tcpPort, [query]);
    expect(parseMessage(reply!).answers.length).toBe(1);
  });
});
