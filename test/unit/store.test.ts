import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, type StoreEvent } from '../../src/storage/store.js';
import { createInformer } from '../../src/storage/informer.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { KubeObject } from '../../src/apimachinery/types.js';
import { StorageError } from '../../src/storage/errors.js';
import { interpretStorageError } from '../../src/registry/storage-errors.js';

const cm = (name: string, ns = 'default', data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns },
  data,
});

function statusOf(fn: () => unknown): { code: number; reason: string; message: string } {
  try {
    fn();
  } catch (err) {
    // The store reports storage errors; the registry's translation gives the API's Status.
    expect(err).toBeInstanceOf(StorageError);
    const e = interpretStorageError(err);
    if (e instanceof StatusError) return { code: e.code, reason: e.reason, message: e.message };
    throw e;
  }
  throw new Error('expected a StorageError');
}

describe('store', () => {
  it('gives every write the next global revision and keeps optimistic concurrency', () => {
    const s = new Store();
    const a = s.txn((tx) => tx.create('configmaps', cm('a')));
    const b = s.txn((tx) => tx.create('services', { metadata: { name: 'b', namespace: 'default' } }));
    expect(Number(b.metadata.resourceVersion)).toBe(Number(a.metadata.resourceVersion) + 1);
    expect(s.rev).toBe(2);
    const dup = statusOf(() => s.txn((tx) => tx.create('configmaps', cm('a'))));
    expect(dup).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'configmaps "a" already exists' });
    const stale = statusOf(() =>
      s.txn((tx) =>
        tx.update('configmaps', {
          ...cm('a', 'default', { x: '1' }),
          metadata: { name: 'a', namespace: 'default', resourceVersion: '99' },
        }),
      ),
    );
    expect(stale.code).toBe(409);
    expect(stale.reason).toBe('Conflict');
    expect(stale.message).toContain('the object has been modified');
    const nf = statusOf(() => s.txn((tx) => tx.update('discovery.k8s.io/endpointslices', cm('zz'))));
    expect(nf).toMatchObject({ code: 404, message: 'endpointslices.discovery.k8s.io "zz" not found' });
    // A failed transaction leaves neither objects nor revisions behind.
    expect(() =>
      s.txn((tx) => {
        tx.create('configmaps', cm('c'));
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(s.get('configmaps', 'default', 'c')).toBeUndefined();
    expect(s.rev).toBe(2);
    s.close();
  });

  it('lists consistent snapshots at an older revision and pages with a limit', () => {
    const s = new Store();
    for (let i = 0; i < 5; i++) s.txn((tx) => tx.create('configmaps', cm(`c${i}`)));
    const at = s.rev;
    s.txn((tx) => tx.delete('configmaps', 'default', 'c1'));
    s.txn((tx) => tx.create('configmaps', cm('c9')));
    s.txn((tx) => tx.update('configmaps', cm('c2', 'default', { v: 'new' })));
    const old = s.list('configmaps', { atRev: at });
    expect(old.items.map((r) => r.name)).toEqual(['c0', 'c1', 'c2', 'c3', 'c4']);
    expect(JSON.parse(old.items[2]!.data).data).toEqual({});
    const p1 = s.list('configmaps', { limit: 2 });
    expect(p1.items.map((r) => r.name)).toEqual(['c0', 'c2']);
    expect(p1.remaining).toBe(3);
    const p2 = s.list('configmaps', { limit: 2, after: p1.more });
    expect(p2.items.map((r) => r.name)).toEqual(['c3', 'c4']);
    const p3 = s.list('configmaps', { limit: 2, after: p2.more });
    expect(p3.items.map((r) => r.name)).toEqual(['c9']);
    expect(p3.more).toBeUndefined();
    s.close();
  });

  it('replays watches from a revision, then streams live, and answers 410 once compacted', () => {
    const s = new Store();
    for (let i = 0; i < 10; i++) s.txn((tx) => tx.create('configmaps', cm(`c${i}`)));
    const seen: StoreEvent[] = [];
    const stop = s.watch('configmaps', 7, (e) => seen.push(e));
    expect(seen.map((e) => e.rev)).toEqual([8, 9, 10]);
    s.txn((tx) => tx.delete('configmaps', 'default', 'c0'));
    expect(seen.at(-1)).toMatchObject({ type: 'DELETED', rev: 11, name: 'c0' });
    stop();
    const r = s.compact({ maxAgeMs: 3_600_000, keepRevisions: 3 });
    expect(r.compactRev).toBe(8);
    expect(r.deleted).toBe(8);
    const gone = statusOf(() => s.watch('configmaps', 5, () => undefined));
    expect(gone).toMatchObject({ code: 410, reason: 'Expired', message: 'too old resource version: 5 (9)' });
    expect(() => s.watch('configmaps', 8, () => undefined)).not.toThrow();
    s.close();
  });

  it('keeps data, revisions and the compaction horizon across reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-store-'));
    try {
      const file = join(dir, 'state.db');
      let s = new Store({ file });
      for (let i = 0; i < 20; i++) s.txn((tx) => tx.create('configmaps', cm(`c${i}`)));
      s.compact({ maxAgeMs: 3_600_000, keepRevisions: 5 });
      s.close();
      s = new Store({ file });
      expect(s.rev).toBe(20);
      expect(s.compactedRev).toBe(15);
      expect(s.count('configmaps')).toBe(20);
      const next = s.txn((tx) => tx.create('configmaps', cm('after')));
      expect(next.metadata.resourceVersion).toBe('21');
      s.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('bounds the change log under churn', () => {
    const s = new Store();
    for (let i = 0; i < 2000; i++) {
      s.txn((tx) => tx.create('configmaps', cm('churn')));
      s.txn((tx) => tx.delete('configmaps', 'default', 'churn'));
      if (i % 100 === 0) s.compact({ maxAgeMs: 3_600_000, keepRevisions: 100 });
    }
    s.compact({ maxAgeMs: 3_600_000, keepRevisions: 100 });
    const n = (s.db.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n;
    expect(n).toBeLessThanOrEqual(100);
    expect(s.count('configmaps')).toBe(0);
    s.close();
  });

  it('feeds informers the same events, with a cache and indexes', () => {
    const s = new Store();
    s.txn((tx) => tx.create('configmaps', cm('pre', 'ns1')));
    const inf = createInformer(s, 'configmaps');
    inf.addIndex('ns', (o) => [o.metadata.namespace ?? '']);
    const adds: string[] = [];
    const dels: string[] = [];
    inf.on({ add: (o) => adds.push(o.metadata.name!), delete: (o) => dels.push(o.metadata.name!) });
    s.txn((tx) => tx.create('configmaps', cm('x', 'ns2')));
    s.txn((tx) => tx.delete('configmaps', 'ns1', 'pre'));
    expect(adds).toEqual(['pre', 'x']);
    expect(dels).toEqual(['pre']);
    expect(inf.list().map((o) => o.metadata.name)).toEqual(['x']);
    expect(inf.byIndex('ns', 'ns2').map((o) => o.metadata.name)).toEqual(['x']);
    expect(inf.byIndex('ns', 'ns1')).toEqual([]);
    inf.stop();
    s.close();
  });

  it('group-commits one loop turn: a failing write rolls back alone, events and acks follow the commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-gc-'));
    try {
      const s = new Store({ file: join(dir, 'state.db'), groupCommit: true });
      const seen: string[] = [];
      s.subscribe('configmaps', (e) => seen.push(`${e.type}:${e.name}:${e.rev}`));
      s.txn((tx) => tx.create('configmaps', cm('a')));
      expect(() =>
        s.txn((tx) => {
          tx.create('configmaps', cm('b'));
          tx.create('configmaps', cm('a'));
        }),
      ).toThrow('key exists: configmaps/default/a');
      s.txn((tx) => tx.create('configmaps', cm('c')));
      // Nothing is published before the batch commits; a watch started now replays nothing and
      // gets the batch live, once.
      expect(seen).toEqual([]);
      const watched: number[] = [];
      s.watch('configmaps', 0, (e) => watched.push(e.rev));
      await s.durable();
      expect(seen).toEqual(['ADDED:a:1', 'ADDED:c:2']);
      expect(watched).toEqual([1, 2]);
      expect(s.get('configmaps', 'default', 'b')).toBeUndefined();
      s.close();
      const again = new Store({ file: join(dir, 'state.db'), groupCommit: true });
      expect(again.rev).toBe(2);
      expect(again.listObjects('configmaps').map((o) => o.metadata.name)).toEqual(['a', 'c']);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
