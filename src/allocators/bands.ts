// The allocation rule upstream uses for both ClusterIPs and NodePorts (KEP-3070, KEP-3668): a
// range of `size` slots split at `offset` into a static (lower) band kept for users who pick their
// own value, and a dynamic (upper) band. Dynamic allocation starts at a random slot of the upper
// band and scans; only when the upper band is full does it scan the lower band. A user may take
// any free slot in either band.
//
// Slots live in SQLite (table `allocations`), written inside the caller's transaction: an
// allocation commits or rolls back together with the object that holds it.
import type { Database } from 'better-sqlite3';

export function ensureAllocationTable(db: Database): void {
  db.exec(`CREATE TABLE IF NOT EXISTS allocations (
    range TEXT NOT NULL,
    slot  INTEGER NOT NULL,
    owner TEXT NOT NULL,
    PRIMARY KEY (range, slot)
  ) WITHOUT ROWID`);
}

export interface Band {
  /** Identifies the range in the allocations table, e.g. `clusterip:10.96.0.0/16`. */
  key: string;
  /** Allocatable slots are 0..size-1. */
  size: number;
  /** Slots below this form the static band. */
  offset: number;
}

// Statements are prepared once per connection: allocation runs inside every Service write.
const stmtCache = new WeakMap<Database, ReturnType<typeof prepare>>();
function prepare(db: Database) {
  return {
    owner: db.prepare('SELECT owner FROM allocations WHERE range = ? AND slot = ?'),
    take: db.prepare('INSERT OR IGNORE INTO allocations (range, slot, owner) VALUES (?, ?, ?)'),
    release: db.prepare('DELETE FROM allocations WHERE range = ? AND slot = ?'),
    releaseOwned: db.prepare('DELETE FROM allocations WHERE range = ? AND slot = ? AND owner = ?'),
    count: db.prepare('SELECT count(*) AS n FROM allocations WHERE range = ?'),
    from: db.prepare('SELECT slot FROM allocations WHERE range = ? AND slot >= ? AND slot < ? ORDER BY slot').pluck(),
  };
}
function st(db: Database) {
  let s = stmtCache.get(db);
  if (!s) stmtCache.set(db, (s = prepare(db)));
  return s;
}

export function isTaken(db: Database, band: Band, slot: number): string | undefined {
  const r = st(db).owner.get(band.key, slot) as { owner: string } | undefined;
  return r?.owner;
}

export function take(db: Database, band: Band, slot: number, owner: string): boolean {
  return st(db).take.run(band.key, slot, owner).changes === 1;
}

export function release(db: Database, band: Band, slot: number, owner?: string): void {
  if (owner === undefined) st(db).release.run(band.key, slot);
  else st(db).releaseOwned.run(band.key, slot, owner);
}

export function countTaken(db: Database, band: Band): number {
  return (st(db).count.get(band.key) as { n: number }).n;
}

/** First free slot in [from, to), walking the taken slots in order; cost = length of the taken run. */
function firstFree(db: Database, band: Band, from: number, to: number): number | undefined {
  let want = from;
  for (const slot of st(db).from.iterate(band.key, from, to) as IterableIterator<number>) {
    if (slot !== want) break;
    want++;
  }
  return want < to ? want : undefined;
}

/**
 * Picks a free slot and takes it: upstream's rule is a random start in the upper (dynamic) band,
 * scanning forward with wrap-around, and the lower (static) band only when the upper one is full.
 * Returns undefined when the whole range is full.
 */
export function allocateNext(db: Database, band: Band, owner: string, random = Math.random): number | undefined {
  const scan = (lo: number, hi: number): number | undefined => {
    if (hi <= lo) return undefined;
    const start = lo + Math.floor(random() * (hi - lo));
    // Most ranges are mostly free: one INSERT at the random start usually settles it; only a
    // taken start walks the run of taken slots.
    if (take(db, band, start, owner)) return start;
    const slot = firstFree(db, band, start, hi) ?? firstFree(db, band, lo, start);
    if (slot !== undefined) take(db, band, slot, owner);
    return slot;
  };
  return scan(band.offset, band.size) ?? scan(0, band.offset);
}

/** Slots held by an owner. */
export function slotsOf(db: Database, band: Band, owner: string): number[] {
  return (db.prepare('SELECT slot FROM allocations WHERE range = ? AND owner = ?').all(band.key, owner) as { slot: number }[]).map(
    (r) => r.slot,
  );
}

export function releaseOwner(db: Database, band: Band, owner: string): void {
  db.prepare('DELETE FROM allocations WHERE range = ? AND owner = ?').run(band.key, owner);
}
