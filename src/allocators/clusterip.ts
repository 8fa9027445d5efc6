// ClusterIP ranges: upstream's ipallocator rules on top of the band allocator.
// Slot n is the address base+1+n: for IPv4 the network and broadcast addresses are never handed
// out; for IPv6 only the network address (the subnet-router anycast) is excluded.
import type { Database } from 'better-sqlite3';
import { parseCIDR, nthIP, offsetOf, type CIDR } from '../apimachinery/ipnet.js';
import { allocateNext, isTaken, release, take, type Band } from './bands.js';

export interface IPRange {
  cidr: CIDR;
  band: Band;
}

/** upstream calculateRangeOffset: 0 for ranges of 16 addresses or fewer, else size/16 clamped to [16, 256]. */
export function clusterIPOffset(cidrSize: bigint): number {
  const min = 16n;
  const max = 256n;
  const step = 16n;
  if (cidrSize <= min) return 0;
  let offset = cidrSize / step;
  if (offset < min) offset = min;
  if (offset > max) offset = max;
  return Number(offset);
}

export function ipRange(text: string): IPRange {
  return addressRange('clusterip', text, true);
}

/**
 * The usable addresses of a CIDR as a band (`<kind>:<cidr>` in the allocations table), with
 * upstream's static band for ClusterIPs, or none (load balancer and Pod addresses).
 */
export function addressRange(kind: string, text: string, staticBand: boolean): IPRange {
  const cidr = parseCIDR(text);
  if (!cidr) throw new Error(`invalid CIDR ${text}`);
  const usable = cidr.family === 4 ? cidr.size - 2n : cidr.size - 1n;
  // Upstream caps the bitmap of large IPv6 ranges at 2^16 addresses... we cap slots the same way.
  const size = Number(usable > 65536n ? 65536n : usable < 0n ? 0n : usable);
  return { cidr, band: { key: `${kind}:${cidr.text}`, size, offset: staticBand ? Math.min(clusterIPOffset(cidr.size), size) : 0 } };
}

export function slotToIP(r: IPRange, slot: number): string {
  return nthIP(r.cidr, BigInt(slot) + 1n);
}

export function ipToSlot(r: IPRange, ip: string): number | undefined {
  const off = offsetOf(r.cidr, ip);
  if (off === undefined) return undefined;
  const slot = off - 1n;
  return slot >= 0n && slot < BigInt(r.band.size) ? Number(slot) : undefined;
}

export type AllocResult = { ok: true; ip: string } | { ok: false; error: string };

/** Takes a specific IP (the user's choice) with upstream's error texts. */
export function allocateIP(db: Database, r: IPRange, ip: string, owner: string): AllocResult {
  const slot = ipToSlot(r, ip);
  if (slot === undefined) {
    return {
      ok: false,
      error: `failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${r.cidr.text}`,
    };
  }
  const holder = isTaken(db, r.band, slot);
  if (holder !== undefined) {
    if (holder === owner) return { ok: true, ip };
    return { ok: false, error: `failed to allocate IP ${ip}: provided IP is already allocated` };
  }
  take(db, r.band, slot, owner);
  return { ok: true, ip };
}

export function allocateNextIP(db: Database, r: IPRange, owner: string): AllocResult {
  const slot = allocateNext(db, r.band, owner);
  if (slot === undefined) return { ok: false, error: 'failed to allocate a serviceIP: range is full' };
  return { ok: true, ip: slotToIP(r, slot) };
}

export function releaseIP(db: Database, r: IPRange, ip: string, owner?: string): void {
  const slot = ipToSlot(r, ip);
  if (slot !== undefined) release(db, r.band, slot, owner);
}
