// SQLite layout. Two tables written in one transaction per API write:
//  - objects: the current state, one row per (resource, namespace, name), for fast get/list;
//  - changes: the change log, one row per revision (rev = resourceVersion), for watch replay,
//    exact-revision lists and paginated snapshots. `prev` holds the object as it was before the
//    change, so the state of any key at any retained revision R is known without older rows:
//    it is `prev` of the key's first change after R (kine keeps whole old rows for the same end).
// Compaction deletes change rows up to a horizon; meta.compact_rev remembers it (410 below it).
import type { Database } from 'better-sqlite3';

export const SCHEMA_VERSION = 1;

export function createSchema(db: Database): void {
  // The change log has no secondary index on purpose: it is bounded by compaction, replay reads a
  // rev range of the primary key, and every index would cost a page write on every commit.
  db.exec(`
    CREATE TABLE IF NOT EXISTS meta (
      key   TEXT PRIMARY KEY,
      value INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS objects (
      resource  TEXT NOT NULL,
      namespace TEXT NOT NULL,
      name      TEXT NOT NULL,
      rev       INTEGER NOT NULL,
      data      TEXT NOT NULL,
      PRIMARY KEY (resource, namespace, name)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS changes (
      rev       INTEGER PRIMARY KEY,
      resource  TEXT NOT NULL,
      namespace TEXT NOT NULL,
      name      TEXT NOT NULL,
      type      INTEGER NOT NULL,
      data      TEXT NOT NULL,
      prev      TEXT,
      at        INTEGER NOT NULL
    );
  `);
  const row = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as { value: number } | undefined;
  if (!row) db.prepare(`INSERT INTO meta (key, value) VALUES ('schema', ?)`).run(SCHEMA_VERSION);
  else if (row.value !== SCHEMA_VERSION) {
    throw new Error(`data dir was written by an incompatible tinykube (schema ${row.value}, this build uses ${SCHEMA_VERSION})`);
  }
}

/** Change types as stored in changes.type. */
export const ADDED = 1;
export const MODIFIED = 2;
export const DELETED = 3;
export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export const CHANGE_NAMES: readonly EventType[] = ['ADDED', 'ADDED', 'MODIFIED', 'DELETED'];
