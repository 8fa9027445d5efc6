// Host slots and the registry (issue 20): every pair of slots is disjoint on every range, only
// host-reaching ranges collide, a held slot is skipped, an explicit collision names the cluster.
import { describe, expect, it } from 'vitest';
import { overlaps, slotDefaults, slotOrder, slotRanges, SLOT_COUNT, bindable, type HostRanges } from '../../src/config/slots.js';
import { hostEntries, lease, runningClusters } from '../../src/config/host-registry.js';
import { placeCluster } from '../../src/config/placement.js';
import { resolveConfig } from '../../src/config/options.js';

const rangesOf = (slot: number): HostRanges => {
  const c = resolveConfig({}, 'library', slot);
  return {
    service: [c.serviceCIDR],
    pod: c.podCIDR,
    loadBalancer: c.loadBalancerCIDR,
    nodePorts: c.nodePortRange,
    nodePortAddresses: c.nodePortAddresses,
  };
};

describe('slots', () => {
  it('slot 0 keeps the documented defaults', () => {
    expect(slotDefaults(0)).toEqual({
      serviceCIDR: '127.96.0.0/16',
      podCIDR: '127.244.0.0/16',
      loadBalancerCIDR: '127.240.0.0/16',
      nodePortRange: '30000-32767',
    });
    expect(slotDefaults(1)).toEqual({
      serviceCIDR: '127.100.0.0/18',
      podCIDR: '127.100.64.0/18',
      loadBalancerCIDR: '127.100.128.0/18',
      nodePortRange: '10000-10249',
    });
    expect(slotDefaults(SLOT_COUNT - 1).nodePortRange).toBe('29750-29999');
    expect(() => slotDefaults(SLOT_COUNT)).toThrow(RangeError);
  });

  it('no two slots share an address or a NodePort, and each slot is valid for resolveConfig', () => {
    const all = Array.from({ length: SLOT_COUNT }, (_, i) => rangesOf(i));
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(overlaps(all[i]!, all[j]!)).toEqual([]);
    // and none reaches into the ephemeral ports or 127.0.0.0/16 (the host's own 127.0.0.1, 127.0.0.53, 127.0.1.1)
    for (const r of all) {
      expect(r.nodePorts.base + r.nodePorts.size - 1).toBeLessThan(32768);
      for (const c of [...r.service, r.pod, r.loadBalancer]) expect(c.startsWith('127.0.')).toBe(false);
    }
  });

  it('orders the slots in separate pools: the default data dir first at 0, other data dirs from a slot of their own in 41-80, in-memory clusters 1-40', () => {
    const all = Array.from({ length: SLOT_COUNT }, (_, i) => i);
    for (const o of [slotOrder('in-memory'), slotOrder('default-data-dir'), slotOrder('data-dir', '/a'), slotOrder('data-dir', '/b')])
      expect([...o].sort((x, y) => x - y)).toEqual(all);
    expect(slotOrder('in-memory').slice(0, 2)).toEqual([1, 2]);
    expect(slotOrder('in-memory').at(-1)).toBe(0);
    expect(slotOrder('default-data-dir')[0]).toBe(0);
    expect(slotOrder('data-dir', '/a')[0]).toBeGreaterThanOrEqual(41);
    expect(slotOrder('data-dir', '/a')).toEqual(slotOrder('data-dir', '/a'));
    expect(new Set(['/a', '/b', '/c', '/d'].map((d) => slotOrder('data-dir', d)[0])).size).toBeGreaterThan(1);
  });

  it('compares only what reaches the host: loopback CIDRs, NodePorts on overlapping addresses', () => {
    const a = rangesOf(0);
    expect(
      overlaps(
        { ...a, service: ['10.96.0.0/12'], pod: '10.244.0.0/16', loadBalancer: '10.240.0.0/16', nodePorts: { base: 1, size: 1 } },
        { ...a, service: ['10.96.0.0/12'], pod: '10.244.0.0/16', loadBalancer: '10.240.0.0/16', nodePorts: { base: 2, size: 1 } },
      ),
    ).toEqual([]);
    expect(bindable('10.96.0.0/12')).toBe(false);
    expect(bindable('0.0.0.0/0')).toBe(true);
    expect(overlaps({ ...rangesOf(1), nodePorts: a.nodePorts, nodePortAddresses: ['127.0.0.2/32'] }, a)).toEqual([]);
    expect(overlaps({ ...rangesOf(1), nodePorts: a.nodePorts, nodePortAddresses: ['0.0.0.0/0'] }, a)).toEqual([
      { kind: 'nodePorts', mine: '30000-32767', theirKind: 'nodePorts', theirs: '30000-32767' },
    ]);
    // Across kinds: a Pod CIDR inside another cluster's service CIDR collides.
    expect(overlaps({ ...rangesOf(1), pod: '127.96.5.0/24' }, a)).toEqual([
      { kind: 'pod', mine: '127.96.5.0/24', theirKind: 'service', theirs: '127.96.0.0/16' },
    ]);
  });
});

describe('placement', () => {
  const record = (id: string) => ({ id, name: 'unit', pid: process.pid, kind: 'library' as const, startedAt: Date.now() });

  it('skips held slots, and refuses an explicit range of a running cluster naming it', async () => {
    const first = await placeCluster({
      explicit: new Set(),
      order: slotOrder('in-memory'),
      rangesFor: (s) => rangesOf(s ?? 0),
      record: record('a'),
    });
    const second = await placeCluster({
      explicit: new Set(),
      order: slotOrder('in-memory'),
      rangesFor: (s) => rangesOf(s ?? 0),
      record: record('b'),
    });
    try {
      expect(second.slot).not.toBe(first.slot);
      expect(overlaps(first.ranges, second.ranges)).toEqual([]);
      // The slot is held: a direct lease of it fails.
      expect(await lease(first.slot, { ...record('c'), ranges: first.ranges })).toBeUndefined();
      const reg = await runningClusters();
      expect(
        reg
          .filter((r) => r.id === 'a' || r.id === 'b')
          .map((r) => r.slot)
          .sort(),
      ).toEqual([first.slot, second.slot].sort());
      const taken = first.ranges.service[0]!;
      await expect(
        placeCluster({
          explicit: new Set(['service']),
          order: slotOrder('in-memory'),
          rangesFor: (s) => ({ ...rangesOf(s ?? 0), service: [taken] }),
          record: { ...record('d'), name: 'late' },
        }),
      ).rejects.toThrow(
        `--service-cidr: ${taken} overlaps the service CIDR ${taken} of the running cluster "unit" (pid ${process.pid}, in memory): choose another range, or leave it out to get a free one`,
      );
    } finally {
      await first.lease.release();
      await second.lease.release();
    }
    // Released: the slot is free again.
    const again = await lease(first.slot, { ...record('e'), ranges: first.ranges });
    expect(again).toBeDefined();
    await again!.release();
  });

  it('knows a plain cluster by its slot without asking it, and asks one with ranges of its own', async () => {
    const plain = await placeCluster({
      explicit: new Set(),
      order: slotOrder('in-memory'),
      rangesFor: (s) => rangesOf(s ?? 0),
      record: record('p'),
    });
    const own = await placeCluster({
      explicit: new Set(['pod']),
      order: slotOrder('in-memory'),
      rangesFor: (s) => ({ ...rangesOf(s ?? 0), pod: '127.91.0.0/16' }),
      record: record('q'),
    });
    try {
      const seen = await hostEntries(slotRanges);
      const p = seen.find((e) => e.slot === plain.slot)!;
      expect(p.record).toBeUndefined();
      expect(p.ranges).toEqual(slotRanges(plain.slot!));
      expect((await p.load())?.id).toBe('p');
      const q = seen.find((e) => e.slot === own.slot)!;
      expect(q.record?.id).toBe('q');
      expect(q.ranges.pod).toBe('127.91.0.0/16');
    } finally {
      await plain.lease.release();
      await own.lease.release();
    }
  });
});
