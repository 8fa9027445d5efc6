// Pod IPs from --pod-cidr (the node's host-local IPAM): one address per Pod sandbox, held in the
// allocations table by the Pod's uid, so a restart of tinykube keeps them and two live Pods never
// share one. Released when the Pod object is gone.
import type { Database } from 'better-sqlite3';
import { parseCIDR, nthIP, offsetOf, type CIDR } from '../allocators/ipnet.js';
import { allocateNext, releaseOwner, slotsOf, type Band } from '../allocators/bands.js';

export interface PodIPPool {
  cidr: CIDR;
  band: Band;
}

export function podIPPool(text: string): PodIPPool {
  const cidr = parseCIDR(text);
  if (!cidr) throw new Error(`invalid pod CIDR ${text}`);
  const usable = cidr.family === 4 ? cidr.size - 2n : cidr.size - 1n;
  return { cidr, band: { key: `podip:${cidr.text}`, size: Number(usable > 65536n ? 65536n : usable), offset: 0 } };
}

const owner = (uid: string) => `pod:${uid}`;

/** The Pod's address: the one it holds, or a new one. Undefined when the range is full. */
export function podIP(db: Database, pool: PodIPPool, uid: string): string | undefined {
  const held = slotsOf(db, pool.band, owner(uid));
  const slot = held.length ? held[0] : allocateNext(db, pool.band, owner(uid));
  return slot === undefined ? undefined : nthIP(pool.cidr, BigInt(slot) + 1n);
}

export function releasePodIP(db: Database, pool: PodIPPool, uid: string): void {
  releaseOwner(db, pool.band, owner(uid));
}

/** Uids holding an address (to release those whose Pod is gone, at start). */
export function podIPOwners(db: Database, pool: PodIPPool): string[] {
  return (db.prepare('SELECT DISTINCT owner FROM allocations WHERE range = ?').pluck().all(pool.band.key) as string[]).map((o) => o.slice(4));
}

export function isPodIP(pool: PodIPPool, ip: string): boolean {
  return offsetOf(pool.cidr, ip) !== undefined;
}
