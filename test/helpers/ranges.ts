// Addresses and ports of a started cluster's ranges. Clusters take their ranges from a host slot
// (src/config/slots.ts) that a test cannot know in advance: tests compute the values they assert
// from the cluster's config (tc.cluster.config) instead of writing 127.96.0.1 and the like.
import { contains, parseCIDR, nthIP as nth } from '../../src/apimachinery/ipnet.js';

/** The n-th address of a CIDR given as text (0 = the network address): nthIP('127.96.0.0/16', 10) = '127.96.0.10'. */
export function nthIP(cidrText: string, n: number): string {
  const c = parseCIDR(cidrText);
  if (!c) throw new Error(`not a CIDR: ${cidrText}`);
  if (n < 0 || BigInt(n) >= c.size) throw new Error(`${cidrText} has no address number ${n}`);
  return nth(c, BigInt(n));
}

/** A NodePort range as the flag and upstream's messages write it: `30000-32767`. */
export function portRangeText(r: { base: number; size: number }): string {
  return `${r.base}-${r.base + r.size - 1}`;
}

/** Whether ip is inside the CIDR given as text. */
export function inCIDR(cidrText: string, ip: string): boolean {
  const c = parseCIDR(cidrText);
  if (!c) throw new Error(`not a CIDR: ${cidrText}`);
  return contains(c, ip);
}

/**
 * The dynamic (upper) band of a NodePort range, where ports are allocated first: upstream's
 * calculateRangeOffset for ports keeps the lowest size/32 ports (clamped to 16-128) for users who
 * pick their own. 30000-32767: 30086-32767.
 */
export function dynamicNodePorts(r: { base: number; size: number }): { first: number; last: number } {
  const offset = r.size < 16 ? 0 : Math.min(Math.max(Math.floor(r.size / 32), 16), 128);
  return { first: r.base + offset, last: r.base + r.size - 1 };
}

/**
 * The default ranges of host slot n, as the README documents them (restated here, not imported,
 * so a change of src/config/slots.ts shows up in the tests): slot 0 = tinykube's historic
 * defaults, slots 1-80 = one /16 of 127.100.0.0-127.179.255.255 each and 250 NodePorts of 10000-29999.
 */
export function slotRanges(n: number): { serviceCIDR: string; podCIDR: string; loadBalancerCIDR: string; nodePortRange: string } {
  if (n === 0)
    return { serviceCIDR: '127.96.0.0/16', podCIDR: '127.244.0.0/16', loadBalancerCIDR: '127.240.0.0/16', nodePortRange: '30000-32767' };
  const first = 10_000 + (n - 1) * 250;
  return {
    serviceCIDR: `127.${99 + n}.0.0/18`,
    podCIDR: `127.${99 + n}.64.0/18`,
    loadBalancerCIDR: `127.${99 + n}.128.0/18`,
    nodePortRange: `${first}-${first + 249}`,
  };
}
