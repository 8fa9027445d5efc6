// DNS test helpers: records as text, a fake upstream resolver on loopback (tests never send DNS
// traffic anywhere but 127.0.0.0/8 or ::1), raw UDP/TCP exchanges, and a `dig` runner.
import dgram from 'node:dgram';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { formatIP } from '../../src/dns/ip.js';
import { encodeResponse, finalize, parseMessage, TYPE, CLASS_IN, RCODE, type RR, type Message } from '../../src/dns/wire.js';

const TYPE_NAMES: Record<number, string> = { 1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV' };

/** `name TTL TYPE rdata`, rdata as dig prints it (names without the trailing dot). */
export function rrText(r: RR, withTTL = true): string {
  const t = TYPE_NAMES[r.type] ?? `TYPE${r.type}`;
  let data: string;
  const d = r.data;
  if (d instanceof Uint8Array) {
    if (r.type === TYPE.A || r.type === TYPE.AAAA) data = formatIP(d);
    else if (r.type === TYPE.TXT) {
      const parts: string[] = [];
      for (let i = 0; i < d.length;) {
        const n = d[i]!;
        parts.push(`"${Buffer.from(d.subarray(i + 1, i + 1 + n)).toString()}"`);
        i += 1 + n;
      }
      data = parts.join(' ');
    } else data = Buffer.from(d).toString('hex');
  } else data = d.map((x) => (x instanceof Uint8Array ? Buffer.from(x).toString() : String(x))).join(' ');
  return withTTL ? `${r.name} ${r.ttl} ${t} ${data}` : `${r.name} ${t} ${data}`;
}

export interface FakeRecord {
  name: string;
  type: number;
  ttl?: number;
  data: RR['data'];
}

export interface FakeUpstream {
  host: string;
  port: number;
  address: string;
  /** Questions received (`name type transport`). */
  queries: string[];
  set(records: FakeRecord[]): void;
  /** Answer UDP queries with TC (empty answer), so clients must come back over TCP. */
  truncateUdp: boolean;
  /** Never answer (to exercise timeouts); questions are still recorded. */
  silent: boolean;
  /** Answer NXDOMAIN with this SOA for unknown names. */
  negativeTTL: number;
  stop(): Promise<void>;
}

/** A tiny authoritative server on 127.0.0.1 (UDP and TCP on one port) with the given records. */
export async function startFakeUpstream(records: FakeRecord[] = []): Promise<FakeUpstream> {
  let recs = records;
  let udp!: dgram.Socket;
  const conns = new Set<net.Socket>();
  const answer = (buf: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined => {
    let m: Message;
    try {
      m = parseMessage(buf);
    } catch {
      return undefined;
    }
    const q = m.questions[0]!;
    fake.queries.push(`${q.key} ${q.type} ${transport}`);
    if (fake.silent) return undefined;
    const ans = recs
      .filter((r) => r.name.toLowerCase() === q.key && (r.type === q.type || r.type === TYPE.CNAME))
      .map((r) => ({ name: q.name, type: r.type, class: CLASS_IN, ttl: r.ttl ?? 300, data: r.data }));
    const exists = recs.some((r) => r.name.toLowerCase() === q.key);
    const soa: RR = {
      name: 'example',
      type: TYPE.SOA,
      class: CLASS_IN,
      ttl: fake.negativeTTL,
      data: ['ns.example', 'hostmaster.example', 1, 7200, 1800, 86400, fake.negativeTTL],
    };
    const rcode = ans.length || exists ? RCODE.NOERROR : RCODE.NXDOMAIN;
    const enc = encodeResponse(
      { aa: true, ra: true, rcode },
      q,
      transport === 'udp' && fake.truncateUdp ? [] : ans,
      ans.length ? [] : [soa],
      [],
    );
    const out = finalize(enc, { id: m.id, rd: m.rd, cd: m.cd, edns: m.edns ? { do: m.edns.do } : undefined }, 65535);
    if (transport === 'udp' && fake.truncateUdp) out[2] |= 0x02;
    return out;
  };
  const tcp = net.createServer((sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => undefined);
    let data = Buffer.alloc(0);
    sock.on('data', (c: Buffer) => {
      data = Buffer.concat([data, c]);
      while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        const n = data.readUInt16BE(0);
        const r = answer(data.subarray(2, 2 + n), 'tcp');
        data = data.subarray(2 + n);
        if (r) {
          const len = Buffer.alloc(2);
          len.writeUInt16BE(r.length);
          sock.write(Buffer.concat([len, r]));
        }
      }
    });
  });
  // UDP on a free port, then TCP on the same number; another process may hold that TCP port:
  // then try another pair.
  let port = 0;
  for (let attempt = 0; ; attempt++) {
    const sock = dgram.createSocket('udp4');
    sock.on('message', (buf, rinfo) => {
      const r = answer(buf, 'udp');
      if (r) sock.send(r, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
    port = sock.address().port;
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, '127.0.0.1', () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      udp = sock;
      break;
    } catch (err) {
      sock.close();
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw err;
    }
  }
  const fake: FakeUpstream = {
    host: '127.0.0.1',
    port,
    address: `127.0.0.1:${port}`,
    queries: [],
    truncateUdp: false,
    silent: false,
    negativeTTL: 60,
    set: (r) => {
      recs = r;
    },
    stop: async () => {
      for (const c of conns) c.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
  return fake;
}

/** Sends one datagram to a loopback server and returns the first reply (or undefined after ms). */
export function udpExchange(port: number, msg: Buffer, ms = 2000, host = '127.0.0.1'): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const t = setTimeout(() => {
      s.close();
      resolve(undefined);
    }, ms);
    s.on('message', (b) => {
      clearTimeout(t);
      s.close();
      resolve(b);
    });
    s.send(msg, port, host);
  });
}

/** Sends length-prefixed messages over one TCP connection and collects `count` replies. */
export function tcpExchange(port: number, msgs: Buffer[], count = msgs.length, ms = 5000, host = '127.0.0.1'): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    const sock = net.connect({ host, port });
    let data = Buffer.alloc(0);
    const t = setTimeout(() => {
      sock.destroy();
      resolve(out);
    }, ms);
    sock.on('error', reject);
    sock.on('connect', () => {
      for (const m of msgs) {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(m.length);
        sock.write(Buffer.concat([len, m]));
      }
    });
    sock.on('data', (c: Buffer) => {
      data = Buffer.concat([data, c]);
      while (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        const n = data.readUInt16BE(0);
        out.push(Buffer.from(data.subarray(2, 2 + n)));
        data = data.subarray(2 + n);
      }
      if (out.length >= count) {
        clearTimeout(t);
        sock.destroy();
        resolve(out);
      }
    });
  });
}

/** Runs dig against a loopback server; never against the host's resolvers. */
export function dig(port: number, args: string[], host = '127.0.0.1'): Promise<string> {
  if (!host.startsWith('127.') && host !== '::1') throw new Error('dig: tests only query loopback');
  return new Promise((resolve, reject) => {
    execFile('dig', [`@${host}`, '-p', String(port), '+time=3', '+tries=1', ...args], { timeout: 15_000 }, (err, stdout, stderr) => {
      // dig exits 9 when no reply came; tests look at its output.
      if (err && err.code === 'ENOENT') return reject(new Error('dig is not installed: apt-get install -y dnsutils'));
      if (err && typeof err.code !== 'number') return reject(err);
      resolve(stdout + stderr);
    });
  });
}
