// Forwarding of names outside the cluster zone to upstream resolvers (CoreDNS `forward .
// /etc/resolv.conf` + `cache`): UDP first, the same upstream over TCP when the answer comes back
// truncated, the next upstream on a timeout or error, identical queries in flight coalesced, and
// a small cache that honours TTLs (success up to 1 h, denial up to 30 min from the SOA, errors
// never), as CoreDNS's cache plugin.
import dgram from 'node:dgram';
import net from 'node:net';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { ComponentLog } from '../base/log.js';
import { asciiLower, encodeQuery, parseMessage, RCODE, TYPE, EDNS_UDP_SIZE, type Message, type Question, type RR } from './wire.js';

export interface Upstream {
  host: string;
  port: number;
}

export const upstreamText = (u: Upstream) => (u.host.includes(':') ? `[${u.host}]:${u.port}` : `${u.host}:${u.port}`);

/** `HOST:PORT`, `[V6]:PORT` or a bare address (port 53). */
export function parseUpstream(text: string): Upstream | undefined {
  const t = text.trim();
  if (net.isIP(t)) return { host: t, port: 53 };
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):(\d{1,5})$/.exec(t);
  if (!m) return undefined;
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (!net.isIP(host) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/** The `nameserver` lines of a resolv.conf (port 53), at most three as glibc reads them. */
export function readResolvConf(path = '/etc/resolv.conf'): Upstream[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const out: Upstream[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (!m) continue;
    const host = m[1]!.replace(/%.*$/, '');
    if (net.isIP(host)) out.push({ host, port: 53 });
  }
  return out.slice(0, 3);
}

function isWildcard(h: string): boolean {
  return h === '0.0.0.0' || h === '::' || h === '';
}

function localAddresses(): Set<string> {
  const s = new Set<string>(['127.0.0.1', '::1']);
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) s.add(a.address);
  return s;
}

/**
 * Upstreams that are not this server: an upstream on one of our listening addresses (or, when we
 * listen on a wildcard, on loopback or a local interface) at one of our ports would loop.
 */
export function withoutSelf(ups: Upstream[], own: Upstream[]): Upstream[] {
  let local: Set<string> | undefined;
  return ups.filter(
    (u) =>
      !own.some((o) => {
        if (o.port !== u.port) return false;
        if (o.host === u.host) return true;
        if (!isWildcard(o.host)) return false;
        if (o.host === '0.0.0.0' && u.host.includes(':')) return false;
        local ??= localAddresses();
        return u.host.startsWith('127.') || local.has(u.host);
      }),
  );
}

export interface ForwardOptions {
  upstreams: Upstream[];
  /** Per upstream and attempt (default 2 s, CoreDNS forward's read timeout). */
  timeoutMs?: number;
  /** Cache entries (default 10,000, CoreDNS cache's capacity). */
  cacheSize?: number;
  log?: ComponentLog;
  now?: () => number;
}

interface Entry {
  msg: Message;
  stored: number;
  expires: number;
  bytes: number;
}

/** Upstream exchanges at once; more get no answer (SERVFAIL) instead of more sockets. */
const MAX_INFLIGHT = 1024;
const CACHE_BYTES = 32 << 20;

const MAX_SUCCESS_TTL = 3600;
const MAX_DENIAL_TTL = 1800;

export class Forwarder {
  readonly upstreams: Upstream[];
  private readonly timeoutMs: number;
  private readonly cacheSize: number;
  private readonly cache = new Map<string, Entry>();
  private cacheBytes = 0;
  private readonly inflight = new Map<string, Promise<Message | undefined>>();
  private readonly open = new Set<{ close(): void }>();
  private readonly now: () => number;
  private closed = false;
  /** Counters for tests and debugging. */
  readonly stats = { queries: 0, hits: 0, upstream: 0, tcp: 0, failures: 0 };

  constructor(private readonly o: ForwardOptions) {
    this.upstreams = o.upstreams;
    this.timeoutMs = o.timeoutMs ?? 2000;
    this.cacheSize = o.cacheSize ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /**
   * The upstream answer for a question (TTLs aged when served from the cache), or undefined when
   * no upstream answered.
   */
  resolve(q: Pick<Question, 'name' | 'type' | 'class'>, o: { do?: boolean } = {}): Promise<Message | undefined> {
    this.stats.queries++;
    const name = asciiLower(q.name);
    const key = `${name}|${q.type}|${q.class}|${o.do ? 1 : 0}`;
    const hit = this.cache.get(key);
    if (hit) {
      if (hit.expires > this.now()) {
        this.stats.hits++;
        this.cache.delete(key);
        this.cache.set(key, hit); // most recently used last
        return Promise.resolve(aged(hit, this.now()));
      }
      this.drop(key);
    }
    let p = this.inflight.get(key);
    if (!p) {
      if (this.inflight.size >= MAX_INFLIGHT) {
        this.stats.failures++;
        return Promise.resolve(undefined);
      }
      p = this.exchange(name, q.type, q.class, !!o.do)
        .then((r) => {
          if (r) this.store(key, r.msg, r.bytes);
          return r?.msg;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  close(): void {
    this.closed = true;
    for (const s of this.open) s.close();
    this.open.clear();
  }

  private store(key: string, m: Message, bytes: number): void {
    const ttl = cacheTTL(m);
    if (ttl <= 0) return;
    const now = this.now();
    this.drop(key);
    this.cache.set(key, { msg: m, stored: now, expires: now + ttl * 1000, bytes });
    this.cacheBytes += bytes;
    while (this.cache.size > this.cacheSize || this.cacheBytes > CACHE_BYTES) this.drop(this.cache.keys().next().value!);
  }

  private drop(key: string): void {
    const e = this.cache.get(key);
    if (!e) return;
    this.cacheBytes -= e.bytes;
    this.cache.delete(key);
  }

  private async exchange(
    name: string,
    type: number,
    klass: number,
    dnssecOk: boolean,
  ): Promise<{ msg: Message; bytes: number } | undefined> {
    let last: { msg: Message; bytes: number } | undefined;
    for (const up of this.upstreams) {
      if (this.closed) return undefined;
      const id = randomInt(0x10000);
      const query = encodeQuery({ id, name, type, class: klass, rd: true, edns: { udpSize: EDNS_UDP_SIZE, do: dnssecOk } });
      const accept = (buf: Buffer): { msg: Message; bytes: number } | undefined => {
        try {
          const m = parseMessage(buf);
          const mq = m.questions[0];
          if (m.id !== id || !m.qr || m.questions.length !== 1 || !mq || mq.key !== name || mq.type !== type || mq.class !== klass)
            return undefined;
          return { msg: m, bytes: buf.length };
        } catch {
          return undefined;
        }
      };
      try {
        this.stats.upstream++;
        let r = await this.udp(up, query, accept);
        if (r?.msg.tc) {
          this.stats.tcp++;
          r = (await this.tcp(up, query, accept).catch(() => undefined)) ?? r;
        }
        if (!r) continue;
        // A broken or refusing upstream: try the next one, answer with this if none does better.
        const rc = r.msg.rcode;
        if (rc === RCODE.SERVFAIL || rc === RCODE.REFUSED || rc === RCODE.FORMERR) {
          last = r;
          continue;
        }
        return r;
      } catch (err) {
        this.o.log?.debug({ err, upstream: upstreamText(up) }, 'dns: upstream failed');
      }
    }
    if (!last) this.stats.failures++;
    return last;
  }

  private udp<T>(up: Upstream, query: Buffer, accept: (b: Buffer) => T | undefined): Promise<T | undefined> {
    return new Promise((resolve) => {
      const sock = dgram.createSocket(up.host.includes(':') ? 'udp6' : 'udp4');
      let done = false;
      const handle = {
        close: () => finish(undefined),
      };
      const finish = (m: T | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.open.delete(handle);
        try {
          sock.close();
        } catch {
          /* already closed */
        }
        resolve(m);
      };
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      this.open.add(handle);
      sock.on('error', () => finish(undefined));
      // Wrong ids or questions (late answers, spoofing attempts) are ignored; the timer still runs.
      sock.on('message', (buf) => {
        const m = accept(buf);
        if (m) finish(m);
      });
      // connect(): the kernel then drops datagrams from any other address and port.
      sock.connect(up.port, up.host, (err?: Error) => {
        if (err || done) return finish(undefined);
        sock.send(query, (e) => {
          if (e) finish(undefined);
        });
      });
    });
  }

  private tcp<T>(up: Upstream, query: Buffer, accept: (b: Buffer) => T | undefined): Promise<T | undefined> {
    return new Promise((resolve) => {
      const sock = net.connect({ host: up.host, port: up.port });
      let done = false;
      let data: Buffer = Buffer.alloc(0);
      const handle = { close: () => finish(undefined) };
      const finish = (m: T | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.open.delete(handle);
        sock.destroy();
        resolve(m);
      };
      const timer = setTimeout(() => finish(undefined), this.timeoutMs);
      this.open.add(handle);
      sock.on('error', () => finish(undefined));
      sock.on('close', () => finish(undefined));
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(query.length);
        sock.write(Buffer.concat([len, query]));
      });
      sock.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        while (data.length >= 2) {
          const n = data.readUInt16BE(0);
          if (data.length < 2 + n) return;
          const m = accept(data.subarray(2, 2 + n));
          data = data.subarray(2 + n);
          if (m) return finish(m);
        }
      });
    });
  }
}

/** Seconds to cache an upstream answer (0 = not at all), as CoreDNS's cache plugin decides. */
export function cacheTTL(m: Message): number {
  if (m.tc) return 0;
  const rrs = [...m.answers, ...m.authority, ...m.additional];
  if (m.rcode === RCODE.NOERROR && m.answers.length) {
    let min = MAX_SUCCESS_TTL;
    for (const r of rrs) min = Math.min(min, r.ttl);
    return min;
  }
  if (m.rcode === RCODE.NXDOMAIN || (m.rcode === RCODE.NOERROR && !m.answers.length)) {
    // RFC 2308 5: the SOA's TTL, capped by its MINIMUM field.
    const soa = m.authority.find((r) => r.type === TYPE.SOA);
    if (!soa || soa.data instanceof Uint8Array) return 0;
    return Math.min(soa.ttl, soa.data[6] as number, MAX_DENIAL_TTL);
  }
  return 0;
}

function aged(e: Entry, now: number): Message {
  const dec = Math.floor((now - e.stored) / 1000);
  const age = (rs: RR[]) => rs.map((r) => ({ ...r, ttl: Math.max(0, r.ttl - dec) }));
  return { ...e.msg, answers: age(e.msg.answers), authority: age(e.msg.authority), additional: age(e.msg.additional) };
}
