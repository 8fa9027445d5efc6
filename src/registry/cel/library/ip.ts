// Kubernetes' CEL IP and CIDR libraries (apiserver/pkg/cel/library/ip.go, cidr.go): ip(), isIP(),
// ip.isCanonical(), cidr(), isCIDR() and their methods, with Go's net/netip semantics: no zones, no
// IPv4-mapped IPv6 addresses, and a CIDR keeps the address it was written with (masked() drops the
// host bits).
import type { Environment } from '@marcbachmann/cel-js';
import { formatIP, parseIP, type IP } from '../../../apimachinery/ipnet.js';
import { goQuote } from '../../../apimachinery/go-format.js';
import { celError } from './errors.js';

export class CelIP {
  constructor(readonly ip: IP) {}
  get bits(): number {
    return this.ip.family === 4 ? 32 : 128;
  }
  toString(): string {
    return formatIP(this.ip.family, this.ip.value);
  }
  equals(o: CelIP): boolean {
    return this.ip.family === o.ip.family && this.ip.value === o.ip.value;
  }
}

export class CelCIDR {
  constructor(
    readonly addr: CelIP,
    readonly prefix: number,
  ) {}
  /** The network address: the address with the host bits cleared. */
  get base(): bigint {
    const host = BigInt(this.addr.bits - this.prefix);
    return (this.addr.ip.value >> host) << host;
  }
  contains(ip: CelIP): boolean {
    if (ip.ip.family !== this.addr.ip.family) return false;
    const host = BigInt(this.addr.bits - this.prefix);
    return ip.ip.value >> host === this.addr.ip.value >> host;
  }
  toString(): string {
    return `${this.addr}/${this.prefix}`;
  }
  equals(o: CelCIDR): boolean {
    return this.prefix === o.prefix && this.addr.equals(o.addr);
  }
}

const isMapped = (ip: IP) => ip.family === 6 && ip.value >> 32n === 0xffffn;

/** netip.ParseAddr with Kubernetes' refusals; the error text upstream reports, or the address. */
function parseAddr(raw: string): CelIP | string {
  if (raw.includes('%')) return `IP address ${goQuote(raw)} with zone value is not allowed`;
  const ip = parseIP(raw);
  if (!ip) return `IP Address ${goQuote(raw)} parse error during conversion from string: ParseAddr(${goQuote(raw)}): unable to parse IP`;
  if (isMapped(ip)) return `IPv4-mapped IPv6 address ${goQuote(raw)} is not allowed`;
  return new CelIP(ip);
}

function parsePrefix(raw: string): CelCIDR | string {
  const bad = `network address parse error during conversion from string: netip.ParsePrefix(${goQuote(raw)})`;
  const slash = raw.lastIndexOf('/');
  if (slash < 0) return `${bad}: no '/'`;
  const ip = parseIP(raw.slice(0, slash));
  if (!ip || raw.slice(0, slash).includes('%')) return `${bad}: ParseAddr(${goQuote(raw.slice(0, slash))}): unable to parse IP`;
  const bitsText = raw.slice(slash + 1);
  const bits = Number(bitsText);
  if (!/^(0|[1-9][0-9]*)$/.test(bitsText) || bits > (ip.family === 4 ? 32 : 128))
    return `${bad}: bad bits after slash: ${goQuote(bitsText)}`;
  if (isMapped(ip)) return `IPv4-mapped IPv6 address ${goQuote(raw)} is not allowed`;
  return new CelCIDR(new CelIP(ip), bits);
}

const must = <T>(v: T | string): T => {
  if (typeof v === 'string') throw celError(v);
  return v;
};

/** Go's netip classifications. */
const inRange = (ip: IP, base: bigint, prefix: number) => {
  const host = BigInt((ip.family === 4 ? 32 : 128) - prefix);
  return ip.value >> host === base >> host;
};
const v4 = (a: number, b: number, c: number, d: number) => BigInt(((a << 24) >>> 0) + (b << 16) + (c << 8) + d);
const isLoopback = (ip: IP) => (ip.family === 4 ? inRange(ip, v4(127, 0, 0, 0), 8) : ip.value === 1n);
const isUnspecified = (ip: IP) => ip.value === 0n;
const isMulticast = (ip: IP) => (ip.family === 4 ? inRange(ip, v4(224, 0, 0, 0), 4) : inRange(ip, 0xffn << 120n, 8));
const isLinkLocalMulticast = (ip: IP) => (ip.family === 4 ? inRange(ip, v4(224, 0, 0, 0), 24) : inRange(ip, 0xff02n << 112n, 16));
const isLinkLocalUnicast = (ip: IP) => (ip.family === 4 ? inRange(ip, v4(169, 254, 0, 0), 16) : inRange(ip, 0xfe80n << 112n, 10));
const isGlobalUnicast = (ip: IP) =>
  !(ip.family === 4 && ip.value === 0xffffffffn) && !isUnspecified(ip) && !isLoopback(ip) && !isMulticast(ip) && !isLinkLocalUnicast(ip);

class IPNamespace {}

export function registerIP(env: Environment): void {
  const I = 'net.IP';
  const C = 'net.CIDR';
  env
    .registerType(I, CelIP)
    .registerType(C, CelCIDR)
    .registerFunction(`ip(string): ${I}`, (s: string) => must(parseAddr(s)))
    .registerFunction('isIP(string): bool', (s: string) => typeof parseAddr(s) !== 'string')
    .registerType('IPNamespace', IPNamespace)
    .registerConstant('ip', 'IPNamespace', new IPNamespace())
    .registerFunction('IPNamespace.isCanonical(string): bool', (_: unknown, s: string) => String(must(parseAddr(s))) === s)
    .registerFunction(`string(${I}): string`, (i: CelIP) => String(i))
    .registerFunction(`${I}.family(): int`, (i: CelIP) => BigInt(i.ip.family))
    .registerFunction(`${I}.isUnspecified(): bool`, (i: CelIP) => isUnspecified(i.ip))
    .registerFunction(`${I}.isLoopback(): bool`, (i: CelIP) => isLoopback(i.ip))
    .registerFunction(`${I}.isLinkLocalMulticast(): bool`, (i: CelIP) => isLinkLocalMulticast(i.ip))
    .registerFunction(`${I}.isLinkLocalUnicast(): bool`, (i: CelIP) => isLinkLocalUnicast(i.ip))
    .registerFunction(`${I}.isGlobalUnicast(): bool`, (i: CelIP) => isGlobalUnicast(i.ip))
    .registerOperator(`${I} == ${I}`, (a: CelIP, b: CelIP) => a.equals(b))
    .registerFunction(`cidr(string): ${C}`, (s: string) => must(parsePrefix(s)))
    .registerFunction('isCIDR(string): bool', (s: string) => typeof parsePrefix(s) !== 'string')
    .registerFunction(`string(${C}): string`, (c: CelCIDR) => String(c))
    .registerFunction(`${C}.containsIP(${I}): bool`, (c: CelCIDR, i: CelIP) => c.contains(i))
    .registerFunction(`${C}.containsIP(string): bool`, (c: CelCIDR, s: string) => c.contains(must(parseAddr(s))))
    .registerFunction(`${C}.containsCIDR(${C}): bool`, (c: CelCIDR, o: CelCIDR) => o.prefix >= c.prefix && c.contains(o.addr))
    .registerFunction(`${C}.containsCIDR(string): bool`, (c: CelCIDR, s: string) => {
      const o = must(parsePrefix(s));
      return o.prefix >= c.prefix && c.contains(o.addr);
    })
    .registerFunction(`${C}.ip(): ${I}`, (c: CelCIDR) => c.addr)
    .registerFunction(`${C}.masked(): ${C}`, (c: CelCIDR) => new CelCIDR(new CelIP({ family: c.addr.ip.family, value: c.base }), c.prefix))
    .registerFunction(`${C}.prefixLength(): int`, (c: CelCIDR) => BigInt(c.prefix))
    .registerOperator(`${C} == ${C}`, (a: CelCIDR, b: CelCIDR) => a.equals(b));
}
