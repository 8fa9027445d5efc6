// Startup check of the allocation state against the stored Services (upstream's repair loops for
// ClusterIPs and NodePorts). Allocations commit with their Service in one transaction, so drift
// means a bug or a hand-edited database; it is logged and repaired: leaked slots are released,
// missing ones taken, and a slot claimed by two Services is reported (never handed out again).
import type { Logger } from 'pino';
import type { Store } from '../../storage/store.js';
import type { ServiceObj } from './strategy.js';
import { ipToSlot } from '../../allocators/clusterip.js';
import { ipsOf, nodePortsOf, type ServiceAllocators } from './allocation.js';
import { ipFamilyOf } from '../../apimachinery/ipnet.js';

export interface RepairReport {
  released: number;
  restored: number;
  conflicts: number;
}

export function repairServiceAllocations(store: Store, a: ServiceAllocators, log: Logger): RepairReport {
  const report: RepairReport = { released: 0, restored: 0, conflicts: 0 };
  const expected = new Map<string, Map<number, string>>(); // band key -> slot -> owner
  const want = (band: string, slot: number, owner: string) => {
    let m = expected.get(band);
    if (!m) expected.set(band, (m = new Map()));
    const other = m.get(slot);
    if (other && other !== owner) {
      report.conflicts++;
      log.error({ band, slot, services: [other, owner] }, 'one address or port is held by two Services');
      return;
    }
    m.set(slot, owner);
  };
  for (const range of a.ranges.values()) expected.set(range.band.key, new Map());
  expected.set(a.ports.band.key, new Map());

  for (const svc of store.listObjects('services') as ServiceObj[]) {
    const owner = `${svc.metadata.namespace}/${svc.metadata.name}`;
    for (const ip of ipsOf(svc)) {
      const fam = ipFamilyOf(ip);
      const range = fam ? a.ranges.get(fam) : undefined;
      const slot = range ? ipToSlot(range, ip) : undefined;
      if (range && slot !== undefined) want(range.band.key, slot, owner);
    }
    for (const port of nodePortsOf(svc)) {
      const slot = port - a.ports.base;
      if (slot >= 0 && slot < a.ports.size) want(a.ports.band.key, slot, owner);
    }
  }

  // A Service the store could not read still holds its addresses and ports: they are not freed
  // for others while its row waits to be repaired.
  const unreadable = new Set(
    store.unreadable.filter((u) => u.resource === 'services' && !u.preserved).map((u) => `${u.namespace}/${u.name}`),
  );
  store.txn((tx) => {
    const db = tx.sql;
    const rows = db.prepare('SELECT range, slot, owner FROM allocations').all() as { range: string; slot: number; owner: string }[];
    const have = new Map<string, Map<number, string>>();
    for (const r of rows) {
      if (!expected.has(r.range)) continue; // other pools (load balancer) repair themselves
      let m = have.get(r.range);
      if (!m) have.set(r.range, (m = new Map()));
      m.set(r.slot, r.owner);
      const owner = expected.get(r.range)!.get(r.slot);
      if (owner === undefined) {
        if (unreadable.has(r.owner)) continue;
        db.prepare('DELETE FROM allocations WHERE range = ? AND slot = ?').run(r.range, r.slot);
        report.released++;
        log.warn({ band: r.range, slot: r.slot, owner: r.owner }, 'released an allocation no Service holds');
      } else if (owner !== r.owner) {
        db.prepare('UPDATE allocations SET owner = ? WHERE range = ? AND slot = ?').run(owner, r.range, r.slot);
        log.warn({ band: r.range, slot: r.slot, was: r.owner, now: owner }, 'corrected the owner of an allocation');
      }
    }
    for (const [band, slots] of expected) {
      for (const [slot, owner] of slots) {
        if (have.get(band)?.has(slot)) continue;
        db.prepare('INSERT OR IGNORE INTO allocations (range, slot, owner) VALUES (?, ?, ?)').run(band, slot, owner);
        report.restored++;
        log.warn({ band, slot, owner }, 'restored a missing allocation of a stored Service');
      }
    }
  });
  return report;
}
