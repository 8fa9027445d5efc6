// NodePort range: upstream's portallocator band rule (KEP-3668) on top of the band allocator.
import type { Database } from 'better-sqlite3';
import { allocateNext, isTaken, release, take, type Band } from './bands.js';

export interface PortRange {
  base: number;
  size: number;
  band: Band;
}

/** upstream calculateRangeOffset for ports: 0 below 16, else size/32 clamped to [16, 128]. */
export function nodePortOffset(size: number): number {
  const min = 16;
  const max = 128;
  const step = 32;
  if (size < min) return 0;
  return Math.min(Math.max(Math.floor(size / step), min), max);
}

export function portRange(base: number, size: number): PortRange {
  return { base, size, band: { key: `nodeport:${base}+${size}`, size, offset: nodePortOffset(size) } };
}

export function rangeText(r: PortRange): string {
  return `${r.base}-${r.base + r.size - 1}`;
}

export type PortResult = { ok: true; port: number } | { ok: false; error: string };

export function allocatePort(db: Database, r: PortRange, port: number, owner: string): PortResult {
  const slot = port - r.base;
  if (slot < 0 || slot >= r.size) {
    return { ok: false, error: `provided port is not in the valid range. The range of valid ports is ${rangeText(r)}` };
  }
  const holder = isTaken(db, r.band, slot);
  if (holder !== undefined) {
    if (holder === owner) return { ok: true, port };
    return { ok: false, error: 'provided port is already allocated' };
  }
  take(db, r.band, slot, owner);
  return { ok: true, port };
}

export function allocateNextPort(db: Database, r: PortRange, owner: string): PortResult {
  const slot = allocateNext(db, r.band, owner);
  if (slot === undefined) return { ok: false, error: 'range is full' };
  return { ok: true, port: r.base + slot };
}

export function releasePort(db: Database, r: PortRange, port: number, owner?: string): void {
  const slot = port - r.base;
  if (slot >= 0 && slot < r.size) release(db, r.band, slot, owner);
}
