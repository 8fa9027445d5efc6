// Group commit and readers: nothing is visible to a reader (get, list, watch, rev) before its
// COMMIT succeeded, and a batch whose COMMIT fails is forgotten whole, its revisions included.
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, type StoreEvent } from '../../src/storage/store.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

const cm = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default' },
  data: { a: name },
});

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function fileStore(): { store: Store; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tinykube-store-commit-'));
  dirs.push(dir);
  const file = join(dir, 'state.db');
  return { store: new Store({ file, groupCommit: true }), file };
}

/** Makes the next COMMIT on the store's write connection fail as a full disk would. */
function failNextCommit(store: Store): void {
  const exec = store.db.exec.bind(store.db);
  let armed = true;
  store.db.exec = ((sql: string) => {
    if (armed && sql === 'COMMIT') {
      armed = false;
      exec('ROLLBACK'); // SQLite rolls a failed commit back
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    }
    return exec(sql);
  }) as typeof store.db.exec;
}

describe('group commit', () => {
  it('readers outside a transaction see a write only after its batch committed', async () => {
    const { store } = fileStore();
    const before = store.rev;
    const events: StoreEvent[] = [];
    store.watch('configmaps', before, (e) => events.push(e));
    const out = store.txn((tx) => tx.create('configmaps', cm('a')));
    expect(out.metadata.resourceVersion).toBe(String(before + 1));
    // The batch is open: no reader sees it.
    expect(store.batchOpen).toBe(true);
    expect(store.get('configmaps', 'default', 'a')).toBeUndefined();
    expect(store.getRaw('configmaps', 'default', 'a')).toBeUndefined();
    expect(store.listObjects('configmaps')).toEqual([]);
    expect(store.list('configmaps').items).toEqual([]);
    expect(store.list('configmaps').rev).toBe(before);
    expect(store.count('configmaps')).toBe(0);
    expect(store.rev).toBe(before);
    expect(events).toEqual([]);
    // A write in the same batch sees it (read-modify-write inside a transaction).
    store.txn((tx) => {
      expect(tx.get('configmaps', 'default', 'a')?.data).toEqual({ a: 'a' });
      expect(tx.rev).toBe(before + 1);
    });
    await store.durable();
    expect(store.get('configmaps', 'default', 'a')?.metadata.resourceVersion).toBe(String(before + 1));
    expect(store.rev).toBe(before + 1);
    expect(events.map((e) => e.name)).toEqual(['a']);
    store.close();
  });

  it('a failed COMMIT rejects its writers, publishes nothing and hands out no revision it used again', async () => {
    const { store, file } = fileStore();
    store.txn((tx) => tx.create('configmaps', cm('kept')));
    await store.durable();
    const committed = store.rev;
    const events: StoreEvent[] = [];
    store.watch('configmaps', committed, (e) => events.push(e));
    failNextCommit(store);
    for (const n of ['lost-1', 'lost-2']) store.txn((tx) => tx.create('configmaps', cm(n)));
    const seenRevs = [store.list('configmaps').rev];
    await expect(store.durable()).rejects.toThrow('database or disk is full');
    // Nothing of the batch is anywhere, and the counter is back at the last committed revision.
    expect(store.get('configmaps', 'default', 'lost-1')).toBeUndefined();
    expect(store.rev).toBe(committed);
    expect(events).toEqual([]);
    expect(seenRevs).toEqual([committed]);
    // The next write takes the next revision after the committed one; a watch from the
    // committed revision sees exactly it.
    const next = store.txn((tx) => tx.create('configmaps', cm('after')));
    await store.durable();
    expect(next.metadata.resourceVersion).toBe(String(committed + 1));
    expect(events.map((e) => [e.name, e.rev])).toEqual([['after', committed + 1]]);
    store.close();
    // After a restart the revision continues from what was committed.
    const again = new Store({ file, groupCommit: true });
    expect(again.rev).toBe(committed + 1);
    expect(again.listObjects('configmaps').map((o) => o.metadata.name)).toEqual(['after', 'kept']);
    again.close();
  });
});
