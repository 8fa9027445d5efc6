// The DNS wire format (RFC 1035, EDNS(0) RFC 6891): a bounds-checked parser and an encoder with
// name compression, byte-oriented on Buffers. See the comment at the top of ./index.ts for why
// this replaces dns2's Packet on every path of the server.
//
// Versus dns-packet 5.6.1, the most used DNS codec on npm (`node scripts/bench/dns-codec.mjs`; 2 cores,
// Node v20.20.2, one run): parsing a query with OPT is a tie (A/AAAA/SRV/PTR 1.1-1.3 µs here,
// 1.3-1.5 µs dns-packet); encoding the server's replies is slower there: small A 1.8 vs 2.8 µs,
// NXDOMAIN+SOA 3.4 vs 4.3, PTR 3.5 vs 4.4, SRV 10+10 additional 8.5 vs 35, SRV 100+100 62 vs 333,
// headless 1,000 A 109 vs 930 µs; it never compresses names (1,000 A: 45 KB vs 16 KB; 26 vs 73 A
// records fit in 1232 B). Per query with a cached answer, handle() in process: 2.5 µs ours, 4.4 µs
// with dns-packet decode + encode; dnsperf server CPU per query at 5,000/s: 21-24 µs vs 27-34 µs
// (a shared machine: its max-rate and p99 figures were noise). It also accepts truncated records
// (A "10.244.0.undefined", cut OPT options) and OPTs that need FORMERR (two, non-root owner, option
// past RDATA), walks pointer chains unbounded (a 64 KiB message: 0.67 s of CPU; here rejected in
// 0.1 ms), echoes questions lossily (a '.' inside a label, non-UTF-8 bytes, unknown classes) and
// encodes invalid names (64-octet labels, > 255 octets) without error. Decision: this codec stays;
// dns-packet is a devDependency only to reproduce these figures.
//
// Names travel as strings: labels joined by '.', with '.' and '\' inside a label escaped by '\'
// (so any wire name has exactly one string form), case kept as received. Comparison and the
// compression map use the ASCII-lowercased string (DNS folds case for A-Z only).

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
} as const;

export const CLASS_IN = 1;
export const CLASS_ANY = 255;

export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** Extended (needs OPT): the query's EDNS version is not supported. */
  BADVERS: 16,
} as const;

/** The UDP payload size we advertise and accept at most (DNS flag day 2020). */
export const EDNS_UDP_SIZE = 1232;
export const MIN_UDP_SIZE = 512;
export const MAX_MESSAGE = 65535;
const HEADER = 12;
const MAX_NAME = 255;
const MAX_LABEL = 63;
/** An OPT record without options: root name, type, class, TTL, RDLENGTH. */
export const OPT_LEN = 11;

export class FormatError extends Error {
  constructor(
    message: string,
    /** What could be read before the error (for a FORMERR that echoes the question). */
    readonly partial?: { id: number; opcode: number; rd: boolean; question?: Question; questionEnd?: number },
  ) {
    super(message);
  }
}

export interface Question {
  /** Presentation form, case as received. */
  name: string;
  /** ASCII-lowercased `name`: the lookup key. */
  key: string;
  type: number;
  class: number;
}

export interface EdnsOption {
  code: number;
  data: Uint8Array;
}

export interface Edns {
  udpSize: number;
  extRcode: number;
  version: number;
  do: boolean;
  options: EdnsOption[];
}

/**
 * RDATA as fields, for the types whose RDATA holds domain names (so they can be decompressed on
 * parse and compressed again on encode); any other type keeps its RDATA as raw bytes.
 */
export type Field = number | string | Uint8Array;

export interface RR {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: Uint8Array | Field[];
}

export interface Header {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  /** Full rcode: the header's 4 bits plus, with EDNS, the OPT's 8 high bits. */
  rcode: number;
}

export interface Message extends Header {
  questions: Question[];
  answers: RR[];
  authority: RR[];
  additional: RR[];
  edns?: Edns;
  /** Parsed messages: the offset just past the first question (a reply echoes those bytes). */
  questionEnd?: number;
}

// Field kinds of an RDATA layout. 'name' may be compressed on output (RFC 1035 types), 'namenc'
// never is (RFC 2782 SRV, RFC 3597 §4: newer types); both accept compression when parsed.
type Kind = 'u16' | 'u32' | 'name' | 'namenc' | 'cstr';
const LAYOUTS: Record<number, Kind[]> = {
  2: ['name'], // NS
  3: ['name'], // MD
  4: ['name'], // MF
  5: ['name'], // CNAME
  6: ['name', 'name', 'u32', 'u32', 'u32', 'u32', 'u32'], // SOA
  7: ['name'], // MB
  8: ['name'], // MG
  9: ['name'], // MR
  12: ['name'], // PTR
  14: ['name', 'name'], // MINFO
  15: ['u16', 'name'], // MX
  17: ['namenc', 'namenc'], // RP
  18: ['u16', 'namenc'], // AFSDB
  21: ['u16', 'namenc'], // RT
  26: ['u16', 'namenc', 'namenc'], // PX
  33: ['u16', 'u16', 'u16', 'namenc'], // SRV: RFC 2782 forbids compressing the target
  35: ['u16', 'u16', 'cstr', 'cstr', 'cstr', 'namenc'], // NAPTR
  36: ['u16', 'namenc'], // KX
  39: ['namenc'], // DNAME
};

// ---------------------------------------------------------------------------------------------
// Names

/** ASCII-only lowercase (DNS case folding; other bytes are compared exactly). */
export function asciiLower(s: string): string {
  return HAS_UPPER.test(s) ? s.replace(UPPER, (m) => m.toLowerCase()) : s;
}
const HAS_UPPER = /[A-Z]/;
const UPPER = /[A-Z]+/g;

function escapeLabel(l: string): string {
  return l.includes('.') || l.includes('\\') ? l.replace(/[.\\]/g, (c) => `\\${c}`) : l;
}

/** Labels of a name string (escapes undone); '' and '.' are the root. */
export function splitName(name: string): string[] {
  if (name === '' || name === '.') return [];
  if (!name.includes('\\')) {
    const parts = name.split('.');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts;
  }
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c === '\\' && i + 1 < name.length) cur += name[++i];
    else if (c === '.') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

export function joinLabels(labels: readonly string[]): string {
  let s = '';
  for (let i = 0; i < labels.length; i++) s += (i ? '.' : '') + escapeLabel(labels[i]!);
  return s;
}

/** Wire length of a name (without compression); Infinity when a label or the name is too long. */
export function nameWireLength(name: string): number {
  const labels = splitName(name);
  let n = 1;
  for (const l of labels) {
    if (l.length === 0 || l.length > MAX_LABEL) return Infinity;
    n += l.length + 1;
  }
  return n > MAX_NAME ? Infinity : n;
}

// ---------------------------------------------------------------------------------------------
// Parsing

function readName(buf: Buffer, start: number): { name: string; end: number } {
  const len = buf.length;
  let pos = start;
  let end = -1;
  let total = 1;
  let hops = 0;
  let name = '';
  for (;;) {
    if (pos >= len) throw new FormatError('name runs past the end of the message');
    const b = buf[pos]!;
    if (b === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    const kind = b & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= len) throw new FormatError('compression pointer runs past the end of the message');
      const ptr = ((b & 0x3f) << 8) | buf[pos + 1]!;
      // Only pointers to earlier bytes ("a prior occurrence", RFC 1035 4.1.4); with the length cap
      // below this bounds the walk, so a crafted loop cannot hang the parser.
      if (ptr >= pos) throw new FormatError('compression pointer does not point backwards');
      if (++hops > 127) throw new FormatError('too many compression pointers');
      if (end < 0) end = pos + 2;
      pos = ptr;
      continue;
    }
    if (kind !== 0) throw new FormatError(`unsupported label type 0x${b.toString(16)}`);
    if (pos + 1 + b > len) throw new FormatError('label runs past the end of the message');
    total += b + 1;
    if (total > MAX_NAME) throw new FormatError('name longer than 255 octets');
    const label = buf.toString('latin1', pos + 1, pos + 1 + b);
    name += (name ? '.' : '') + escapeLabel(label);
    pos += 1 + b;
  }
  return { name, end };
}

function need(buf: Buffer, off: number, n: number, what: string): void {
  if (off + n > buf.length) throw new FormatError(`${what} runs past the end of the message`);
}

function readHeader(buf: Buffer): Header & { qd: number; an: number; ns: number; ar: number } {
  if (buf.length < HEADER) throw new FormatError('message shorter than a DNS header');
  const f1 = buf[2]!;
  const f2 = buf[3]!;
  return {
    id: buf.readUInt16BE(0),
    qr: (f1 & 0x80) !== 0,
    opcode: (f1 >> 3) & 0xf,
    aa: (f1 & 0x04) !== 0,
    tc: (f1 & 0x02) !== 0,
    rd: (f1 & 0x01) !== 0,
    ra: (f2 & 0x80) !== 0,
    ad: (f2 & 0x20) !== 0,
    cd: (f2 & 0x10) !== 0,
    rcode: f2 & 0x0f,
    qd: buf.readUInt16BE(4),
    an: buf.readUInt16BE(6),
    ns: buf.readUInt16BE(8),
    ar: buf.readUInt16BE(10),
  };
}

export function parseQuestion(buf: Buffer, off: number): { q: Question; end: number } {
  const { name, end } = readName(buf, off);
  need(buf, end, 4, 'question');
  return { q: { name, key: asciiLower(name), type: buf.readUInt16BE(end), class: buf.readUInt16BE(end + 2) }, end: end + 4 };
}

function parseEdnsOptions(buf: Buffer, start: number, end: number): EdnsOption[] {
  const out: EdnsOption[] = [];
  let p = start;
  while (p < end) {
    if (p + 4 > end) throw new FormatError('EDNS option header runs past its record');
    const code = buf.readUInt16BE(p);
    // The option length counts octets (RFC 6891 6.1.2); dns2 skips it as a bit count, which
    // misreads every option after an unknown one such as dig's COOKIE.
    const len = buf.readUInt16BE(p + 2);
    p += 4;
    if (p + len > end) throw new FormatError('EDNS option data runs past its record');
    out.push({ code, data: Uint8Array.prototype.slice.call(buf, p, p + len) });
    p += len;
  }
  return out;
}

function parseRData(buf: Buffer, type: number, start: number, end: number): Uint8Array | Field[] {
  const layout = LAYOUTS[type];
  if (!layout) return Uint8Array.prototype.slice.call(buf, start, end);
  const fields: Field[] = [];
  let p = start;
  for (const k of layout) {
    switch (k) {
      case 'u16':
        if (p + 2 > end) throw new FormatError('RDATA too short');
        fields.push(buf.readUInt16BE(p));
        p += 2;
        break;
      case 'u32':
        if (p + 4 > end) throw new FormatError('RDATA too short');
        fields.push(buf.readUInt32BE(p));
        p += 4;
        break;
      case 'cstr': {
        if (p + 1 > end) throw new FormatError('RDATA too short');
        const l = buf[p]!;
        if (p + 1 + l > end) throw new FormatError('character-string runs past its RDATA');
        fields.push(Uint8Array.prototype.slice.call(buf, p + 1, p + 1 + l));
        p += 1 + l;
        break;
      }
      default: {
        const n = readName(buf, p);
        if (n.end > end) throw new FormatError('name runs past its RDATA');
        fields.push(n.name);
        p = n.end;
      }
    }
  }
  if (p !== end) throw new FormatError('RDATA length does not match its content');
  return fields;
}

/**
 * Parses a whole message with bounds checks on every read; throws FormatError (with what was read
 * so far) on anything malformed. The OPT record becomes `edns` and is not listed in `additional`.
 */
export function parseMessage(buf: Buffer): Message {
  const h = readHeader(buf);
  const partial: { id: number; opcode: number; rd: boolean; question?: Question; questionEnd?: number } = {
    id: h.id,
    opcode: h.opcode,
    rd: h.rd,
  };
  try {
    // Cheap sanity: every question takes at least 5 octets, every record 11.
    if (HEADER + h.qd * 5 + (h.an + h.ns + h.ar) * 11 > buf.length) throw new FormatError('section counts exceed the message length');
    let off = HEADER;
    const questions: Question[] = [];
    for (let i = 0; i < h.qd; i++) {
      const r = parseQuestion(buf, off);
      questions.push(r.q);
      off = r.end;
      if (i === 0) {
        partial.question = r.q;
        partial.questionEnd = off;
      }
    }
    const sections: RR[][] = [[], [], []];
    let edns: Edns | undefined;
    const counts = [h.an, h.ns, h.ar];
    for (let s = 0; s < 3; s++) {
      for (let i = 0; i < counts[s]!; i++) {
        const { name, end } = readName(buf, off);
        need(buf, end, 10, 'resource record');
        const type = buf.readUInt16BE(end);
        const klass = buf.readUInt16BE(end + 2);
        const ttl = buf.readUInt32BE(end + 4);
        const rdlen = buf.readUInt16BE(end + 8);
        const rdStart = end + 10;
        need(buf, rdStart, rdlen, 'RDATA');
        const rdEnd = rdStart + rdlen;
        if (type === TYPE.OPT) {
          if (s !== 2) throw new FormatError('OPT record outside the additional section');
          if (edns) throw new FormatError('more than one OPT record');
          if (name !== '') throw new FormatError('OPT record with a non-root owner name');
          edns = {
            udpSize: klass,
            extRcode: ttl >>> 24,
            version: (ttl >>> 16) & 0xff,
            do: (ttl & 0x8000) !== 0,
            options: parseEdnsOptions(buf, rdStart, rdEnd),
          };
        } else {
          sections[s]!.push({ name, type, class: klass, ttl, data: parseRData(buf, type, rdStart, rdEnd) });
        }
        off = rdEnd;
      }
    }
    // Spelled out: object rest/spread here cost more than the rest of the parse (V8 copies
    // through a slow generic path), ~4 µs per query on the hot path.
    return {
      id: h.id,
      qr: h.qr,
      opcode: h.opcode,
      aa: h.aa,
      tc: h.tc,
      rd: h.rd,
      ra: h.ra,
      ad: h.ad,
      cd: h.cd,
      rcode: edns ? (edns.extRcode << 4) | h.rcode : h.rcode,
      questions,
      questionEnd: partial.questionEnd,
      answers: sections[0]!,
      authority: sections[1]!,
      additional: sections[2]!,
      edns,
    };
  } catch (e) {
    if (e instanceof FormatError) throw new FormatError(e.message, partial);
    throw new FormatError(`malformed message: ${(e as Error).message}`, partial);
  }
}

/** Just the header id, flags and counts (for deciding to answer at all before a full parse). */
export function peekHeader(buf: Buffer): (Header & { qd: number; an: number; ns: number; ar: number }) | undefined {
  return buf.length < HEADER ? undefined : readHeader(buf);
}

// ---------------------------------------------------------------------------------------------
// Encoding

export class Writer {
  buf: Buffer;
  off = 0;
  /** Compression map: lowercased name suffix → offset of its first occurrence (< 0x4000). */
  readonly names = new Map<string, number>();
  private lastName = '';
  private lastPtr = 0;

  constructor(size = 512) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.off + n) size *= 2;
    const b = Buffer.allocUnsafe(size);
    this.buf.copy(b, 0, 0, this.off);
    this.buf = b;
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.off++] = v;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.off);
    this.off += 2;
  }

  u32(v: number): void {
    this.room(4);
    this.buf.writeUInt32BE(v >>> 0, this.off);
    this.off += 4;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.off);
    this.off += b.length;
  }

  /**
   * Writes a name; with `compress`, the longest suffix already written becomes a pointer. Names
   * written uncompressed (SRV targets) are still registered: later names may point into them,
   * which RFC 1035 allows; only the SRV RDATA itself must stay pointer-free.
   */
  name(name: string, compress: boolean): void {
    if (name === '' || name === '.') {
      this.u8(0);
      return;
    }
    // Many records in a row share their owner (the question): same string, same pointer.
    if (compress && name === this.lastName) {
      this.u16(0xc000 | this.lastPtr);
      return;
    }
    if (name.endsWith('.') && !name.endsWith('\\.')) name = name.slice(0, -1);
    if (!compress && !name.includes('\\')) {
      this.literal(name);
      return;
    }
    const key = asciiLower(name);
    if (compress) {
      const p = this.names.get(key);
      if (p !== undefined) {
        this.lastName = name;
        this.lastPtr = p;
        this.u16(0xc000 | p);
        return;
      }
    }
    const labels = splitName(name);
    // Offsets of each label's start in `key` (escaped form), to slice suffix keys.
    let keyPos = 0;
    let total = 1;
    this.room(key.length + 2);
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      if (i > 0) {
        const suffix = key.slice(keyPos);
        if (compress) {
          const p = this.names.get(suffix);
          if (p !== undefined) {
            this.u16(0xc000 | p);
            return;
          }
        }
        if (this.off < 0x4000 && !this.names.has(suffix)) this.names.set(suffix, this.off);
      } else if (this.off < 0x4000 && !this.names.has(key)) this.names.set(key, this.off);
      const l = label.length;
      if (l === 0 || l > MAX_LABEL) throw new Error(`name "${name}": empty label or label longer than 63 octets`);
      total += l + 1;
      if (total > MAX_NAME) throw new Error(`name "${name}" is longer than 255 octets`);
      this.room(l + 1);
      this.buf[this.off++] = l;
      this.off += this.buf.write(label, this.off, 'latin1');
      keyPos += escapeLabel(label).length + 1;
    }
    this.u8(0);
  }

  /**
   * An uncompressed name without escapes in one write: the text goes in after one byte, then each
   * '.' becomes the length of the label after it. Only the whole name is registered for later
   * pointers (its suffixes are the zone's, already written by the question).
   */
  private literal(name: string): void {
    const n = name.length;
    if (n + 2 > MAX_NAME) throw new Error(`name "${name}" is longer than 255 octets`);
    this.room(n + 2);
    const start = this.off;
    if (start < 0x4000) {
      const key = asciiLower(name);
      if (!this.names.has(key)) this.names.set(key, start);
    }
    // Names here come from validated API objects or from the wire (latin1), one byte a character.
    const b = this.buf;
    b.write(name, start + 1, n, 'latin1');
    let lenAt = start;
    let count = 0;
    const end = start + 1 + n;
    for (let i = start + 1; i < end; i++) {
      if (b[i] === 46) {
        if (count === 0 || count > MAX_LABEL) throw new Error(`name "${name}": empty label or label longer than 63 octets`);
        b[lenAt] = count;
        lenAt = i;
        count = 0;
      } else count++;
    }
    if (count === 0 || count > MAX_LABEL) throw new Error(`name "${name}": empty label or label longer than 63 octets`);
    b[lenAt] = count;
    b[end] = 0;
    this.off = end + 1;
  }

  rr(r: RR): void {
    this.name(r.name, true);
    this.room(10);
    this.buf.writeUInt16BE(r.type, this.off);
    this.buf.writeUInt16BE(r.class, this.off + 2);
    // RFC 2181 8: TTLs are 31-bit.
    this.buf.writeUInt32BE(Math.min(Math.max(0, Math.floor(r.ttl)), 0x7fffffff), this.off + 4);
    const lenAt = this.off + 8;
    this.off += 10;
    const start = this.off;
    const d = r.data;
    if (d instanceof Uint8Array) this.bytes(d);
    else {
      const layout = LAYOUTS[r.type];
      if (!layout || layout.length !== d.length) throw new Error(`no RDATA layout for type ${r.type} with ${d.length} fields`);
      for (let i = 0; i < layout.length; i++) {
        const k = layout[i]!;
        const v = d[i]!;
        if (k === 'u16') this.u16(v as number);
        else if (k === 'u32') this.u32(v as number);
        else if (k === 'cstr') {
          const b = v as Uint8Array;
          if (b.length > 255) throw new Error('character-string longer than 255 octets');
          this.u8(b.length);
          this.bytes(b);
        } else this.name(v as string, k === 'name');
      }
    }
    const len = this.off - start;
    if (len > 0xffff) throw new Error('RDATA longer than 65535 octets');
    this.buf.writeUInt16BE(len, lenAt);
  }
}

/** A response encoded once (without OPT), cut to fit each client by `finalize`. */
export interface Encoded {
  buf: Buffer;
  /** End of the question section. */
  qEnd: number;
  /** End offset of each record, answers then authority then additional. */
  ends: number[];
  an: number;
  ns: number;
  ar: number;
}

export interface ResponseHead {
  aa: boolean;
  ra: boolean;
  ad?: boolean;
  tc?: boolean;
  /** Full rcode; values above 15 need an OPT in the reply (finalize carries the high bits). */
  rcode: number;
}

/**
 * Encodes a response: header (id 0, patched per query by finalize), the question, and the
 * records with name compression (SRV targets excepted).
 */
export function encodeResponse(
  head: ResponseHead,
  q: Question | undefined,
  answers: readonly RR[],
  authority: readonly RR[],
  additional: readonly RR[],
): Encoded {
  const w = new Writer(HEADER + 64 + (answers.length + authority.length + additional.length) * 24);
  w.off = HEADER;
  if (q) {
    w.name(q.name, true);
    w.u16(q.type);
    w.u16(q.class);
  }
  const qEnd = w.off;
  const ends: number[] = [];
  // Records past the largest message are never sent: stop there (finalize cuts and sets TC).
  for (const section of [answers, authority, additional]) {
    for (const r of section) {
      if (w.off > MAX_MESSAGE) break;
      w.rr(r);
      ends.push(w.off);
    }
  }
  const b = w.buf;
  b.writeUInt16BE(0, 0);
  b[2] = 0x80 | (head.aa ? 0x04 : 0) | (head.tc ? 0x02 : 0);
  b[3] = (head.ra ? 0x80 : 0) | (head.ad ? 0x20 : 0) | (head.rcode & 0x0f);
  b.writeUInt16BE(q ? 1 : 0, 4);
  b.writeUInt16BE(answers.length, 6);
  b.writeUInt16BE(authority.length, 8);
  b.writeUInt16BE(additional.length, 10);
  return { buf: b.subarray(0, w.off), qEnd, ends, an: answers.length, ns: authority.length, ar: additional.length };
}

export interface ReplyTo {
  id: number;
  rd: boolean;
  cd: boolean;
  /** The query's question bytes (12..qEnd): copied over ours so the client sees its own case. */
  question?: Buffer;
  /** Present when the query had an OPT: the reply carries one too. */
  edns?: { do: boolean };
  /** Full rcode (overrides the encoded one, e.g. BADVERS); undefined keeps it. */
  rcode?: number;
}

/** The largest reply the client accepts over UDP: 512 without EDNS, else its size capped at ours. */
export function udpLimit(edns: Edns | undefined): number {
  if (!edns) return MIN_UDP_SIZE;
  return Math.min(Math.max(edns.udpSize, MIN_UDP_SIZE), EDNS_UDP_SIZE);
}

/**
 * The bytes for one query: id, RD and CD from the query, the client's question, an OPT when the
 * query had one, and everything cut at a record boundary to `limit` octets. TC is set when
 * answer or authority records had to go (additional records are optional: dropping them is not
 * a truncation, RFC 2181 9).
 */
export function finalize(e: Encoded, to: ReplyTo, limit: number): Buffer {
  const optLen = to.edns ? OPT_LEN : 0;
  let end = e.buf.length;
  let kept = e.ends.length;
  let tc = (e.buf[2]! & 0x02) !== 0;
  if (end + optLen > limit) {
    kept = 0;
    end = e.qEnd;
    while (kept < e.ends.length && e.ends[kept]! + optLen <= limit) end = e.ends[kept++]!;
    if (kept < e.an + e.ns) tc = true;
  }
  const out = Buffer.allocUnsafe(end + optLen);
  e.buf.copy(out, 0, 0, end);
  if (to.question && to.question.length === e.qEnd - HEADER) to.question.copy(out, HEADER);
  const rcode = to.rcode ?? (e.buf[3]! & 0x0f) | 0;
  out.writeUInt16BE(to.id, 0);
  out[2] = (out[2]! & ~0x03) | (tc ? 0x02 : 0) | (to.rd ? 0x01 : 0);
  out[3] = (out[3]! & 0xa0) | (to.cd ? 0x10 : 0) | (rcode & 0x0f);
  const an = Math.min(kept, e.an);
  const ns = Math.min(Math.max(kept - e.an, 0), e.ns);
  const ar = Math.max(kept - e.an - e.ns, 0);
  out.writeUInt16BE(an, 6);
  out.writeUInt16BE(ns, 8);
  out.writeUInt16BE(ar + (to.edns ? 1 : 0), 10);
  if (to.edns) writeOpt(out, end, rcode >> 4, to.edns.do);
  return out;
}

/** OPT: root owner, our UDP size, extended rcode, version 0, DO echoed (RFC 3225 3), no options. */
function writeOpt(b: Buffer, off: number, extRcode: number, dnssecOk: boolean): void {
  b[off] = 0;
  b.writeUInt16BE(TYPE.OPT, off + 1);
  b.writeUInt16BE(EDNS_UDP_SIZE, off + 3);
  b[off + 5] = extRcode & 0xff;
  b[off + 6] = 0;
  b.writeUInt16BE(dnssecOk ? 0x8000 : 0, off + 7);
  b.writeUInt16BE(0, off + 9);
}

/**
 * A bare error reply (FORMERR, NOTIMP, REFUSED, SERVFAIL, BADVERS): the question when one was
 * read, an OPT when asked for (required for BADVERS), nothing else.
 */
export function errorReply(
  to: { id: number; opcode: number; rd: boolean; cd?: boolean; question?: Buffer; edns?: { do: boolean } },
  rcode: number,
): Buffer {
  const q = to.question;
  const optLen = to.edns ? OPT_LEN : 0;
  const out = Buffer.alloc(HEADER + (q ? q.length : 0) + optLen);
  out.writeUInt16BE(to.id, 0);
  out[2] = 0x80 | ((to.opcode & 0xf) << 3) | (to.rd ? 0x01 : 0);
  out[3] = 0x80 | (to.cd ? 0x10 : 0) | (rcode & 0x0f);
  out.writeUInt16BE(q ? 1 : 0, 4);
  out.writeUInt16BE(to.edns ? 1 : 0, 10);
  if (q) q.copy(out, HEADER);
  if (to.edns) writeOpt(out, HEADER + (q ? q.length : 0), rcode >> 4, to.edns.do);
  return out;
}

/** A query message (for the forwarder and tests). */
export function encodeQuery(o: {
  id: number;
  name: string;
  type: number;
  class?: number;
  rd?: boolean;
  edns?: { udpSize?: number; do?: boolean; options?: EdnsOption[] };
}): Buffer {
  const w = new Writer(HEADER + o.name.length + 40);
  w.u16(o.id);
  w.u8(o.rd === false ? 0 : 0x01);
  w.u8(0);
  w.u16(1);
  w.u16(0);
  w.u16(0);
  w.u16(o.edns ? 1 : 0);
  w.name(o.name, false);
  w.u16(o.type);
  w.u16(o.class ?? CLASS_IN);
  if (o.edns) {
    w.u8(0);
    w.u16(TYPE.OPT);
    w.u16(o.edns.udpSize ?? EDNS_UDP_SIZE);
    w.u32(o.edns.do ? 0x8000 : 0);
    const opts = o.edns.options ?? [];
    w.u16(opts.reduce((n, x) => n + 4 + x.data.length, 0));
    for (const x of opts) {
      w.u16(x.code);
      w.u16(x.data.length);
      w.bytes(x.data);
    }
  }
  return Buffer.from(w.buf.subarray(0, w.off));
}

// RDATA helpers for the records we answer with.

export function txtData(...strings: string[]): Uint8Array {
  const parts = strings.map((s) => Buffer.from(s, 'utf8'));
  const out = Buffer.alloc(parts.reduce((n, p) => n + 1 + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out[o++] = p.length;
    p.copy(out, o);
    o += p.length;
  }
  return out;
}
