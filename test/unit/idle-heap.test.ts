import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { shrinkHeapWhenIdle } from '../../src/base/idle-heap.js';

const newSpace = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_size;

describe('shrinkHeapWhenIdle', () => {
  it('collects once the thread is idle, and the young generation shrinks', async () => {
    // Objects that survive a few scavenges make V8 grow the young generation past its 1 MB start.
    const keep: unknown[] = [];
    for (let i = 0; newSpace() <= 2 * 1024 * 1024 && i < 5e6; i++) keep.push({ i, s: `item ${i}` });
    const before = newSpace();
    expect(before).toBeGreaterThan(2 * 1024 * 1024);
    keep.length = 0;
    expect(await shrinkHeapWhenIdle({ windowMs: 20, maxBusy: 1 })).toBe(true);
    expect(newSpace()).toBeLessThan(before);
  });

  it('leaves a thread that stays busy to V8', async () => {
    const before = newSpace();
    // No utilization is at most -1: every window counts as busy.
    expect(await shrinkHeapWhenIdle({ windowMs: 5, maxBusy: -1, attempts: 3 })).toBe(false);
    expect(newSpace()).toBeGreaterThanOrEqual(before);
  });
});
