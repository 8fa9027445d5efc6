// The store: current objects + change log in SQLite, one global revision, in-memory watch fan-out.
//
// Every write happens inside `txn()`: the revision counter, the object row and the change row
// commit together; watchers are told after the commit, in revision order. better-sqlite3 is
// synchronous, so nothing else in this process runs between a watcher's replay from the log and
// its subscription to live events: no gaps, no duplicates.
import Database from 'better-sqlite3';
import type { Database as DB, Statement } from 'better-sqlite3';
import { createSchema, ADDED, MODIFIED, DELETED, CHANGE_NAMES, type EventType } from './schema.js';
import type { KubeObject, StoreTx } from '../resources/types.js';
import { alreadyExists, conflict, notFound, OPTIMISTIC_LOCK_MESSAGE, resourceExpired, tooOldResourceVersion } from '../api/errors.js';
import { sqliteNativeBinding } from '../native.js';

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
  private closed = false;

  constructor(opts: StoreOptions = {}) {
    // Inside the single executable the addon comes from its assets (src/native.ts).
    const nativeBinding = opts.nativeBinding ?? sqliteNativeBinding();
    const dbOpts = nativeBinding ? { nativeBinding: nativeBinding as string } : {};
    this.db = new Database(opts.file ?? ':memory:', dbOpts);
    if (opts.file) {
      this.db.pragma('journal_mode = WAL');
      // One tinykube owns a data dir: exclusive locking also keeps the WAL index in process memory.
      this.db.pragma('locking_mode = EXCLUSIVE');
      // Point lookups on every write (existence, optimistic concurrency) should hit memory: allow a
      // 16 MiB page cache (grows only as pages are used) and let the WAL grow to 4 MiB between
      // checkpoints so commits append instead of waiting on checkpoint writes.
      this.db.pragma('cache_size = -16384');
      this.db.pragma('wal_autocheckpoint = 1024');
    }
    this.db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`);
    this.db.pragma('foreign_keys = OFF');
    createSchema(this.db);
    this.st = {
      get: this.db.prepare('SELECT rev, data FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      // Existence/revision checks read only the key and rev, never copy the object's JSON.
      revOf: this.db.prepare('SELECT rev FROM objects WHERE resource = ? AND namespace = ? AND name = ?').pluck(),
      put: this.db.prepare('INSERT OR REPLACE INTO objects (resource, namespace, name, rev, data) VALUES (?, ?, ?, ?, ?)'),
      del: this.db.prepare('DELETE FROM objects WHERE resource = ? AND namespace = ? AND name = ?'),
      log: this.db.prepare('INSERT INTO changes (rev, resource, namespace, name, type, data, prev, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      listAll: this.db.prepare('SELECT namespace, name, rev, data FROM objects WHERE resource = ? ORDER BY namespace, name'),
      listNs: this.db.prepare('SELECT namespace, name, rev, data FROM objects WHERE resource = ? AND namespace = ? ORDER BY name'),
      listAllAfter: this.db.prepare(
        'SELECT namespace, name, rev, data FROM objects WHERE resource = ? AND (namespace > ? OR (namespace = ? AND name > ?)) ORDER BY namespace, name',
      ),
      listNsAfter: this.db.prepare('SELECT namespace, name, rev, data FROM objects WHERE resource = ? AND namespace = ? AND name > ? ORDER BY name'),
      count: this.db.prepare('SELECT count(*) AS n FROM objects WHERE resource = ?'),
      changesAfter: this.db.prepare('SELECT rev, namespace, name, type, data, prev FROM changes WHERE resource = ? AND rev > ? ORDER BY rev'),
      setMeta: this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    };
    const maxRev = (this.db.prepare('SELECT max(rev) AS r FROM changes').get() as { r: number | null }).r ?? 0;
    const meta = (k: string) => (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(k) as { value: number } | undefined)?.value ?? 0;
    this.compactRev = meta('compact_rev');
    // The log always keeps its newest row, but an empty log after compaction still knows the revision.
    this.revision = Math.max(maxRev, meta('rev'), this.compactRev);
    this.committed = this.revision;
    this.groupCommit = !!opts.groupCommit && !!opts.file;
  }

  get rev(): number {
    return this.revision;
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
        this.db.exec('ROLLBACK');
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
        this.db.exec('ROLLBACK TO w');
        this.db.exec('RELEASE w');
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
      try {
        this.db.exec('ROLLBACK');
      } catch {
        /* already rolled back */
      }
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
    const row = this.st.get!.get(resource, namespace, name) as ObjRow | undefined;
    return row ? (JSON.parse(row.data) as KubeObject) : undefined;
  }

  getRaw(resource: string, namespace: string, name: string): ObjRow | undefined {
    return this.st.get!.get(resource, namespace, name) as ObjRow | undefined;
  }

  /** The stored revision of an object, undefined if absent. */
  revOf(resource: string, namespace: string, name: string): number | undefined {
    return this.st.revOf!.get(resource, namespace, name) as number | undefined;
  }

  count(resource: string): number {
    return (this.st.count!.get(resource) as { n: number }).n;
  }

  /** Parsed current objects of a resource (optionally one namespace). */
  listObjects(resource: string, namespace?: string): KubeObject[] {
    const rows = (namespace === undefined ? this.st.listAll!.all(resource) : this.st.listNs!.all(resource, namespace)) as ObjRow[];
    return rows.map((r) => JSON.parse(r.data) as KubeObject);
  }

  /**
   * List with pagination and snapshots. Items come sorted by (namespace, name), as JSON strings
   * (callers that only relay them never parse them: that keeps a 10,000-item list cheap).
   */
  list(resource: string, opts: ListOptions = {}): ListResult {
    const at = opts.atRev;
    if (at !== undefined && at < this.revision) return this.listAt(resource, at, opts);
    const rows = this.currentRows(resource, opts.namespace, opts.after);
    return this.page(rows, this.revision, opts);
  }

  private currentRows(resource: string, ns: string | undefined, after: ListOptions['after']) {
    type Row = { namespace: string; name: string; rev: number; data: string };
    if (ns === undefined) {
      return (after ? this.st.listAllAfter!.all(resource, after.namespace, after.namespace, after.name) : this.st.listAll!.all(resource)) as Row[];
    }
    if (after && after.namespace !== ns) return after.namespace < ns ? (this.st.listNs!.all(resource, ns) as Row[]) : [];
    return (after ? this.st.listNsAfter!.all(resource, ns, after.name) : this.st.listNs!.all(resource, ns)) as Row[];
  }

  private page(rows: ListResult['items'], rev: number, opts: ListOptions): ListResult {
    const { filter, limit } = opts;
    if (!filter && !limit) return { rev, items: rows };
    const items: ListResult['items'] = [];
    let i = 0;
    for (; i < rows.length; i++) {
      const r = rows[i]!;
      if (filter && !filter(JSON.parse(r.data) as KubeObject)) continue;
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
      throw resourceExpired(
        'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
      );
    }
    const state = new Map<string, { namespace: string; name: string; rev: number; data: string } | null>();
    const changed = this.st.changesAfter!.all(resource, at) as { rev: number; namespace: string; name: string; type: number; prev: string | null }[];
    for (const c of changed) {
      const k = keyOf(c.namespace, c.name);
      if (state.has(k)) continue;
      // The first change after `at` tells what the key was at `at`: nothing if it was created then.
      if (c.type === ADDED || c.prev === null) state.set(k, null);
      else {
        const prevRev = Number((JSON.parse(c.prev) as KubeObject).metadata.resourceVersion);
        state.set(k, { namespace: c.namespace, name: c.name, rev: prevRev, data: c.prev });
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
      while (start < rows.length && (rows[start]!.namespace < namespace || (rows[start]!.namespace === namespace && rows[start]!.name <= name))) start++;
    }
    return this.page(start ? rows.slice(start) : rows, at, opts);
  }

  /**
   * Subscribe to changes of one resource after revision `fromRev` (replayed from the log, then
   * live). Throws 410 Expired when fromRev is compacted. Returns the unsubscribe function.
   */
  watch(resource: string, fromRev: number, fn: Subscriber): () => void {
    if (fromRev < this.compactRev) throw tooOldResourceVersion(fromRev, this.compactRev + 1);
    // Replay committed changes only; changes of an open batch arrive live when it commits. Live
    // events at or below what was replayed (or below fromRev) are dropped: no duplicates.
    let seen = fromRev;
    if (fromRev < this.committed) {
      const rows = this.st.changesAfter!.all(resource, fromRev) as { rev: number; namespace: string; name: string; type: number; data: string; prev: string | null }[];
      for (const r of rows) {
        if (r.rev > this.committed) break;
        seen = r.rev;
        fn({
          type: CHANGE_NAMES[r.type]!,
          resource,
          namespace: r.namespace,
          name: r.name,
          rev: r.rev,
          object: JSON.parse(r.data) as KubeObject,
          prev: r.prev ? (JSON.parse(r.prev) as KubeObject) : undefined,
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
    const byAge = (this.db.prepare('SELECT max(rev) AS r FROM changes WHERE at < ?').get(now - opts.maxAgeMs) as { r: number | null }).r ?? 0;
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
    if (this.store.revOf(resource, ns, name) !== undefined) {
      throw alreadyExists(groupResource(resource), name);
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
    if (!cur) throw notFound(groupResource(resource), name);
    const want = obj.metadata.resourceVersion;
    if (want && want !== String(cur.rev)) throw conflict(groupResource(resource), name, OPTIMISTIC_LOCK_MESSAGE);
    return this.write(resource, obj, MODIFIED, cur.data);
  }

  delete(resource: string, namespace: string, name: string): KubeObject | undefined {
    const cur = this.store.getRaw(resource, namespace, name);
    if (!cur) return undefined;
    const obj = JSON.parse(cur.data) as KubeObject;
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
      prev: prev ? (JSON.parse(prev) as KubeObject) : undefined,
    });
    return out;
  }
}

/** Storage resource key (`services`, `discovery.k8s.io/endpointslices`) → group/resource. */
export function groupResource(resource: string): { group: string; resource: string } {
  const i = resource.lastIndexOf('/');
  return i < 0 ? { group: '', resource } : { group: resource.slice(0, i), resource: resource.slice(i + 1) };
}
