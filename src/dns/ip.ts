// The DNS forms of IP addresses: reverse names (in-addr.arpa, ip6.arpa) and reverse zones, the
// dashed forms of Pod and endpoint names, and map keys of addresses. Addresses themselves are
// read, printed and matched against CIDRs by src/apimachinery/ipnet.ts, the one parser: the DNS
// server works on its byte form (4 or 16 bytes, what A and AAAA records carry), which the DNS
// modules import from here under the names below.
import {
  containsBytes,
  formatIPBytes,
  ipToBytes,
  parseCIDR,
  parseIPBytes,
  parseIPv4Bytes,
  parseIPv6Bytes,
  type CIDR,
} from '../apimachinery/ipnet.js';

// ipnet's byte form under the DNS modules' names: parseIP/formatIP here are bytes, not numbers.
export {
  parseIPBytes as parseIP,
  parseIPv4Bytes as parseIPv4,
  parseIPv6Bytes as parseIPv6,
  formatIPBytes as formatIP,
  parseCIDR as parseByteCIDR,
  containsBytes as cidrContains,
};

/** A CIDR of the cluster's own (service, pod): ipnet's CIDR. */
export type ByteCIDR = CIDR;

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
    return parseIPv4Bytes(`${labels[3]}.${labels[2]}.${labels[1]}.${labels[0]}`);
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
  if (dashes === 3 && !label.includes('--')) return parseIPv4Bytes(label.replaceAll('-', '.'));
  return parseIPv6Bytes(label.replaceAll('-', ':'));
}

/** The reverse zone that holds a CIDR, rounded out to an octet (IPv4) or nibble (IPv6) boundary. */
export function reverseZoneOf(c: CIDR): string {
  const bytes = ipToBytes(c.family, c.base);
  if (c.family === 4) {
    const octets = c.prefix >> 3;
    const parts: string[] = [];
    for (let i = octets - 1; i >= 0; i--) parts.push(String(bytes[i]));
    return [...parts, 'in-addr', 'arpa'].join('.');
  }
  const nibbles = c.prefix >> 2;
  const parts: string[] = [];
  for (let i = nibbles - 1; i >= 0; i--) {
    const byte = bytes[i >> 1]!;
    parts.push((i % 2 === 0 ? byte >> 4 : byte & 0xf).toString(16));
  }
  return [...parts, 'ip6', 'arpa'].join('.');
}
