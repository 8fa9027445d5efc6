// Session affinity (ClientIP with a timeout refreshed by every use) and the order backends are tried in.
import { describe, it, expect } from 'vitest';
import { backendOrder, DEFAULT_AFFINITY_SECONDS, newAffinity, remember, stickyBackend, sweepAffinity } from '../../src/proxy/affinity.js';
import type { Endpoint } from '../../src/proxy/endpoints.js';

const be = (ip: string): Endpoint => ({
  ip,
  port: 80,
  key: `${ip}:80`,
  nodeName: 'n',
  zone: '',
  ready: true,
  serving: true,
  terminating: false,
  local: true,
  zoneHints: new Set(),
});
const A = be('127.244.0.1');
const B = be('127.244.0.2');
const C = be('127.244.0.3');

describe('ClientIP affinity', () => {
  it('defaults to upstream’s 3 hours', () => {
    expect(newAffinity(undefined).timeoutMs).toBe(DEFAULT_AFFINITY_SECONDS * 1000);
    expect(DEFAULT_AFFINITY_SECONDS).toBe(10_800);
  });

  it('sticks a client until timeoutSeconds after its last use, then forgets it', () => {
    const a = newAffinity(10);
    remember(a, '127.0.0.1', B.key, 1_000);
    expect(stickyBackend(a, '127.0.0.1', 1_000)).toBe(B.key);
    expect(stickyBackend(a, '127.0.0.2', 1_000)).toBeUndefined();
    expect(stickyBackend(a, '127.0.0.1', 10_999)).toBe(B.key);
    // A use refreshes the entry; a lookup alone does not.
    remember(a, '127.0.0.1', B.key, 10_000);
    expect(stickyBackend(a, '127.0.0.1', 19_999)).toBe(B.key);
    expect(stickyBackend(a, '127.0.0.1', 20_000)).toBeUndefined();
    expect(a.entries.size).toBe(0);
  });

  it('sweeps lapsed entries', () => {
    const a = newAffinity(1);
    remember(a, 'x', A.key, 0);
    remember(a, 'y', A.key, 500);
    sweepAffinity(a, 1_000);
    expect([...a.entries.keys()]).toEqual(['y']);
  });
});

describe('backend order', () => {
  it('starts at the sticky backend when it is still a backend, then the rest in turn', () => {
    expect(backendOrder([A, B, C], B.key)).toEqual([B, C, A]);
    expect(backendOrder([A, C], B.key, () => 0.99)).toEqual([C, A]);
    expect(backendOrder([], A.key)).toEqual([]);
  });

  it('starts at a random backend, spreading evenly', () => {
    expect(backendOrder([A, B, C], undefined, () => 0)).toEqual([A, B, C]);
    expect(backendOrder([A, B, C], undefined, () => 0.5)).toEqual([B, C, A]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 3000; i++) {
      const k = backendOrder([A, B, C])[0]!.key;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const n of counts.values()) expect(n).toBeGreaterThan(800);
    expect(counts.size).toBe(3);
  });
});
