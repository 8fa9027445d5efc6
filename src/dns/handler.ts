// One DNS query in, one reply (or none) out, independent of the transport. Authoritative answers
// are encoded once per name and type and kept until a store change touches what they were built
// from (ClusterIndex generations), so a repeated query costs a map lookup and a copy; names
// outside the zone go to the forwarder.
//
// Malformed input never throws out of here: a message too short for a header, or one that is a
// response itself, is dropped; anything else malformed gets FORMERR (with the question when it
// could be read); an unexpected internal error becomes SERVFAIL.
import type { ComponentLog } from '../base/log.js';
import {
  CLASS_ANY,
  CLASS_IN,
  FormatError,
  MAX_MESSAGE,
  RCODE,
  TYPE,
  encodeResponse,
  errorReply,
  finalize,
  parseMessage,
  peekHeader,
  udpLimit,
  type Encoded,
  type Message,
  type Question,
  type ReplyTo,
} from './wire.js';
import { buildAnswer, type Answer, type ZoneConfig } from './records.js';
import type { IndexView } from './cluster-index.js';

export interface Resolver {
  resolve(q: Pick<Question, 'name' | 'type' | 'class'>, o?: { do?: boolean }): Promise<Message | undefined>;
}

/** What the handler needs of the index besides lookups: cache generations. */
export interface GenerationSource {
  readonly globalGen: number;
  gen(bucket: string): number;
}

export interface HandlerOptions {
  index: IndexView & GenerationSource;
  zone: ZoneConfig;
  forwarder?: Resolver;
  log?: ComponentLog;
  /** Cached authoritative answers (default 10,000, and at most 64 MiB of encoded replies). */
  cacheSize?: number;
}

const CACHE_BYTES = 64 << 20;

interface CacheEntry {
  global: number;
  deps: string[];
  gens: number[];
  /** The encoded answer; undefined for answers that chase a CNAME upstream (re-encoded per query). */
  enc?: Encoded;
  answer?: Answer;
  /** The name is not ours: forward. */
  forward?: boolean;
}

// Meta query types we do not serve (zone transfers, MAILA/MAILB).
const UNSUPPORTED_QTYPES = new Set([TYPE.AXFR, TYPE.IXFR, 253, 254]);

export class QueryHandler {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly cacheSize: number;
  private cacheBytes = 0;
  /** Counters for tests and debugging. */
  readonly stats = { queries: 0, cacheHits: 0, formerr: 0, dropped: 0, forwarded: 0, servfail: 0 };

  constructor(private readonly o: HandlerOptions) {
    this.cacheSize = o.cacheSize ?? 10_000;
  }

  handle(buf: Buffer, transport: 'udp' | 'tcp'): Buffer | undefined | Promise<Buffer | undefined> {
    this.stats.queries++;
    const h = peekHeader(buf);
    // Too short to answer, or a response (answering responses lets two servers loop).
    if (!h || h.qr) {
      this.stats.dropped++;
      return undefined;
    }
    let msg: Message;
    try {
      msg = parseMessage(buf);
    } catch (e) {
      this.stats.formerr++;
      const p = (e as FormatError).partial;
      const question = p?.questionEnd ? buf.subarray(12, p.questionEnd) : undefined;
      return errorReply({ id: h.id, opcode: h.opcode, rd: h.rd, cd: h.cd, question }, RCODE.FORMERR);
    }
    const edns = msg.edns ? { do: msg.edns.do } : undefined;
    let questionBytes: Buffer | undefined;
    // The question as the client sent it (0x20 case and all), from the parse already done.
    if (msg.questions.length === 1) questionBytes = buf.subarray(12, msg.questionEnd);
    const base = { id: msg.id, opcode: msg.opcode, rd: msg.rd, cd: msg.cd, question: questionBytes, edns };
    if (msg.opcode !== 0) return errorReply(base, RCODE.NOTIMP);
    if (msg.questions.length !== 1) {
      this.stats.formerr++;
      return errorReply({ ...base, question: undefined }, RCODE.FORMERR);
    }
    // RFC 6891 6.1.3: only EDNS version 0 exists.
    if (msg.edns && msg.edns.version !== 0) return errorReply(base, RCODE.BADVERS);
    const q = msg.questions[0]!;
    if (q.type === TYPE.OPT) {
      this.stats.formerr++;
      return errorReply(base, RCODE.FORMERR);
    }
    if (UNSUPPORTED_QTYPES.has(q.type)) return errorReply(base, RCODE.NOTIMP);

    const limit = transport === 'tcp' ? MAX_MESSAGE : udpLimit(msg.edns);
    const to: ReplyTo = { id: msg.id, rd: msg.rd, cd: msg.cd, question: questionBytes, edns };
    try {
      const entry = this.lookup(q);
      if (entry.enc) return finalize(entry.enc, to, limit);
      if (entry.answer?.chase) return this.chase(entry.answer, q, to, limit, base);
      return this.forward(msg, q, to, limit, base);
    } catch (err) {
      this.stats.servfail++;
      this.o.log?.error({ err, name: q.name, type: q.type }, 'dns: failed to answer');
      return errorReply(base, RCODE.SERVFAIL);
    }
  }

  /** The cached entry for a question, rebuilt when anything it depends on has changed. */
  private lookup(q: Question): CacheEntry {
    const idx = this.o.index;
    const key = q.class === CLASS_IN || q.class === CLASS_ANY ? `${q.key}|${q.type}` : `${q.key}|${q.type}|${q.class}`;
    const hit = this.cache.get(key);
    if (hit && hit.global === idx.globalGen && hit.deps.every((d, i) => idx.gen(d) === hit.gens[i])) {
      this.stats.cacheHits++;
      return hit;
    }
    const global = idx.globalGen;
    const answer = buildAnswer(idx, q, this.o.zone);
    let entry: CacheEntry;
    if (!answer) entry = { global, deps: [], gens: [], forward: true };
    else {
      const gens = answer.deps.map((d) => idx.gen(d));
      const enc = answer.chase ? undefined : encodeAnswer(answer, q);
      entry = { global, deps: answer.deps, gens, enc, answer: answer.chase ? answer : undefined };
    }
    if (hit) this.evict(key);
    this.cache.set(key, entry);
    this.cacheBytes += entry.enc?.buf.length ?? 0;
    while (this.cache.size > this.cacheSize || this.cacheBytes > CACHE_BYTES) this.evict(this.cache.keys().next().value!);
    return entry;
  }

  private evict(key: string): void {
    const e = this.cache.get(key);
    if (!e) return;
    this.cacheBytes -= e.enc?.buf.length ?? 0;
    this.cache.delete(key);
  }

  private async chase(
    answer: Answer,
    q: Question,
    to: ReplyTo,
    limit: number,
    base: Parameters<typeof errorReply>[0],
  ): Promise<Buffer | undefined> {
    try {
      const c = answer.chase!;
      const up = this.o.forwarder ? await this.o.forwarder.resolve({ name: c.name, type: c.type, class: CLASS_IN }) : undefined;
      const ok = up && (up.rcode === RCODE.NOERROR || up.rcode === RCODE.NXDOMAIN);
      // RFC 6604: the rcode follows the last name of the chain; its records follow the CNAME.
      const merged: Answer = ok
        ? { ...answer, rcode: up.rcode, answer: [...answer.answer, ...up.answers], authority: up.answers.length ? [] : up.authority }
        : answer;
      return finalize(encodeAnswer(merged, q), to, limit);
    } catch (err) {
      this.o.log?.error({ err, name: q.name }, 'dns: failed to chase a CNAME');
      return errorReply(base, RCODE.SERVFAIL);
    }
  }

  private async forward(
    msg: Message,
    q: Question,
    to: ReplyTo,
    limit: number,
    base: Parameters<typeof errorReply>[0],
  ): Promise<Buffer | undefined> {
    this.stats.forwarded++;
    try {
      const r = this.o.forwarder ? await this.o.forwarder.resolve(q, { do: !!msg.edns?.do }) : undefined;
      if (!r) {
        this.stats.servfail++;
        return errorReply(base, RCODE.SERVFAIL);
      }
      const enc = encodeResponse(
        { aa: false, ra: true, ad: r.ad && (msg.ad || !!msg.edns?.do), tc: r.tc, rcode: r.rcode },
        q,
        r.answers,
        r.authority,
        // TSIG (250) belongs to the upstream exchange, not to our reply.
        r.additional.filter((x) => x.type !== 250),
      );
      return finalize(enc, { ...to, rcode: to.edns ? r.rcode : r.rcode & 0x0f }, limit);
    } catch (err) {
      this.stats.servfail++;
      this.o.log?.error({ err, name: q.name }, 'dns: failed to forward');
      return errorReply(base, RCODE.SERVFAIL);
    }
  }
}

function encodeAnswer(a: Answer, q: Question): Encoded {
  return encodeResponse({ aa: a.rcode !== RCODE.REFUSED, ra: true, rcode: a.rcode }, q, a.answer, a.authority, a.additional);
}
