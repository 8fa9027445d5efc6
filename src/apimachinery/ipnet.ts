// IP addresses and CIDRs: the one parser and formatter of tinykube. Validation, the allocators,
// config, the DNS server, certificates and the API proxy read and print addresses through it.
//
// - Texts are read as Go's net.ParseIP and net.ParseCIDR read them, which is what upstream's
//   validation and allocators see: IPv4 in dotted decimal without leading zeros (`010.0.0.1` is
//   refused, as Go ≥ 1.17 does), each octet ≤ 255; IPv6 with one `::` standing for at least one
//   zero group, at most four hex digits a group, an IPv4 tail (`::ffff:1.2.3.4`, which stays a
//   16-byte IPv6 address); no zone (`fe80::1%eth0` is not an IP for Go). isIPv6Text is the one
//   exception: node:net's isIPv6, zones allowed, for the places that need node's own check.
// - Two forms of the same address: bytes (4 or 16, what DNS answers and certificates carry) and a
//   number (family + bigint, what the allocators count with). Both come from the same scanner.
// - Printing is Go's IP.String for IPv4 and RFC 5952 for IPv6 (lowercase, the longest run of two
//   or more zero groups as `::`, the first of equal runs); an IPv4-mapped address prints in hex
//   (`::ffff:102:304`), as tinykube always printed it.
// - A CIDR's address is masked to its prefix (10.96.1.0/16 is 10.96.0.0/16, as ParseCIDR's IPNet).
//
// Why not ip-num (the stack's choice for address math; issue 21). It was tried inside this module:
// its IPv4/IPv6 constructors to parse (zones refused first, as Go does), IPv4.toString and
// collapseIPv6Number(IPv6.toString()) to print (its own IPv6 toString is not RFC 5952),
// IPv4/IPv6CidrRange.contains for containment. It read and printed exactly what this module does
// (300,000 random texts and 100,000 random addresses compared), and it is slower on every path
// that uses addresses. Measured 2026-12-07 on this project's 2-core machine while other work ran
// on it (noisy: repeated runs, medians, ranges where runs differed):
//
// | `BENCH_ONLY=ip` (scripts/bench/ip.mjs), per call | this module   | ip-num          |
// | ------------------------------------------------ | ------------- | --------------- |
// | parse IPv4 / IPv6 to a number                    | 50 / 223 ns   | 1.7 / 10 µs     |
// | parse IPv4 / IPv6 to bytes (DNS)                 | 73 / 150 ns   | 3.4 / 20 µs     |
// | print IPv4 / IPv6                                | 52 / 266 ns   | 1.2 / 3.1 µs    |
// | IPv4 / IPv6 text inside a CIDR                   | 53 / 240 ns   | 17–21 / 56–77 µs |
// | load (bundled, a fresh node)                     | 0.6 ms        | 9.8–14 ms       |
//
// The allocator and DNS paths, both variants built into the same process, rounds interleaved
// (3 runs): ClusterIP allocate-next + release in a /16, empty 2.3–3.2 µs against 5.8–9.4 µs,
// 99% full 34–42 µs against 40–55 µs; the DNS index fed 1,000 endpoints and 100 dual-stack
// Services 2.5–5.4 ms against 5.0–11.4 ms; 200 PTR and 100 Pod-name answers 2.6–4.4 ms against
// 7.8–16 ms; validateIP + validateNonSpecialIP of 1,000 addresses 0.5–0.9 ms against 24–35 ms.
// End to end (`BENCH_ONLY=allocation`, `BENCH_ONLY=dns`, `up` to ready) the machine's noise hid
// any difference: Service creates/s and DNS queries/s moved by 2x between runs of one build, and
// cached DNS answers parse nothing. As ip-num slows the allocator and DNS paths, it is not a
// dependency: the scanner below reads Go's grammar in ~100 lines, 2-8x faster than the two
// parsers it replaced (src/dns/ip.ts's byte parser and this module's node:net + split version).
//
// Semantics worth knowing: ipnet's isIP and parseIP refuse `fe80::1%eth0` (Go), node:net takes it;
// places that hand addresses to sockets (resolv.conf nameservers, interface addresses) keep
// node:net for that reason.

/** 4 for IPv4, 6 for IPv6. */
export type IPFamily = 4 | 6;

/** An address as a number: IPv4 in 32 bits, IPv6 (IPv4-mapped ones too) in 128. */
export interface IP {
  family: IPFamily;
  value: bigint;
}

export interface CIDR {
  family: IPFamily;
  /** Network address as a number. */
  base: bigint;
  prefix: number;
  /** Number of addresses in the CIDR. */
  size: bigint;
  /** The canonical text: network address and prefix (`10.96.0.0/16`). */
  text: string;
}

// ---- the scanner: text → bytes ----

/** The bytes of the address the scanners read last (4 or 16 used); callers copy what they keep. */
const scratch = new Uint8Array(16);

/**
 * Dotted decimal in text[from, to) into out[at, at + 4), as Go's parseIPv4: four decimal octets,
 * each ≤ 255 and without leading zeros.
 */
function scanIPv4(text: string, from: number, to: number, out: Uint8Array, at: number): boolean {
  let i = from;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= to || text.charCodeAt(i) !== 0x2e) return false;
      i++;
    }
    let c = i < to ? text.charCodeAt(i) : -1;
    if (c < 0x30 || c > 0x39) return false;
    let n = c - 0x30;
    i++;
    while (i < to && (c = text.charCodeAt(i)) >= 0x30 && c <= 0x39) {
      if (n === 0) return false; // a leading zero
      n = n * 10 + c - 0x30;
      if (n > 255) return false;
      i++;
    }
    out[at + part] = n;
  }
  return i === to;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x57 : -1;
}

/** IPv6 text in text[from, to) into out[0, 16), as Go's parseIPv6 (no zone). */
function scanIPv6(text: string, from: number, to: number, out: Uint8Array): boolean {
  let i = from;
  let n = 0; // bytes written
  let ellipsis = -1; // where `::` stands, in bytes
  if (to - i >= 2 && text.charCodeAt(i) === 0x3a && text.charCodeAt(i + 1) === 0x3a) {
    ellipsis = 0;
    i += 2;
    if (i === to) {
      out.fill(0);
      return true;
    }
  }
  while (n < 16) {
    let v = 0;
    let digits = 0;
    for (let d; i < to && digits <= 4 && (d = hexDigit(text.charCodeAt(i))) >= 0; i++, digits++) v = v * 16 + d;
    if (digits === 0 || digits > 4) return false;
    if (i < to && text.charCodeAt(i) === 0x2e) {
      // An IPv4 tail: the last 4 bytes, or anywhere before a `::` that fills the rest.
      if ((ellipsis < 0 && n !== 12) || n + 4 > 16) return false;
      if (!scanIPv4(text, i - digits, to, out, n)) return false;
      n += 4;
      i = to;
      break;
    }
    out[n] = v >> 8;
    out[n + 1] = v & 0xff;
    n += 2;
    if (i === to) break;
    if (text.charCodeAt(i) !== 0x3a || i + 1 === to) return false;
    i++;
    if (text.charCodeAt(i) === 0x3a) {
      if (ellipsis >= 0) return false;
      ellipsis = n;
      i++;
      if (i === to) break;
    }
  }
  if (i !== to) return false;
  if (n < 16) {
    if (ellipsis < 0) return false;
    const k = 16 - n;
    for (let j = n - 1; j >= ellipsis; j--) out[j + k] = out[j]!;
    out.fill(0, ellipsis, ellipsis + k);
  } else if (ellipsis >= 0) {
    return false; // `::` must stand for at least one group
  }
  return true;
}

/** Reads `text` into scratch: the family, or 0 when it is not an address. */
function scan(text: string): 0 | IPFamily {
  if (text.includes(':')) return scanIPv6(text, 0, text.length, scratch) ? 6 : 0;
  return scanIPv4(text, 0, text.length, scratch, 0) ? 4 : 0;
}

// ---- bytes ↔ numbers ----

const u32 = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + (b[at + 1]! << 16) + (b[at + 2]! << 8) + b[at + 3]!;

function bytesValue(b: Uint8Array, family: IPFamily): bigint {
  if (family === 4) return BigInt(u32(b, 0));
  return (BigInt(u32(b, 0)) << 96n) | (BigInt(u32(b, 4)) << 64n) | (BigInt(u32(b, 8)) << 32n) | BigInt(u32(b, 12));
}

const WORD_SHIFTS = [96n, 64n, 32n, 0n] as const;

/** The 4 or 16 bytes of an address given as a number. */
export function ipToBytes(family: IPFamily, value: bigint): Uint8Array {
  if (family === 4) {
    const n = Number(value & 0xffffffffn);
    return Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  }
  const out = new Uint8Array(16);
  for (let w = 0; w < 4; w++) {
    const x = Number((value >> WORD_SHIFTS[w]!) & 0xffffffffn);
    out[w * 4] = x >>> 24;
    out[w * 4 + 1] = (x >>> 16) & 0xff;
    out[w * 4 + 2] = (x >>> 8) & 0xff;
    out[w * 4 + 3] = x & 0xff;
  }
  return out;
}

/** The number of an address given as 4 or 16 bytes. */
export function ipFromBytes(b: Uint8Array): IP {
  const family: IPFamily = b.length === 4 ? 4 : 6;
  return { family, value: bytesValue(b, family) };
}

// ---- parsing ----

/** The address as a number; undefined when `text` is not an IP address (Go's net.ParseIP rules). */
export function parseIP(text: string): IP | undefined {
  const family = scan(text);
  return family ? { family, value: bytesValue(scratch, family) } : undefined;
}

/** 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped and embedded-IPv4 forms included); undefined if not an address. */
export function parseIPBytes(text: string): Uint8Array | undefined {
  const family = scan(text);
  return family ? scratch.slice(0, family === 4 ? 4 : 16) : undefined;
}

/** Dotted decimal only: 4 bytes, or undefined. */
export function parseIPv4Bytes(text: string): Uint8Array | undefined {
  return scanIPv4(text, 0, text.length, scratch, 0) ? scratch.slice(0, 4) : undefined;
}

/** IPv6 text only (an IPv4 tail allowed): 16 bytes, or undefined. */
export function parseIPv6Bytes(text: string): Uint8Array | undefined {
  return scanIPv6(text, 0, text.length, scratch) ? scratch.slice(0, 16) : undefined;
}

/** Whether `text` is an IP address (Go's net.ParseIP rules: no leading zeros, no zone). */
export function isIP(text: string): boolean {
  return scan(text) !== 0;
}

const ZONE = /^[0-9a-zA-Z.:-]+$/;

/**
 * node:net's isIPv6 (the same texts: `::` once, for at least one group; an IPv4 tail; a zone
 * after `%`) without its regular expression, which takes a few ms to compile on first use.
 */
export function isIPv6Text(text: string): boolean {
  const pct = text.indexOf('%');
  if (pct < 0) return scanIPv6(text, 0, text.length, scratch);
  return ZONE.test(text.slice(pct + 1)) && scanIPv6(text, 0, pct, scratch);
}

// ---- printing ----

/** RFC 5952 text of 8 groups: lowercase, the longest run (≥ 2) of zero groups as `::`, the first of equal ones. */
function formatGroups(g: readonly number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === best) {
      s += '::';
      i += bestLen - 1;
      continue;
    }
    if (s !== '' && !s.endsWith(':')) s += ':';
    s += g[i]!.toString(16);
  }
  return s;
}

/** The text of an address given as a number (dotted decimal, or RFC 5952). */
export function formatIP(family: IPFamily, v: bigint): string {
  if (family === 4) {
    const n = Number(v & 0xffffffffn);
    return `${n >>> 24}.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
  }
  const g = new Array<number>(8);
  for (let w = 0; w < 4; w++) {
    const x = Number((v >> WORD_SHIFTS[w]!) & 0xffffffffn);
    g[w * 2] = x >>> 16;
    g[w * 2 + 1] = x & 0xffff;
  }
  return formatGroups(g);
}

/** The text of an address given as 4 or 16 bytes (dotted decimal, or RFC 5952). */
export function formatIPBytes(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g = new Array<number>(8);
  for (let i = 0; i < 8; i++) g[i] = (b[i * 2]! << 8) | b[i * 2 + 1]!;
  return formatGroups(g);
}

// ---- CIDRs ----

// CIDRs come from a handful of config strings but are parsed on every Service write: memoize.
const cidrCache = new Map<string, CIDR | undefined>();

/** `ADDRESS/PREFIX` (Go's net.ParseCIDR), the address masked to the prefix; undefined if not a CIDR. */
export function parseCIDR(text: string): CIDR | undefined {
  if (cidrCache.has(text)) return cidrCache.get(text);
  const c = parseCIDRUncached(text);
  if (cidrCache.size > 256) cidrCache.clear();
  cidrCache.set(text, c);
  return c;
}

function parseCIDRUncached(text: string): CIDR | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0 || !/^\d{1,3}$/.test(text.slice(slash + 1))) return undefined;
  const ip = parseIP(text.slice(0, slash));
  if (!ip) return undefined;
  const prefix = Number(text.slice(slash + 1));
  const bits = ip.family === 4 ? 32 : 128;
  if (prefix > bits) return undefined;
  const host = BigInt(bits - prefix);
  const base = (ip.value >> host) << host;
  return { family: ip.family, base, prefix, size: 1n << host, text: `${formatIP(ip.family, base)}/${prefix}` };
}

/** Whether the address (a number) is inside the CIDR (same family only). */
export function containsIP(c: CIDR, p: IP): boolean {
  return p.family === c.family && p.value >= c.base && p.value < c.base + c.size;
}

/** Whether the address text is inside the CIDR; false when it is not an address. */
export function contains(c: CIDR, ip: string): boolean {
  const p = parseIP(ip);
  return !!p && containsIP(c, p);
}

/** Whether the address given as bytes (4 or 16) is inside the CIDR. */
export function containsBytes(c: CIDR, b: Uint8Array): boolean {
  return (b.length === 4 ? 4 : 6) === c.family && containsIP(c, ipFromBytes(b));
}

/** The n-th address of the CIDR (0 = network address). */
export function nthIP(c: CIDR, n: bigint): string {
  return formatIP(c.family, c.base + n);
}

/** The index of the address in the CIDR (0 = network address); undefined outside it. */
export function offsetOf(c: CIDR, ip: string): bigint | undefined {
  const p = parseIP(ip);
  if (!p || p.family !== c.family) return undefined;
  const d = p.value - c.base;
  return d >= 0n && d < c.size ? d : undefined;
}

/** The family of an address text, as the API names it (k8s.io/utils/net IPFamilyOfString); undefined when it is no IP. */
export function ipFamilyOf(ip: string): 'IPv4' | 'IPv6' | undefined {
  const p = parseIP(ip);
  return p ? (p.family === 4 ? 'IPv4' : 'IPv6') : undefined;
}
