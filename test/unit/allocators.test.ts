import { describe, it, expect } from 'vitest';
import Database from 'better-sqlite3';
import { ensureAllocationTable, allocateNext, countTaken, type Band } from '../../src/allocators/bands.js';
import { allocateIP, allocateNextIP, clusterIPOffset, ipRange, releaseIP, slotToIP } from '../../src/allocators/clusterip.js';
import { allocateNextPort, allocatePort, nodePortOffset, portRange, releasePort } from '../../src/allocators/nodeport.js';

function db() {
  const d = new Database(':memory:');
  ensureAllocationTable(d);
  return d;
}

describe('static band offsets (upstream calculateRangeOffset)', () => {
  it('ClusterIP: 0 up to 16 addresses, size/16 clamped to [16,256]', () => {
    expect(clusterIPOffset(16n)).toBe(0);
    expect(clusterIPOffset(32n)).toBe(16);
    expect(clusterIPOffset(256n)).toBe(16);
    expect(clusterIPOffset(4096n)).toBe(256);
    expect(clusterIPOffset(65536n)).toBe(256);
  });
  it('NodePort: 86 for 30000-32767', () => {
    expect(nodePortOffset(2768)).toBe(86);
    expect(nodePortOffset(15)).toBe(0);
    expect(nodePortOffset(100)).toBe(16);
    expect(nodePortOffset(10000)).toBe(128);
  });
});

describe('band allocation', () => {
  it('fills the upper band first, then the lower band, never twice', () => {
    const d = db();
    const band: Band = { key: 't', size: 40, offset: 10 };
    const got: number[] = [];
    for (let i = 0; i < 40; i++) got.push(allocateNext(d, band, `o${i}`)!);
    expect(new Set(got).size).toBe(40);
    expect(got.slice(0, 30).every((s) => s >= 10)).toBe(true);
    expect(got.slice(30).every((s) => s < 10)).toBe(true);
    expect(allocateNext(d, band, 'x')).toBeUndefined();
    expect(countTaken(d, band)).toBe(40);
  });
  it('scans forward with wrap-around from the random start', () => {
    const d = db();
    const band: Band = { key: 't', size: 20, offset: 0 };
    expect(allocateNext(d, band, 'a', () => 0.95)).toBe(19);
    expect(allocateNext(d, band, 'b', () => 0.95)).toBe(0);
    expect(allocateNext(d, band, 'c', () => 0.95)).toBe(1);
  });
});

describe('ClusterIP range', () => {
  it('excludes network and broadcast and honours user choices with upstream errors', () => {
    const d = db();
    const r = ipRange('10.96.0.0/24');
    expect(r.band.size).toBe(254);
    expect(slotToIP(r, 0)).toBe('10.96.0.1');
    expect(allocateIP(d, r, '10.96.0.20', 'a')).toEqual({ ok: true, ip: '10.96.0.20' });
    expect(allocateIP(d, r, '10.96.0.20', 'b')).toEqual({
      ok: false,
      error: 'failed to allocate IP 10.96.0.20: provided IP is already allocated',
    });
    expect(allocateIP(d, r, '10.96.0.255', 'b')).toEqual({
      ok: false,
      error:
        'failed to allocate IP 10.96.0.255: the provided IP (10.96.0.255) is not in the valid range. The range of valid IPs is 10.96.0.0/24',
    });
    expect(allocateIP(d, r, '10.0.171.239', 'b').ok).toBe(false);
    releaseIP(d, r, '10.96.0.20');
    expect(allocateIP(d, r, '10.96.0.20', 'b').ok).toBe(true);
    for (let i = 0; i < 30; i++) {
      const res = allocateNextIP(d, r, `s${i}`);
      expect(res.ok).toBe(true);
      // upper band: beyond the first 16 usable addresses
      if (res.ok) expect(Number(res.ip.split('.')[3])).toBeGreaterThan(16);
    }
  });
  it('reports a full range', () => {
    const d = db();
    const r = ipRange('10.0.0.0/30');
    expect(allocateNextIP(d, r, 'a').ok).toBe(true);
    expect(allocateNextIP(d, r, 'b').ok).toBe(true);
    expect(allocateNextIP(d, r, 'c')).toEqual({ ok: false, error: 'failed to allocate a serviceIP: range is full' });
  });
});

describe('NodePort range', () => {
  it('dynamic ports come from 30086-32767 first; errors match upstream', () => {
    const d = db();
    const r = portRange(30000, 2768);
    for (let i = 0; i < 50; i++) {
      const p = allocateNextPort(d, r, `s${i}`);
      expect(p.ok && p.port >= 30086 && p.port <= 32767).toBe(true);
    }
    expect(allocatePort(d, r, 30007, 'a')).toEqual({ ok: true, port: 30007 });
    expect(allocatePort(d, r, 30007, 'b')).toEqual({ ok: false, error: 'provided port is already allocated' });
    expect(allocatePort(d, r, 40000, 'b')).toEqual({
      ok: false,
      error: 'provided port is not in the valid range. The range of valid ports is 30000-32767',
    });
    releasePort(d, r, 30007);
    expect(allocatePort(d, r, 30007, 'b').ok).toBe(true);
  });
});
