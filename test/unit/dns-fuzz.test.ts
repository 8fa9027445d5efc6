// Fuzzing the DNS server: thousands of random and mutated packets through the query handler (no
// throw, and either no reply or a well-formed reply with the query's id that fits the transport),
// then garbage over real UDP and TCP sockets, after which the server still answers.
import { describe, it, expect } from 'vitest';
import net from 'node:net';
import dgram from 'node:dgram';
import { QueryHandler } from '../../src/dns/handler.js';
import { ClusterIndex } from '../../src/dns/cluster-index.js';
import { parseByteCIDR, type ByteCIDR } from '../../src/dns/ip.js';
import { CLASS_IN, MAX_MESSAGE, TYPE, encodeQuery, parseMessage, type Message } from '../../src/dns/wire.js';
import { Store } from '../../src/storage/store.js';
import { startDnsServer } from '../../src/dns/index.js';
import { resolveConfig } from '../../src/config/options.js';
import { silentLogger } from '../../src/base/log.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import { tcpExchange, udpExchange } from '../helpers/dns.js';
import { until } from '../helpers/wait.js';

// A seeded generator: a failure names its seed and iteration, and reproduces.
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}

function index(): ClusterIndex {
  const idx = new ClusterIndex();
  idx.upsert('namespaces', { metadata: { name: 'default' } });
  idx.upsert('services', {
    metadata: { namespace: 'default', name: 'web' },
    spec: {
      type: 'ClusterIP',
      clusterIP: '127.96.5.5',
      clusterIPs: ['127.96.5.5', 'fd00:96::5'],
      ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    },
  });
  idx.upsert('services', {
    metadata: { namespace: 'default', name: 'db' },
    spec: { type: 'ClusterIP', clusterIP: 'None', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] },
  });
  idx.upsert('services', { metadata: { namespace: 'default', name: 'ext' }, spec: { type: 'ExternalName', externalName: 'example.com' } });
  idx.upsert('discovery.k8s.io/endpointslices', {
    metadata: { namespace: 'default', name: 'db-1', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4',
    endpoints: Array.from({ length: 200 }, (_, i) => ({
      addresses: [`127.244.${i >> 8}.${i & 255}`],
      hostname: i % 3 ? undefined : `db-${i}`,
      conditions: { ready: true },
    })),
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
  } as KubeObject);
  return idx;
}

// An upstream stand-in that answers at once: a record for some names, nothing for others.
const upstream = {
  resolve: async (q: { name: string; type: number }): Promise<Message | undefined> => {
    if (q.name.length % 3 === 0) return undefined;
    return {
      id: 0,
      qr: true,
      opcode: 0,
      aa: false,
      tc: false,
      rd: true,
      ra: true,
      ad: false,
      cd: false,
      rcode: 0,
      questions: [],
      answers: [{ name: q.name, type: TYPE.A, class: CLASS_IN, ttl: 30, data: new Uint8Array([192, 0, 2, 1]) }],
      authority: [],
      additional: [],
    };
  },
};

const NAMES = [
  'web.default.svc.cluster.local',
  'db.default.svc.cluster.local',
  '_pg._tcp.db.default.svc.cluster.local',
  'db-3.db.default.svc.cluster.local',
  'ext.default.svc.cluster.local',
  'cluster.local',
  'dns-version.cluster.local',
  '5.5.96.127.in-addr.arpa',
  '10-0-0-1.default.pod.cluster.local',
  'example.org',
];
const TYPES = [TYPE.A, TYPE.AAAA, TYPE.SRV, TYPE.PTR, TYPE.TXT, TYPE.SOA, TYPE.NS, TYPE.CNAME, TYPE.ANY, 99];

function seedPacket(r: ReturnType<typeof rng>): Buffer {
  const name = NAMES[r.int(NAMES.length)]!;
  const type = TYPES[r.int(TYPES.length)]!;
  const edns =
    r.next() < 0.6
      ? {
          udpSize: [0, 512, 1232, 4096, 65535][r.int(5)],
          do: r.next() < 0.3,
          options: r.next() < 0.5 ? [{ code: 10, data: r.bytes(8) }] : [],
        }
      : undefined;
  return encodeQuery({ id: r.int(0x10000), name, type, edns });
}

function mutate(r: ReturnType<typeof rng>, b: Buffer): Buffer {
  const out = Buffer.from(b);
  switch (r.int(6)) {
    case 0: // flip bits
      for (let i = 0, n = 1 + r.int(8); i < n; i++) out[r.int(out.length)]! ^= 1 << r.int(8);
      return out;
    case 1: // overwrite bytes
      for (let i = 0, n = 1 + r.int(6); i < n; i++) out[r.int(out.length)] = r.int(256);
      return out;
    case 2: // truncate
      return out.subarray(0, r.int(out.length));
    case 3: // extend
      return Buffer.concat([out, r.bytes(1 + r.int(40))]);
    case 4: // wild counts
      if (out.length >= 12) out.writeUInt16BE(r.int(0x10000), 4 + 2 * r.int(4));
      return out;
    default: {
      // a compression pointer somewhere
      const at = 12 + r.int(Math.max(1, out.length - 13));
      if (at + 1 < out.length) {
        out[at] = 0xc0 | r.int(0x40);
        out[at + 1] = r.int(256);
      }
      return out;
    }
  }
}

const seen = { replies: 0, answered: 0, formerr: 0 };

async function check(h: QueryHandler, buf: Buffer, transport: 'udp' | 'tcp', what: string): Promise<void> {
  let reply: Buffer | undefined;
  try {
    reply = await h.handle(buf, transport);
  } catch (e) {
    throw new Error(`${what}: handler threw ${(e as Error).message} for ${buf.toString('hex')}`);
  }
  if (buf.length < 12 || (buf[2]! & 0x80) !== 0) {
    expect(reply, `${what}: no reply expected`).toBeUndefined();
    return;
  }
  if (!reply) return;
  let m: Message;
  try {
    m = parseMessage(reply);
  } catch (e) {
    throw new Error(`${what}: malformed reply (${(e as Error).message}) to ${buf.toString('hex')}: ${reply.toString('hex')}`);
  }
  seen.replies++;
  if (m.rcode === 0 || m.rcode === 3) seen.answered++;
  if (m.rcode === 1) seen.formerr++;
  expect(m.qr, what).toBe(true);
  expect(m.id, what).toBe(buf.readUInt16BE(0));
  expect(reply.length, what).toBeLessThanOrEqual(transport === 'udp' ? 1232 : MAX_MESSAGE);
  if (transport === 'udp' && !m.edns) expect(reply.length, what).toBeLessThanOrEqual(512);
}

describe('fuzzed packets', () => {
  it('survives 4,000 random packets', async () => {
    const r = rng(1);
    const h = new QueryHandler({
      index: index(),
      zone: { zone: 'cluster.local', ttl: 5, ownNets: [parseByteCIDR('127.96.0.0/16') as ByteCIDR] },
      forwarder: upstream,
    });
    for (let i = 0; i < 4000; i++) {
      const len = r.next() < 0.2 ? r.int(12) : 12 + r.int(500);
      const buf = r.bytes(len);
      // Half of them look like queries, so they get past the header checks.
      if (len >= 12 && r.next() < 0.5) buf[2]! &= 0x7f;
      await check(h, buf, r.next() < 0.5 ? 'udp' : 'tcp', `random #${i}`);
    }
  });

  it('survives 6,000 mutated queries and still answers a clean one', async () => {
    seen.replies = seen.answered = seen.formerr = 0;
    const r = rng(2);
    const h = new QueryHandler({
      index: index(),
      zone: { zone: 'cluster.local', ttl: 5, ownNets: [parseByteCIDR('127.96.0.0/16') as ByteCIDR] },
      forwarder: upstream,
    });
    let answered = 0;
    for (let i = 0; i < 6000; i++) {
      let buf = seedPacket(r);
      for (let k = 0, n = 1 + r.int(3); k < n; k++) buf = mutate(r, buf);
      await check(h, buf, r.next() < 0.5 ? 'udp' : 'tcp', `mutated #${i}`);
      answered++;
    }
    expect(answered).toBe(6000);
    // The mutations reach every path: FORMERR, and real answers (authoritative and forwarded).
    expect(seen.formerr).toBeGreaterThan(500);
    expect(seen.answered).toBeGreaterThan(800);
    const m = parseMessage((await h.handle(encodeQuery({ id: 1, name: 'db.default.svc.cluster.local', type: TYPE.A }), 'tcp'))!);
    expect(m.answers).toHaveLength(200);
  });
});

describe('fuzzed sockets', () => {
  it('keeps serving after garbage over UDP and TCP', async () => {
    const store = new Store();
    store.txn((tx) => {
      tx.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
      tx.create('services', {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { namespace: 'default', name: 'web' },
        spec: { type: 'ClusterIP', clusterIP: '127.96.5.5', clusterIPs: ['127.96.5.5'], ports: [{ port: 80, protocol: 'TCP' }] },
      });
    });
    const config = resolveConfig({ dnsListen: '127.0.0.1:0', serviceCIDR: '127.203.0.0/16' });
    const server = await startDnsServer({ store, config, log: silentLogger(), upstream: [] });
    try {
      const r = rng(3);
      const sock = dgram.createSocket('udp4');
      let sent = 0;
      for (let i = 0; i < 500; i++) {
        let buf = r.next() < 0.5 ? r.bytes(r.int(300)) : mutate(r, seedPacket(r));
        if (buf.length === 0) buf = Buffer.from([0]);
        sock.send(buf, server.udpPort, '127.0.0.1', () => sent++);
      }
      // Every datagram handed to the kernel: the server reads them before the query below.
      await until(() => sent === 500);
      sock.close();
      // TCP: a bogus length that never completes, random frames, a half frame then close.
      const garbage = [Buffer.from([0xff, 0xff, 1, 2, 3]), Buffer.concat([Buffer.from([0, 40]), r.bytes(40)]), Buffer.from([0, 50, 1])];
      for (const g of garbage) {
        await new Promise<void>((res) => {
          const c = net.connect({ host: '127.0.0.1', port: server.tcpPort }, () => {
            c.write(g);
            setTimeout(() => {
              c.destroy();
              res();
            }, 20);
          });
          c.on('error', () => res());
        });
      }
      const q = encodeQuery({ id: 99, name: 'web.default.svc.cluster.local', type: TYPE.A });
      const u = parseMessage((await udpExchange(server.udpPort, q))!);
      expect([u.id, u.answers.length]).toEqual([99, 1]);
      const [t] = await tcpExchange(server.tcpPort, [q]);
      expect(parseMessage(t!).answers).toHaveLength(1);
    } finally {
      await server.stop();
      store.close();
    }
  });
});
