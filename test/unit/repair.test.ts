import { describe, it, expect } from 'vitest';
import pino from 'pino';
import { Store } from '../../src/storage/store.js';
import { ensureAllocationTable, slotsOf, isTaken } from '../../src/allocators/bands.js';
import { serviceAllocators } from '../../src/registry/service/allocation.js';
import { repairServiceAllocations } from '../../src/registry/service/repair.js';
import { ipToSlot } from '../../src/allocators/clusterip.js';
import { resolveConfig } from '../../src/config/options.js';

describe('startup repair of Service allocations', () => {
  it('releases leaked slots, restores missing ones and reports double claims', () => {
    const store = new Store();
    ensureAllocationTable(store.db);
    const a = serviceAllocators(resolveConfig({ serviceCIDR: '10.96.0.0/24' }));
    const range = a.ranges.get('IPv4')!;
    const svc = (name: string, ip: string, nodePort?: number) => ({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: 'default' },
      spec: {
        type: nodePort ? 'NodePort' : 'ClusterIP',
        clusterIP: ip,
        clusterIPs: [ip],
        ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }],
      },
    });
    store.txn((tx) => {
      tx.create('services', svc('a', '10.96.0.20', 30007));
      tx.create('services', svc('b', '10.96.0.30'));
      tx.create('services', svc('dup', '10.96.0.30'));
      // a's IP is allocated, its nodePort is missing; a slot nobody holds leaked.
      tx.sql.prepare('INSERT INTO allocations VALUES (?, ?, ?)').run(range.band.key, ipToSlot(range, '10.96.0.20'), 'default/a');
      tx.sql.prepare('INSERT INTO allocations VALUES (?, ?, ?)').run(range.band.key, ipToSlot(range, '10.96.0.99'), 'default/gone');
    });
    const report = repairServiceAllocations(store, a, pino({ level: 'silent' }));
    expect(report).toEqual({ released: 1, restored: 2, conflicts: 1 });
    expect(isTaken(store.db, range.band, ipToSlot(range, '10.96.0.99')!)).toBeUndefined();
    expect(slotsOf(store.db, a.ports.band, 'default/a')).toEqual([7]);
    expect(isTaken(store.db, range.band, ipToSlot(range, '10.96.0.30')!)).toBe('default/b');
    // A second run finds nothing to do.
    expect(repairServiceAllocations(store, a, pino({ level: 'silent' }))).toEqual({ released: 0, restored: 0, conflicts: 1 });
    store.close();
  });
});
