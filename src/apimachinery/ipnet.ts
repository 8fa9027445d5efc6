// CIDR arithmetic on BigInt, enough for allocators: parse, index <-> address, containment.
import { isIPv4 } from 'node:net';

export interface CIDR {
  family: 4 | 6;
  /** Network address as a number. */
  base: bigint;
  prefix: number;
  /** Number of addresses in the CIDR. */
  size: bigint;
  text: string;
}

const HEXTET = /^[0-9a-fA-F]{1,4}$/;
const V4_OCTET = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])$/;
const ZONE = /^[0-9a-zA-Z.:-]+$/;

/**
 * node:net's isIPv6 (the same texts: `::` once, for at least one hextet; an IPv4 tail; a zone
 * after `%`) without its regular expression, which takes a few ms to compile on first use and
 * was most of the cost of the first IPv6 address a start parses.
 */
export function isIPv6Text(text: string): boolean {
  let s = text;
  const pct = s.indexOf('%');
  if (pct >= 0) {
    if (!ZONE.test(s.slice(pct + 1))) return false;
    s = s.slice(0, pct);
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  if (dbl < 0 && h.length === 0) return false;
  const parts = [...h, ...t];
  let hextets = parts.length;
  // An IPv4 address may end the text (two hextets' worth).
  const last = parts[parts.length - 1];
  if (last !== undefined && last.includes('.') && (dbl < 0 || t.length > 0)) {
    const o = last.split('.');
    if (o.length !== 4 || !o.every((x) => V4_OCTET.test(x))) return false;
    parts.pop();
    hextets++;
  }
  if (!parts.every((p) => HEXTET.test(p))) return false;
  return dbl >= 0 ? hextets <= 7 : hextets === 8;
}

export function parseIP(ip: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(ip)) {
    const p = ip.split('.').map(Number);
    return { family: 4, value: BigInt(((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!) };
  }
  if (isIPv6Text(ip)) {
    let s = ip;
    // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hextets.
    const v4 = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
    if (v4) {
      const p = v4[1]!.split('.').map(Number);
      s = s.slice(0, -v4[1]!.length) + ((p[0]! << 8) + p[1]!).toString(16) + ':' + ((p[2]! << 8) + p[3]!).toString(16);
    }
    const [head, tail] = s.split('::') as [string, string | undefined];
    const h = head ? head.split(':') : [];
    const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
    const fill = tail !== undefined ? 8 - h.length - t.length : 0;
    const groups = [...h, ...Array(fill).fill('0'), ...t];
    let v = 0n;
    for (const g of groups) v = (v << 16n) + BigInt(parseInt(g, 16));
    return { family: 6, value: v };
  }
  return undefined;
}

export function formatIP(family: 4 | 6, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 255n)).join('.');
  const g: string[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // RFC 5952: compress the longest run of zero groups (length >= 2).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return g.join(':');
  return `${g.slice(0, best).join(':')}::${g.slice(best + bestLen).join(':')}`;
}

// CIDRs come from a handful of config strings but are parsed on every Service write: memoize.
const cidrCache = new Map<string, CIDR | undefined>();

export function parseCIDR(text: string): CIDR | undefined {
  if (cidrCache.has(text)) return cidrCache.get(text);
  const c = parseCIDRUncached(text);
  if (cidrCache.size > 256) cidrCache.clear();
  cidrCache.set(text, c);
  return c;
}

function parseCIDRUncached(text: string): CIDR | undefined {
  const m = text.match(/^([^/]+)\/(\d{1,3})$/);
  if (!m) return undefined;
  const ip = parseIP(m[1]!);
  if (!ip) return undefined;
  const prefix = Number(m[2]);
  const bits = ip.family === 4 ? 32 : 128;
  if (prefix > bits) return undefined;
  const host = BigInt(bits - prefix);
  const base = (ip.value >> host) << host;
  return { family: ip.family, base, prefix, size: 1n << host, text: `${formatIP(ip.family, base)}/${prefix}` };
}

export function contains(c: CIDR, ip: string): boolean {
  const p = parseIP(ip);
  return !!p && p.family === c.family && p.value >= c.base && p.value < c.base + c.size;
}

/** The n-th address of the CIDR (0 = network address). */
export function nthIP(c: CIDR, n: bigint): string {
  return formatIP(c.family, c.base + n);
}

export function offsetOf(c: CIDR, ip: string): bigint | undefined {
  const p = parseIP(ip);
  if (!p || p.family !== c.family) return undefined;
  const d = p.value - c.base;
  return d >= 0n && d < c.size ? d : undefined;
}
