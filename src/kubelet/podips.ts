// Pod IPs from --pod-cidr (the node's host-local IPAM): one address per Pod sandbox, held in the
// allocations table by the Pod's uid, so a restart of tinykube keeps them and two live Pods never
// share one. Released when the Pod object is gone.
import type { Database } from 'better-sqlite3';
import { addressRange, slotToIP, type IPRange } from '../allocators/clusterip.js';
import { allocateNext, releaseOwner, slotsOf } from '../allocators/bands.js';

export type PodIPPool = IPRange;

export function podIPPool(text: string): PodIPPool {
  return addressRange('podip', text, false);
}

const owner = (uid: string) => `pod:${uid}`;

/** The Pod's address: the one it holds, or a new one. Undefined when the range is full. */
export function podIP(db: Database, pool: PodIPPool, uid: string): string | undefined {
  const held = slotsOf(db, pool.band, owner(uid));
  const slot = held.length ? held[0] : allocateNext(db, pool.band, owner(uid));
  return slot === undefined ? undefined : slotToIP(pool, slot);
}

export function releasePodIP(db: Database, pool: PodIPPool, uid: string): void {
  releaseOwner(db, pool.band, owner(uid));
}

/** Uids holding an address (to release those whose Pod is gone, at start). */
export function podIPOwners(db: Database, pool: PodIPPool): string[] {
  return (db.prepare('SELECT DISTINCT owner FROM allocations WHERE range = ?').pluck().all(pool.band.key) as string[]).map((o) =>
    o.slice(4),
  );
}
