// IP addresses as bytes for the DNS server: text ↔ 4/16 bytes, reverse names (in-addr.arpa,
// ip6.arpa), the dashed forms of Pod and endpoint names, and CIDR membership. Kept apart from
// src/apimachinery/ipnet.ts (bigint arithmetic for allocation): answers need the wire bytes.

/** 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped and embedded-IPv4 forms included); undefined if not an address. */
export function parseIP(text: string): Uint8Array | undefined {
  if (text.includes(':')) return parseIPv6(text);
  return parseIPv4(text);
}

export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Decimal only, no leading zeros (Go's net.ParseIP and Kubernetes validation refuse them).
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length > 45 || text.includes('%')) return undefined;
  let head = text;
  let tail4: Uint8Array | undefined;
  // An embedded IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) takes the last two groups.
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    tail4 = parseIPv4(text.slice(lastColon + 1));
    if (!tail4) return undefined;
    head = text.slice(0, lastColon + 1) + '0:0';
  }
  const dbl = head.indexOf('::');
  if (dbl !== head.lastIndexOf('::')) return undefined;
  let groups: string[];
  if (dbl >= 0) {
    const left = head.slice(0, dbl) === '' ? [] : head.slice(0, dbl).split(':');
    const right = head.slice(dbl + 2) === '' ? [] : head.slice(dbl + 2).split(':');
    const missing = 8 - left.length - right.length;
    if (missing < 1) return undefined;
    groups = [...left, ...new Array<string>(missing).fill('0'), ...right];
  } else {
    groups = head.split(':');
  }
  if (groups.length !== 8) return undefined;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

/** RFC 5952 text: IPv4 dotted, IPv6 lowercase with the longest zero run (≥ 2 groups) as `::`. */
export function formatIP(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let best = -1;
  let bestLen = 0;
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
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (bestLen < 2) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** A map key for an address (its bytes as hex, so 10.0.0.1 and ::ffff:10.0.0.1 differ). */
export function ipKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Labels of the reverse name: 1.0.96.127.in-addr.arpa, or 32 nibbles + ip6.arpa. */
export function reverseName(b: Uint8Array): string {
  if (b.length === 4) return `${b[3]}.${b[2]}.${b[1]}.${b[0]}.in-addr.arpa`;
  const out: string[] = [];
  for (let i = 15; i >= 0; i--) out.push((b[i]! & 0xf).toString(16), (b[i]! >> 4).toString(16));
  return `${out.join('.')}.ip6.arpa`;
}

/**
 * The address of a full reverse name given as lowercase labels (without the arpa suffix check
 * done by the caller): 4 decimal labels before in-addr.arpa, 32 nibbles before ip6.arpa.
 */
export function parseReverse(labels: readonly string[]): Uint8Array | undefined {
  const n = labels.length;
  if (n === 6 && labels[4] === 'in-addr' && labels[5] === 'arpa') {
    const v4 = parseIPv4(`${labels[3]}.${labels[2]}.${labels[1]}.${labels[0]}`);
    return v4;
  }
  if (n === 34 && labels[32] === 'ip6' && labels[33] === 'arpa') {
    const out = new Uint8Array(16);
    for (let i = 0; i < 32; i++) {
      const l = labels[i]!;
      if (l.length !== 1 || !/[0-9a-f]/.test(l)) return undefined;
      const v = parseInt(l, 16);
      const byte = 15 - (i >> 1);
      out[byte] |= i % 2 === 0 ? v : v << 4;
    }
    return out;
  }
  return undefined;
}

/** `10-0-0-1` for 10.0.0.1, `fd00--1` for fd00::1 (CoreDNS's endpoint hostname and Pod name forms). */
export function dashedIP(text: string): string {
  return text.includes(':') ? text.replaceAll(':', '-') : text.replaceAll('.', '-');
}

/** The address of a Pod name label (`a-b-c-d`, or the IPv6 form with '-' for ':'), as CoreDNS reads it. */
export function parsePodLabel(label: string): Uint8Array | undefined {
  const dashes = label.split('-').length - 1;
  if (dashes === 3 && !label.includes('--')) return parseIPv4(label.replaceAll('-', '.'));
  return parseIPv6(label.replaceAll('-', ':'));
}

export interface ByteCIDR {
  bytes: Uint8Array;
  prefix: number;
}

export function parseByteCIDR(text: string): ByteCIDR | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const bytes = parseIP(text.slice(0, slash));
  const prefix = Number(text.slice(slash + 1));
  if (!bytes || !Number.isInteger(prefix) || prefix < 0 || prefix > bytes.length * 8) return undefined;
  return { bytes, prefix };
}

export function cidrContains(c: ByteCIDR, ip: Uint8Array): boolean {
  if (c.bytes.length !== ip.length) return false;
  const full = c.prefix >> 3;
  for (let i = 0; i < full; i++) if (c.bytes[i] !== ip[i]) return false;
  const rest = c.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (c.bytes[full]! & mask) === (ip[full]! & mask);
}

/** The reverse zone that holds a CIDR, rounded out to an octet (IPv4) or nibble (IPv6) boundary. */
export function reverseZoneOf(c: ByteCIDR): string {
  if (c.bytes.length === 4) {
    const octets = c.prefix >> 3;
    const parts: string[] = [];
    for (let i = octets - 1; i >= 0; i--) parts.push(String(c.bytes[i]));
    return [...parts, 'in-addr', 'arpa'].join('.');
  }
  const nibbles = c.prefix >> 2;
  const parts: string[] = [];
  for (let i = nibbles - 1; i >= 0; i--) {
    const byte = c.bytes[i >> 1]!;
    parts.push((i % 2 === 0 ? byte >> 4 : byte & 0xf).toString(16));
  }
  return [...parts, 'ip6', 'arpa'].join('.');
}
