// Unreadable rows in a store file (issue 19, item 6): found at open, skipped by every read (get,
// lists, snapshots, watch replay, informers), left in place; a create of the same key keeps the
// old bytes in unreadable_objects. Also the one-line errors of openDataDirStore.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store, type StoreEvent } from '../../src/storage/store.js';
import { createInformer } from '../../src/storage/informer.js';
import { openDataDirStore, storeOpenError } from '../../src/storage/open.js';
import { DataDirError } from '../../src/base/files.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

const cm = (name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data,
});

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-unreadable-'));
  file = join(dir, 'state.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function damage(sql: string, ...params: unknown[]) {
  const db = new Database(file);
  db.prepare(sql).run(...params);
  db.close();
}

describe('unreadable rows', () => {
  it('are found (at open, or by the first read that meets one), skipped by reads, kept in the file; a create of the key keeps the bytes aside', async () => {
    let s = new Store({ file });
    s.txn((tx) => {
      for (const n of ['a', 'b', 'c', 'd', 'e']) tx.create('configmaps', cm(n, { n }));
    });
    const rev = s.rev;
    s.close();
    damage('UPDATE objects SET data = \'{"metadata": {"name": "b"\' WHERE name = \'b\'');
    damage("UPDATE objects SET data = '[1, 2]' WHERE name = 'c'");
    damage("UPDATE objects SET data = x'00ff' WHERE name = 'd'");
    damage('UPDATE objects SET data = \'{"kind": "ConfigMap"}\' WHERE name = \'e\'');

    s = new Store({ file });
    await s.checked;
    expect(s.unreadable.map((u) => [u.name, u.error])).toEqual([
      ['b', expect.stringMatching(/JSON/)],
      ['c', 'not a JSON object'],
      ['d', 'stored as a BLOB, not JSON text'],
      ['e', 'no metadata object'],
    ]);
    expect(s.get('configmaps', 'default', 'b')).toBeUndefined();
    expect(s.getRaw('configmaps', 'default', 'c')).toBeUndefined();
    expect(s.listObjects('configmaps').map((o) => o.metadata.name)).toEqual(['a']);
    expect(s.list('configmaps').items.map((i) => i.name)).toEqual(['a']);
    expect(s.list('configmaps', { limit: 1 }).items.map((i) => i.name)).toEqual(['a']);
    expect(s.count('configmaps')).toBe(1);
    const inf = createInformer(s, 'configmaps');
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['a']);
    inf.stop();
    // An update of a key nobody can read is NotFound; deleting it does nothing.
    expect(() => s.txn((tx) => tx.update('configmaps', cm('b')))).toThrow(/not found/);
    expect(s.txn((tx) => tx.delete('configmaps', 'default', 'b'))).toBeUndefined();
    // A create of the key: the old bytes go to unreadable_objects, the new object is served.
    s.txn((tx) => tx.create('configmaps', cm('b', { fresh: '1' })));
    expect(s.get('configmaps', 'default', 'b')?.data).toEqual({ fresh: '1' });
    expect(s.unreadable.find((u) => u.name === 'b')?.preserved).toBe(true);
    expect(s.db.prepare("SELECT data FROM unreadable_objects WHERE name = 'b'").pluck().get()).toBe('{"metadata": {"name": "b"');
    expect(s.rev).toBe(rev + 1);
    // A row that goes bad while the store is open is found by the first read that meets it.
    const found: string[] = [];
    s.onUnreadable((u) => found.push(`${u.name}: ${u.error}`));
    s.db.prepare("UPDATE objects SET data = '{' WHERE name = 'a'").run();
    expect(s.listObjects('configmaps').map((o) => o.metadata.name)).toEqual(['b']);
    expect(found).toEqual([expect.stringMatching(/^a: .*JSON/)]);
    expect(s.get('configmaps', 'default', 'a')).toBeUndefined();
    s.close();

    // The others are still in the file, byte for byte.
    const db = new Database(file, { readonly: true });
    expect(db.prepare("SELECT data FROM objects WHERE name = 'c'").pluck().get()).toBe('[1, 2]');
    expect(db.prepare("SELECT data FROM objects WHERE name = 'e'").pluck().get()).toBe('{"kind": "ConfigMap"}');
    db.close();
  });

  it('an unreadable change-log row is skipped by a watch replay and by a snapshot list, not fatal', () => {
    let s = new Store({ file });
    const a = s.txn((tx) => tx.create('configmaps', cm('a')));
    s.txn((tx) =>
      tx.update('configmaps', { ...cm('a', { v: '2' }), metadata: { ...cm('a').metadata, resourceVersion: a.metadata.resourceVersion } }),
    );
    s.txn((tx) => tx.create('configmaps', cm('z')));
    s.close();
    damage('UPDATE changes SET data = ?, prev = ? WHERE rev = 2', 'not json', 'not json either');
    s = new Store({ file });
    const seen: StoreEvent[] = [];
    const stop = s.watch('configmaps', 0, (ev) => seen.push(ev));
    stop();
    expect(seen.map((e) => [e.type, e.name, e.rev])).toEqual([
      ['ADDED', 'a', 1],
      ['ADDED', 'z', 3],
    ]);
    // At rev 1, `a` was the `prev` of the damaged rev-2 row: left out of the snapshot (not a 500).
    expect(s.list('configmaps', { atRev: 1 }).items.map((i) => i.name)).toEqual([]);
    expect(s.list('configmaps', { atRev: 2 }).items.map((i) => i.name)).toEqual(['a']);
    s.close();
  });

  it('a store without damage reports nothing; the check goes through a database larger than one step', async () => {
    let s = new Store({ file });
    s.txn((tx) => {
      for (let i = 0; i < 1200; i++) tx.create('configmaps', cm(`c${String(i).padStart(4, '0')}`));
    });
    s.close();
    damage("UPDATE objects SET data = 'x' WHERE name = 'c1100'");
    s = new Store({ file });
    await s.checked;
    expect(s.unreadable.map((u) => u.name)).toEqual(['c1100']);
    expect(s.listObjects('configmaps')).toHaveLength(1199);
    s.close();
    const clean = new Store({ file: join(dir, 'clean.db') });
    await clean.checked;
    expect(clean.unreadable).toEqual([]);
    clean.close();
  });
});

describe('openDataDirStore', () => {
  it('refuses a zero-length state.db beside a cluster, not in a new dir; a non-database file is named', () => {
    writeFileSync(file, '');
    openDataDirStore(dir).close();
    const other = join(dir, 'other');
    mkdirSync(join(other, 'pki'), { recursive: true });
    writeFileSync(join(other, 'token'), 'x\n');
    writeFileSync(join(other, 'state.db'), '');
    expect(() => openDataDirStore(other)).toThrow(DataDirError);
    const garbage = join(dir, 'garbage');
    mkdirSync(garbage);
    writeFileSync(join(garbage, 'state.db'), 'this is not a database, it is a text file long enough to have a header'.repeat(10));
    expect(() => openDataDirStore(garbage)).toThrow(
      `cannot open the database ${join(garbage, 'state.db')}: it is not a SQLite database (file is not a database)`,
    );
  });

  it('maps SQLite codes to the OS cause, and leaves a lock for the CLI to word', () => {
    const busy = Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });
    expect(storeOpenError(busy, file)).toBe(busy);
    const plain = new Error('boom');
    expect(storeOpenError(plain, file)).toBe(plain);
    // Nothing wrong with the directory: SQLite's own words, with the path.
    expect((storeOpenError(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR_WRITE' }), file) as Error).message).toMatch(
      new RegExp(`^cannot open the database ${file}: (disk I/O error \\(SQLITE_IOERR_WRITE\\)|no space left on device \\(ENOSPC\\))$`),
    );
  });
});
