// The store: current objects + change log in SQLite, one global revision, in-memory watch fan-out.
//
// Every write happens inside `txn()`: the revision counter, the object row and the change row
// commit together; watchers are told after the commit, in revision order. better-sqlite3 is
// synchronous, so nothing else in this process runs between a watcher's replay from the log and
// its subscription to live events: no gaps, no duplicates.
//
// Reads never see a write before its COMMIT: with group commit (a file-backed store), writes of
// one loop turn share an open transaction on the write connection, so every read outside a
// transaction goes to a second, read-only connection, which in WAL mode sees committed data only,
// and `rev` outside a transaction is the committed revision. Reads inside a transaction (the
// registry's read-modify-write) use the write connection and see that transaction's own writes.
// A batch whose COMMIT fails (disk full) is rolled back whole, its events are never published and
// the revision counter goes back to the last committed one, so no revision anyone saw is reused.
//
// A row whose JSON does not parse (a damaged disk, a hand edit) never stops the store: every read
// skips it, `onUnreadable` reports it, and it stays in the file as it was (see UnreadableRow).
import Database from 'better-sqlite3';
import type { Database as DB, Statement } from 'better-sqlite3';
import { createSchema, ADDED, MODIFIED, DELETED, CHANGE_NAMES, type EventType } from './schema.js';
import type { KubeObject } from '../apimachinery/types.js';
import { StorageError, expired, tooOldRevision } from './errors.js';
import { sqliteNativeBinding } from '../base/native.js';

/**
 * What a transaction lets hooks do. Reads see the transaction's own writes. Writes made here
 * commit or roll back together with the API write that triggered the hook.
 */
export interface StoreTx {
  readonly rev: number;
  get(resource: string, namespace: string, name: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  create(resource: string, obj: KubeObject): KubeObject;
  update(resource: string, obj: KubeObject): KubeObject;
  delete(resource: string, namespace: string, name: string): KubeObject | undefined;
  /** Raw SQLite access for tables that are not objects (allocator bitmaps). */
  readonly sql: import('better-sqlite3').Database;
}

export interface StoreEvent {
  type: EventType;
  resource: string;
  namespace: string;
  name: string;
  rev: number;
  /** The object after the change (for DELETED: the last state, resourceVersion = deletion rev). */
  object: KubeObject;
  /** The object before the change (MODIFIED and DELETED). */
  prev?: KubeObject;
}

export type Subscriber = (ev: StoreEvent) => void;

export interface StoreOptions {
  /** SQLite file path; undefined = in-memory. */
  file?: string;
  /** Durability: NORMAL survives kill -9 (the WAL is in the OS page cache); FULL survives power loss. */
  synchronous?: 'NORMAL' | 'FULL';
  nativeBinding?: unknown;
  /**
   * Group commit: writes of one event-loop turn share one SQLite transaction (each in its own
   * savepoint, so a failing write rolls back alone). Callers that acknowledge a write to a client
   * await `durable()` first. Off for in-memory stores, where a commit costs nothing.
   */
  groupCommit?: boolean;
}

interface ObjRow {
  rev: number;
  data: string;
}

export interface ListResult {
  rev: number;
  items: { rev: number; data: string; namespace: string; name: string }[];
  /** Set when a limit cut the list: the key to continue after. */
  more?: { namespace: string; name: string };
  remaining?: number;
}

export interface ListOptions {
  namespace?: string;
  /** Serve the list as it was at this revision (exact). Default: current. */
  atRev?: number;
  /** Start after this key (pagination). */
  after?: { namespace: string; name: string };
  limit?: number;
  /** Keep only items passing this predicate (applied before the limit counts). */
  filter?: (obj: KubeObject) => boolean;
}

const keyOf = (ns: string, name: string) => `${ns}\u0000${name}`;
const rowKey = (resource: string, ns: string, name: string) => `${resource}\u0000${ns}\u0000${name}`;

/**
 * A stored object that cannot be read (its JSON does not parse, or is not an object with
 * metadata): found by the first read that meets it or by the check of every row that follows
 * the opening, skipped by every read from then on, left in `objects` as it is.
 */
export interface UnreadableRow {
  resource: string;
  namespace: string;
  name: string;
  rev: number;
  /** Why it cannot be read (the JSON parser's message). */
  error: string;
  /** Set once a create of the same key replaced it: its bytes were kept in `unreadable_objects`. */
  preserved?: boolean;
}

/** A stored row parsed: the object, or why the server cannot serve it. */
function parseStored(data: unknown): { object: KubeObject } | { error: string } {
  if (typeof data !== 'string')
    return { error: `stored as ${data === null ? 'NULL' : Buffer.isBuffer(data) ? 'a BLOB' : typeof data}, not JSON text` };
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch (e) {
    return { error: (e as Error).message };
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { error: 'not a JSON object' };
  const m = (v as { metadata?: unknown }).metadata;
  if (!m || typeof m !== 'object' || Array.isArray(m)) return { error: 'no metadata object' };
  return { object: v as KubeObject };
}

/** Rows checked per step of the background check (about 10-20 ms of JSON parsing in C). */
const CHECK_CHUNK = 500;

export class Store {
  readonly db: DB;
  private revision: number;
  private compactRev: number;
  private readonly subs = new Map<string, Set<Subscriber>>();
  private current: Tx | undefined;
  private readonly groupCommit: boolean;
  /** The open group-commit batch: events to publish and waiters for its COMMIT. */
  private batch: { events: StoreEvent[]; waiters: { resolve(): void; reject(e: unknown): void }[] } | undefined;
  /** Highest revision that is committed (and published). */
  private committed = 0;
  private readonly st: Record<string, Statement>;
  /** The read-only connection and its statements (file-backed group-commit stores only). */
  private readonly rdb: DB | undefined;
  private readonly rst: Record<string, Statement> | undefined;
  private closed = false;
  /** Unreadable rows found at open (see UnreadableRow), and their keys for the reads to skip. */
  readonly unreadable: UnreadableRow[] = [];
  private readonly badKeys = new Set<string>();
  private readonly unreadableListeners = new Set<(u: UnreadableRow) => void>();
  private checkTimer: NodeJS.Immediate | undefined;
  private checkDone: (() => void) | undefined;
  /** Resolves once every stored row has been checked (file-backed stores; see checkAll). */
  readonly checked: Promise<void>;

  constructor(opts: StoreOptions = {}) {
    // Inside the single executable the addon comes from its assets (src/base/native.ts).
    const nativeBinding = opts.nativeBinding ?? sqliteNativeBinding();
    const dbOpts = nativeBinding ? { nativeBinding: nativeBinding as string } : {};
    this.db = new Database(opts.file ?? ':memory:', dbOpts);
    this.groupCommit = !!opts.groupCommit && !!opts.file;
    if (opts.file) {
      this.db.pragma('journal_mode = WAL');
      // One tinykube owns a data dir (its pid file sees to that). Exclusive locking would keep the
      // WAL index in process memory, but then no second connection could read: group commit
      // needs one, so that readers see committed data only.
      if (!this.groupCommit) this.db.pragma('locking_mode = EXCLUSIVE');
      // Point lookups on every write (existence, optimistic concurrency) should hit memory: allow a
      // 16 MiB page cache (grows only as pages are used) and let the WAL grow to 4 MiB between
      // checkpoints so commits append instead of waiting on checkpoint writes.
      this.db.pragma('cache_size = -16384');
      this.db.pragma('wal_autocheckpoint = 1024');
    }
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    this.db.pragma('foreign_keys = OFF');
    createSchema(this.db);
    this.st = this.prepareStatements(this.db);
    if (this.groupCommit) {
      this.rdb = new Database(opts.file!, { ...dbOpts, readonly: true, fileMustExist: true });
      this.rdb.pragma('cache_size = -16384');
      this.rst = this.prepareStatements(this.rdb, true);
    }
    const maxRev = (this.db.prepare('SELECT max(rev) AS r FROM changes').get() as { r: number | null }).r ?? 0;
    const meta = (k: string) =>
      (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(k) as { value: number } | undefined)?.value ?? 0;
    this.compactRev = meta('compact_rev');
    // The log always keeps its newest row, but an empty log after compaction still knows the revision.
    this.revision = Math.max(maxRev, meta('rev'), this.compactRev);
    this.committed = this.revision;
    // One bad row must not keep the cluster from starting, nor take the rest with it. Every read
    // that parses a row tolerates a bad one (it is recorded and skipped); the rows that are only
    // relayed as text (plain lists and gets) are checked by SQLite's JSON parser: here for up to
    // 20 ms (all of a usual database), the rest in the background, a chunk per loop turn, so a
    // large database does not delay the start (20,000 3 KiB objects take about 0.4 s).
    let after: { resource: string; namespace: string; name: string } | undefined;
    if (opts.file) {
      const deadline = performance.now() + 20;
      do after = this.checkChunk(after, CHECK_CHUNK);
      while (after && performance.now() < deadline);
    }
    this.checked = after ? new Promise((resolve) => this.scheduleCheck(after, (this.checkDone = resolve))) : Promise.resolve();
  }

  private scheduleCheck(after: { resource: string; namespace: string; name: string } | undefined, done: () => void): void {
    this.checkTimer = setImmediate(() => {
      this.checkTimer = undefined;
      if (this.closed) return done();
      let next: typeof after;
      try {
        next = this.checkChunk(after, CHECK_CHUNK);
      } catch {
        next = undefined; // a closing or failing database: nothing more to check
      }
      if (next) this.scheduleCheck(next, done);
      else done();
    });
  }

  /**
   * Checks up to `limit` rows after the key `after` (SQLite's json_valid, then JSON.parse for the
   * suspects); returns the last key checked, or undefined at the end.
   */
  private checkChunk(after: { resource: string; namespace: string; name: string } | undefined, limit: number) {
    const rows = this.db
      .prepare(
        `SELECT resource, namespace, name, rev,
                CASE WHEN typeof(data) != 'text' THEN data
                     WHEN NOT json_valid(data) THEN data
                     WHEN json_type(data) != 'object' OR json_type(data, '$.metadata') IS NOT 'object' THEN data END AS suspect
         FROM objects ${after ? 'WHERE (resource, namespace, name) > (?, ?, ?)' : ''}
         ORDER BY resource, namespace, name LIMIT ?`,
      )
      .all(...(after ? [after.resource, after.namespace, after.name] : []), limit) as {
      resource: string;
      namespace: string;
      name: string;
      rev: number;
      suspect: unknown;
    }[];
    for (const r of rows) {
      if (r.suspect === null || r.suspect === undefined) continue;
      const p = parseStored(r.suspect);
      if ('error' in p) this.noteUnreadable(r.resource, r.namespace, r.name, r.rev, p.error);
    }
    const last = rows[rows.length - 1];
    return rows.length === limit && last ? { resource: last.resource, namespace: last.namespace, name: last.name } : undefined;
  }

  /** Checks every stored row now (tests; the store does it in the background by itself). */
  checkAll(): void {
    let after: { resource: string; namespace: string; name: string } | undefined;
    do after = this.checkChunk(after, CHECK_CHUNK);
    while (after);
  }

  /** Called with every unreadable row found from now on. */
  onUnreadable(fn: (u: UnreadableRow) => void): () => void {
    this.unreadableListeners.add(fn);
    return () => this.unreadableListeners.delete(fn);
  }

  private noteUnreadable(resource: string, namespace: string, name: string, rev: number, error: string): void {
    const k = rowKey(resource, namespace, name);
    if (this.badKeys.has(k)) return;
    this.badKeys.add(k);
    const u: UnreadableRow = { resource, namespace, name, rev, error };
    this.unreadable.push(u);
    for (const fn of this.unreadableListeners) {
      try {
        fn(u);
      } catch {
        /* a reporter's failure is its own */
      }
    }
  }

  /** A stored row as an object; an unreadable one is recorded and read as absent. */
  private parseRow(resource: string, namespace: string, name: string, row: { rev: number; data: unknown }): KubeObject | undefined {
    const p = parseStored(row.data);
    if ('object' in p) return p.object;
    this.noteUnreadable(resource, namespace, name, row.rev, p.error);
    return undefined;
  }

  /** @internal Tx's parse of a row it read with getRaw. */
  parseRaw(resource: string, namespace: string, name: string, row: ObjRow): KubeObject | undefined {
    return this.parseRow(resource, namespace, name, row);
  }

  /** Leaves unreadable rows out (free when there are none). */
  private readable<T extends { namespace: string; name: string }>(resource: string, rows: T[]): T[] {
    return this.badKeys.size ? rows.filter((r) => !this.badKeys.has(rowKey(resource, r.namespace, r.name))) : rows;
  }

  private isBad(resource: string, ns: string, name: string): boolean {
    return this.badKeys.size > 0 && this.badKeys.has(rowKey(resource, ns, name));
  }

  /**
   * A create is about to take the key of an unreadable row (to every reader the key is free, and
   * the cluster's own objects must come back). Its bytes are copied to `unreadable_objects` first,
   * in the same transaction, so nothing that was in the file is lost.
   * @internal
   */
  preserveUnreadable(resource: string, ns: string, name: string): void {
    if (!this.isBad(resource, ns, name)) return;
    this.db.exec(`CREATE TABLE IF NOT EXISTS unreadable_objects (
      resource TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL, rev INTEGER NOT NULL, data, replaced_at INTEGER NOT NULL)`);
    this.db
      .prepare(
        'INSERT INTO unreadable_objects SELECT resource, namespace, name, rev, data, ? FROM objects WHERE resource = ? AND namespace = ? AND name = ?',
      )
      .run(Date.now(), resource, ns, name);
    this.st.del!.run(resource, ns, name);
    this.badKeys.delete(rowKey(resource, ns, name));
    for (const u of this.unreadable) if (u.resource === resource && u.namespace === ns && u.name === name) u.preserved = true;
  }

  private prepareStatements(db: DB, readOnly = false): Record<string, Statement> {
    const st: Record<string, Statement> = {
      get: db.prepare('SELECT rev, data FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      // Existence/revision checks read only the key and rev, never copy the object's JSON.
      revOf: db.prepare('SELECT rev FROM objects WHERE resource = ? AND namespace = ? AND name = ?').pluck(),
      listAll: db.prepare('SELECT namespace, name, rev, data FROM objects WHERE resource = ? ORDER BY namespace, name'),
      listNs: db.prepare('SELECT namespace, name, rev, data FROM objects WHERE resource = ? AND namespace = ? ORDER BY name'),
      listAllAfter: db.prepare(
        'SELECT namespace, name, rev, data FROM objects WHERE resource = ? AND (namespace > ? OR (namespace = ? AND name > ?)) ORDER BY namespace, name',
      ),
      listNsAfter: db.prepare(
        'SELECT namespace, name, rev, data FROM objects WHERE resource = ? AND namespace = ? AND name > ? ORDER BY name',
      ),
      count: db.prepare('SELECT count(*) AS n FROM objects WHERE resource = ?'),
      changesAfter: db.prepare('SELECT rev, namespace, name, type, data, prev FROM changes WHERE resource = ? AND rev > ? ORDER BY rev'),
    };
    if (!readOnly) {
      st.put = db.prepare('INSERT OR REPLACE INTO objects (resource, namespace, name, rev, data) VALUES (?, ?, ?, ?, ?)');
      st.del = db.prepare('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?');
      st.log = db.prepare('INSERT INTO changes (rev, resource, namespace, name, type, data, prev, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      st.setMeta = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    }
    return st;
  }

  /** A read statement: the write connection inside a transaction, else the committed view. */
  private r(name: string): Statement {
    return (this.current || !this.rst ? this.st : this.rst)[name]!;
  }

  /**
   * The revision: inside a transaction the newest (its own writes included); outside, the newest
   * committed one, the only one a reader may be shown.
   */
  get rev(): number {
    return this.current ? this.revision : this.committed;
  }

  /** Revisions at or below this are compacted: watching or listing from them is 410 Expired. */
  get compactedRev(): number {
    return this.compactRev;
  }

  /**
   * Runs fn in one SQLite transaction. Re-entrant: a hook that writes inside an outer write joins
   * its transaction. Events are delivered after the outermost commit; a throw rolls back all.
   */
  txn<T>(fn: (tx: Tx) => T): T {
    if (this.current) return fn(this.current);
    if (this.closed) throw new Error('store is closed');
    if (this.groupCommit) return this.batchedTxn(fn);
    const tx = new Tx(this);
    this.current = tx;
    const startRev = this.revision;
    let result: T;
    try {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        result = fn(tx);
        this.db.exec('COMMIT');
      } catch (e) {
        rollback(this.db, 'ROLLBACK');
        this.revision = startRev;
        throw e;
      }
    } finally {
      this.current = undefined;
    }
    this.committed = this.revision;
    for (const ev of tx.events) this.publish(ev);
    return result;
  }

  /** txn() under group commit: a savepoint inside the batch transaction of this loop turn. */
  private batchedTxn<T>(fn: (tx: Tx) => T): T {
    if (!this.batch) {
      this.db.exec('BEGIN IMMEDIATE');
      this.batch = { events: [], waiters: [] };
      setImmediate(() => this.commitBatch());
    }
    const tx = new Tx(this);
    this.current = tx;
    const startRev = this.revision;
    let result: T;
    try {
      this.db.exec('SAVEPOINT w');
      try {
        result = fn(tx);
        this.db.exec('RELEASE w');
      } catch (e) {
        rollback(this.db, 'ROLLBACK TO w');
        rollback(this.db, 'RELEASE w');
        this.revision = startRev;
        throw e;
      }
    } finally {
      this.current = undefined;
    }
    this.batch.events.push(...tx.events);
    return result;
  }

  private commitBatch(): void {
    const b = this.batch;
    if (!b) return;
    this.batch = undefined;
    try {
      this.db.exec('COMMIT');
    } catch (e) {
      // Nothing of the batch was shown to anyone (reads and watches see committed data only, the
      // writers are answered after the commit): forget it whole, revisions included.
      rollback(this.db, 'ROLLBACK');
      this.revision = this.committed;
      for (const w of b.waiters) w.reject(e);
      return;
    }
    this.committed = this.revision;
    for (const w of b.waiters) w.resolve();
    for (const ev of b.events) this.publish(ev);
  }

  /** True while a group-commit batch is open (its events are not yet published). */
  get batchOpen(): boolean {
    return !!this.batch;
  }

  /** Resolves once every write made so far is committed (immediately without group commit). */
  durable(): Promise<void> {
    const b = this.batch;
    if (!b) return Promise.resolve();
    return new Promise((resolve, reject) => b.waiters.push({ resolve, reject }));
  }

  /** Read one object (outside a transaction, or inside one: SQLite sees the tx's writes). */
  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    if (this.isBad(resource, namespace, name)) return undefined;
    const row = this.r('get').get(resource, namespace, name) as ObjRow | undefined;
    return row ? this.parseRow(resource, namespace, name, row) : undefined;
  }

  getRaw(resource: string, namespace: string, name: string): ObjRow | undefined {
    if (this.isBad(resource, namespace, name)) return undefined;
    return this.r('get').get(resource, namespace, name) as ObjRow | undefined;
  }

  /** The stored revision of an object, undefined if absent. */
  revOf(resource: string, namespace: string, name: string): number | undefined {
    return this.r('revOf').get(resource, namespace, name) as number | undefined;
  }

  count(resource: string): number {
    const n = (this.r('count').get(resource) as { n: number }).n;
    return this.badKeys.size ? n - this.unreadable.filter((u) => u.resource === resource && !u.preserved).length : n;
  }

  /** Parsed current objects of a resource (optionally one namespace). */
  listObjects(resource: string, namespace?: string): KubeObject[] {
    const rows = (namespace === undefined ? this.r('listAll').all(resource) : this.r('listNs').all(resource, namespace)) as (ObjRow & {
      namespace: string;
      name: string;
    })[];
    const out: KubeObject[] = [];
    for (const r of this.readable(resource, rows)) {
      const o = this.parseRow(resource, r.namespace, r.name, r);
      if (o) out.push(o);
    }
    return out;
  }

  /**
   * List with pagination and snapshots. Items come sorted by (namespace, name), as JSON strings
   * (callers that only relay them never parse them: that keeps a 10,000-item list cheap).
   */
  list(resource: string, opts: ListOptions = {}): ListResult {
    const at = opts.atRev;
    if (at !== undefined && at < this.rev) return this.listAt(resource, at, opts);
    const rows = this.currentRows(resource, opts.namespace, opts.after);
    return this.page(resource, rows, this.rev, opts);
  }

  private currentRows(resource: string, ns: string | undefined, after: ListOptions['after']) {
    type Row = { namespace: string; name: string; rev: number; data: string };
    let rows: Row[];
    if (ns === undefined) {
      rows = (
        after ? this.r('listAllAfter').all(resource, after.namespace, after.namespace, after.name) : this.r('listAll').all(resource)
      ) as Row[];
    } else if (after && after.namespace !== ns) rows = after.namespace < ns ? (this.r('listNs').all(resource, ns) as Row[]) : [];
    else rows = (after ? this.r('listNsAfter').all(resource, ns, after.name) : this.r('listNs').all(resource, ns)) as Row[];
    return this.readable(resource, rows);
  }

  private page(resource: string, rows: ListResult['items'], rev: number, opts: ListOptions): ListResult {
    const { filter, limit } = opts;
    if (!filter && !limit) return { rev, items: rows };
    const items: ListResult['items'] = [];
    let i = 0;
    for (; i < rows.length; i++) {
      const r = rows[i]!;
      if (filter) {
        const o = this.parseRow(resource, r.namespace, r.name, r);
        if (!o || !filter(o)) continue;
      }
      if (limit && items.length === limit) break;
      items.push(r);
    }
    if (limit && i < rows.length) {
      const last = items[items.length - 1]!;
      // Upstream reports remainingItemCount only when no selector filtered the list.
      return { rev, items, more: { namespace: last.namespace, name: last.name }, remaining: filter ? undefined : rows.length - i };
    }
    return { rev, items };
  }

  /** The list as it was at revision `at` (exact), from current rows and the change log's `prev`. */
  private listAt(resource: string, at: number, opts: ListOptions): ListResult {
    if (at < this.compactRev) {
      throw expired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    }
    const state = new Map<string, { namespace: string; name: string; rev: number; data: string } | null>();
    const changed = this.r('changesAfter').all(resource, at) as {
      rev: number;
      namespace: string;
      name: string;
      type: number;
      prev: string | null;
    }[];
    for (const c of changed) {
      const k = keyOf(c.namespace, c.name);
      if (state.has(k)) continue;
      // The first change after `at` tells what the key was at `at`: nothing if it was created then.
      if (c.type === ADDED || c.prev === null) state.set(k, null);
      else {
        const prev = parseOrUndefined(c.prev);
        // An unreadable log row: the key is left out of the snapshot rather than failing the list.
        if (!prev) state.set(k, null);
        else state.set(k, { namespace: c.namespace, name: c.name, rev: Number(prev.metadata.resourceVersion), data: c.prev });
      }
    }
    const rows: ListResult['items'] = [];
    for (const r of this.currentRows(resource, opts.namespace, undefined) as ListResult['items']) {
      if (!state.has(keyOf(r.namespace, r.name))) rows.push(r);
    }
    for (const v of state.values()) if (v && (opts.namespace === undefined || v.namespace === opts.namespace)) rows.push(v);
    rows.sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    let start = 0;
    if (opts.after) {
      const { namespace, name } = opts.after;
      while (
        start < rows.length &&
        (rows[start]!.namespace < namespace || (rows[start]!.namespace === namespace && rows[start]!.name <= name))
      )
        start++;
    }
    return this.page(resource, start ? rows.slice(start) : rows, at, opts);
  }

  /**
   * Subscribe to changes of one resource after revision `fromRev` (replayed from the log, then
   * live). Throws 410 Expired when fromRev is compacted. Returns the unsubscribe function.
   */
  watch(resource: string, fromRev: number, fn: Subscriber): () => void {
    if (fromRev < this.compactRev) throw tooOldRevision(fromRev, this.compactRev + 1);
    // Replay committed changes only; changes of an open batch arrive live when it commits. Live
    // events at or below what was replayed (or below fromRev) are dropped: no duplicates.
    let seen = fromRev;
    if (fromRev < this.committed) {
      const rows = this.r('changesAfter').all(resource, fromRev) as {
        rev: number;
        namespace: string;
        name: string;
        type: number;
        data: string;
        prev: string | null;
      }[];
      for (const r of rows) {
        if (r.rev > this.committed) break;
        seen = r.rev;
        const object = parseOrUndefined(r.data);
        // An unreadable log row is skipped: the watch goes on with the next change.
        if (!object) continue;
        fn({
          type: CHANGE_NAMES[r.type]!,
          resource,
          namespace: r.namespace,
          name: r.name,
          rev: r.rev,
          object,
          prev: r.prev ? parseOrUndefined(r.prev) : undefined,
        });
      }
    }
    return this.subscribe(resource, (ev) => {
      if (ev.rev > seen) fn(ev);
    });
  }

  /** Live events only. */
  subscribe(resource: string, fn: Subscriber): () => void {
    let set = this.subs.get(resource);
    if (!set) this.subs.set(resource, (set = new Set()));
    set.add(fn);
    return () => {
      set!.delete(fn);
    };
  }

  watcherCount(resource?: string): number {
    if (resource) return this.subs.get(resource)?.size ?? 0;
    let n = 0;
    for (const s of this.subs.values()) n += s.size;
    return n;
  }

  private publish(ev: StoreEvent): void {
    const set = this.subs.get(ev.resource);
    if (!set) return;
    for (const fn of set) {
      try {
        fn(ev);
      } catch {
        // A failing subscriber must not stop delivery to the others; subscribers log their own errors.
      }
    }
  }

  /**
   * Deletes change rows at or below the horizon: everything older than maxAgeMs, and everything
   * beyond the newest keepRevisions. The newest row always stays. Returns the new compact revision.
   */
  compact(opts: { maxAgeMs: number; keepRevisions: number; now?: number }): { compactRev: number; deleted: number } {
    const now = opts.now ?? Date.now();
    const byCount = this.revision - opts.keepRevisions;
    const byAge =
      (this.db.prepare('SELECT max(rev) AS r FROM changes WHERE at < ?').get(now - opts.maxAgeMs) as { r: number | null }).r ?? 0;
    const horizon = Math.min(Math.max(byCount, byAge), this.revision - 1);
    if (horizon <= this.compactRev) return { compactRev: this.compactRev, deleted: 0 };
    const info = this.db.transaction(() => {
      const res = this.db.prepare('DELETE FROM changes WHERE rev <= ?').run(horizon);
      this.st.setMeta!.run('compact_rev', horizon);
      this.st.setMeta!.run('rev', this.revision);
      return res;
    })();
    this.compactRev = horizon;
    return { compactRev: horizon, deleted: info.changes };
  }

  close(): void {
    if (this.closed) return;
    this.commitBatch();
    this.closed = true;
    this.subs.clear();
    if (this.checkTimer) clearImmediate(this.checkTimer);
    this.checkDone?.();
    this.unreadableListeners.clear();
    this.rdb?.close(); // before the checkpoint, which wants no readers
    try {
      this.st.setMeta!.run('rev', this.revision);
      if (this.db.pragma('journal_mode', { simple: true }) === 'wal') this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.db.close();
    }
  }

  // ---- used by Tx ----
  /** @internal */ nextRev(): number {
    return ++this.revision;
  }
  /** @internal */ stmt(name: string): Statement {
    return this.st[name]!;
  }
}

/** A write transaction. Objects passed in are not mutated except for metadata.resourceVersion. */
export class Tx implements StoreTx {
  readonly events: StoreEvent[] = [];
  readonly now = Date.now();
  constructor(private readonly store: Store) {}

  get rev(): number {
    return this.store.rev;
  }
  get sql(): DB {
    return this.store.db;
  }

  get(resource: string, namespace: string, name: string): KubeObject | undefined {
    return this.store.get(resource, namespace, name);
  }

  list(resource: string, namespace?: string): KubeObject[] {
    return this.store.listObjects(resource, namespace);
  }

  /** Existence without parsing the stored JSON. */
  exists(resource: string, namespace: string, name: string): boolean {
    return this.store.revOf(resource, namespace, name) !== undefined;
  }

  /** Insert; AlreadyExists if the key exists. Sets metadata.resourceVersion. */
  create(resource: string, obj: KubeObject): KubeObject {
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name!;
    // An unreadable row of the same key is free to every reader: it is kept aside, then replaced.
    this.store.preserveUnreadable(resource, ns, name);
    if (this.store.revOf(resource, ns, name) !== undefined) {
      throw new StorageError('KeyExists', resource, name, `key exists: ${resource}/${ns}/${name}`);
    }
    return this.write(resource, obj, ADDED, null);
  }

  /**
   * Replace. If obj.metadata.resourceVersion is set it must match the stored one (optimistic
   * concurrency); callers that already checked pass the stored value.
   */
  update(resource: string, obj: KubeObject): KubeObject {
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name!;
    const cur = this.store.getRaw(resource, ns, name);
    if (!cur) throw new StorageError('KeyNotFound', resource, name, `key not found: ${resource}/${ns}/${name}`);
    const want = obj.metadata.resourceVersion;
    if (want && want !== String(cur.rev))
      throw new StorageError('Conflict', resource, name, `revision conflict: ${resource}/${ns}/${name} is at ${cur.rev}, not ${want}`);
    return this.write(resource, obj, MODIFIED, cur.data);
  }

  delete(resource: string, namespace: string, name: string): KubeObject | undefined {
    const cur = this.store.getRaw(resource, namespace, name);
    if (!cur) return undefined;
    // An unreadable row is never deleted: to every reader it is not there.
    const obj = this.store.parseRaw(resource, namespace, name, cur);
    if (!obj) return undefined;
    return this.write(resource, obj, DELETED, cur.data);
  }

  private write(resource: string, obj: KubeObject, type: number, prev: string | null): KubeObject {
    const rev = this.store.nextRev();
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name!;
    const out: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rev) } };
    const data = JSON.stringify(out);
    if (type === DELETED) this.store.stmt('del').run(resource, ns, name);
    else this.store.stmt('put').run(resource, ns, name, rev, data);
    this.store.stmt('log').run(rev, resource, ns, name, type, data, prev, this.now);
    this.events.push({
      type: CHANGE_NAMES[type]!,
      resource,
      namespace: ns,
      name,
      rev,
      object: out,
      prev: prev ? parseOrUndefined(prev) : undefined,
    });
    return out;
  }
}

/** A stored JSON object, or undefined when the text does not parse to one. */
function parseOrUndefined(data: string): KubeObject | undefined {
  try {
    const v = JSON.parse(data) as KubeObject;
    return v && typeof v === 'object' && v.metadata && typeof v.metadata === 'object' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Storage resource key (`services`, `discovery.k8s.io/endpointslices`) → group/resource. */
export function groupResource(resource: string): { group: string; resource: string } {
  const i = resource.lastIndexOf('/');
  return i < 0 ? { group: '', resource } : { group: resource.slice(0, i), resource: resource.slice(i + 1) };
}

/** A rollback step that may find the transaction already gone (SQLite rolls back on some errors). */
function rollback(db: DB, sql: string): void {
  try {
    db.exec(sql);
  } catch {
    /* already rolled back */
  }
}
