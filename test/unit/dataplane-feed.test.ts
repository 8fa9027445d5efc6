// The data-plane feed on one thread: StoreFeed posts the store's objects and changes on a
// MessageChannel, FeedMirror keeps them with the store's subscribe/listObjects shape.
import { describe, it, expect, afterEach } from 'vitest';
import { MessageChannel } from 'node:worker_threads';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/storage/store.js';
import { StoreFeed, FeedMirror } from '../../src/dataplane/index.js';
import type { MirrorEvent } from '../../src/dataplane/mirror.js';
import { ClusterIndex, SLICES, INDEX_RESOURCES } from '../../src/dns/cluster-index.js';
import { ENDPOINTSLICES } from '../../src/registry/endpointslice.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

function setup(store: Store, retain: string[] = ['namespaces', 'services']) {
  const { port1, port2 } = new MessageChannel();
  const posted = new Int32Array(new SharedArrayBuffer(4));
  const feed = new StoreFeed(store, port1, posted);
  const mirror = new FeedMirror(port2, posted, { retain });
  cleanup.push(() => {
    feed.close();
    mirror.close();
  });
  return { feed, mirror, posted };
}

const svc = (name: string, ip: string, ns = 'default'): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { namespace: ns, name },
  spec: { type: 'ClusterIP', clusterIP: ip, clusterIPs: [ip], ports: [{ port: 80, protocol: 'TCP' }] },
});

const tick = () => new Promise<void>((r) => process.nextTick(r));
const names = (os: readonly KubeObject[]) => os.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();

describe('StoreFeed and FeedMirror', () => {
  it('mirror the current objects at once and each later change after the tick, taken synchronously', async () => {
    const s = new Store();
    cleanup.push(() => s.close());
    s.txn((tx) => {
      tx.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
      tx.create('services', svc('a', '10.0.0.1'));
    });
    const { feed, mirror, posted } = setup(s);
    feed.follow(['namespaces', 'services']);
    // Posted by follow() itself: a request sent after it finds the objects there.
    expect(mirror.listObjects('services')).toEqual([]);
    mirror.sync();
    expect(names(mirror.listObjects('services'))).toEqual(['default/a']);
    expect(names(mirror.listObjects('namespaces'))).toEqual(['/default']);

    const events: string[] = [];
    mirror.subscribe('services', (ev: MirrorEvent) => events.push(`${ev.type} ${ev.name} ${ev.prev ? 'prev' : ''}`.trim()));
    s.txn((tx) => tx.create('services', svc('b', '10.0.0.2')));
    s.txn((tx) => tx.update('services', { ...svc('a', '10.0.0.3'), metadata: { namespace: 'default', name: 'a' } }));
    // Nothing before the tick: the changes of one turn go as one batch.
    mirror.sync();
    expect(events).toEqual([]);
    await tick();
    expect(Atomics.load(posted, 0)).toBe(mirror.seq + 1);
    mirror.sync();
    expect(events).toEqual(['ADDED b', 'MODIFIED a prev']);
    expect((mirror.get('services', 'default', 'a')!.spec as { clusterIP: string }).clusterIP).toBe('10.0.0.3');
    expect(feed.stats.batches).toBe(2);
  });

  it('coalesces the changes of one key in a turn and sends a deletion as its key', async () => {
    const s = new Store();
    cleanup.push(() => s.close());
    const { feed, mirror } = setup(s);
    feed.follow(['services']);
    s.txn((tx) => tx.create('services', svc('gone', '10.0.0.9')));
    await tick();
    mirror.sync();
    const events: MirrorEvent[] = [];
    mirror.subscribe('services', (ev) => events.push(ev));
    const before = feed.stats.entries;
    s.txn((tx) => tx.update('services', svc('gone', '10.0.0.10')));
    s.txn((tx) => tx.delete('services', 'default', 'gone'));
    // Created and deleted in the same turn: the mirror never had it, nothing to tell.
    s.txn((tx) => tx.create('services', svc('brief', '10.0.0.11')));
    s.txn((tx) => tx.delete('services', 'default', 'brief'));
    await tick();
    mirror.sync();
    expect(feed.stats.entries - before).toBe(2);
    expect(events.map((e) => [e.type, e.name])).toEqual([['DELETED', 'gone']]);
    // The deleted object's last state, as the mirror had it.
    expect((events[0]!.object.spec as { clusterIP: string }).clusterIP).toBe('10.0.0.9');
    expect(mirror.listObjects('services')).toEqual([]);
  });

  it('lists committed rows only under group commit; the open batch arrives as events', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tinykube-feed-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // Group commit needs a file (an in-memory store commits each write at once).
    const s = new Store({ file: join(dir, 'state.db'), groupCommit: true });
    cleanup.push(() => s.close());
    s.txn((tx) => tx.create('services', svc('committed', '10.0.0.1')));
    await s.durable();
    s.txn((tx) => tx.create('services', svc('open', '10.0.0.2')));
    expect(s.batchOpen).toBe(true);
    const { feed, mirror } = setup(s);
    feed.follow(['services']);
    mirror.sync();
    expect(names(mirror.listObjects('services'))).toEqual(['default/committed']);
    await s.durable();
    await tick();
    mirror.sync();
    expect(names(mirror.listObjects('services'))).toEqual(['default/committed', 'default/open']);
  });

  it('feeds a ClusterIndex as the store does, keeping no objects of its own', async () => {
    expect(SLICES).toBe(ENDPOINTSLICES);
    const s = new Store();
    cleanup.push(() => s.close());
    s.txn((tx) => {
      tx.create('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } });
      tx.create('services', svc('web', '10.0.0.5', 'team'));
    });
    const { feed, mirror } = setup(s, []);
    feed.follow(INDEX_RESOURCES);
    // Applied before anyone subscribed: held until the index lists them, then handed over.
    mirror.sync();
    expect(names(mirror.listObjects('services'))).toEqual(['team/web']);
    const idx = ClusterIndex.attach(mirror);
    expect(idx.namespaceExists('team')).toBe(true);
    expect(mirror.listObjects('services')).toEqual([]);
    const deleted: MirrorEvent[] = [];
    mirror.subscribe('services', (ev) => ev.type === 'DELETED' && deleted.push(ev));
    expect(idx.service('team', 'web')!.clusterIPs.map((a) => a.text)).toEqual(['10.0.0.5']);
    s.txn((tx) =>
      tx.create(SLICES, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { namespace: 'team', name: 'web-1', labels: { 'kubernetes.io/service-name': 'web' } },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.1.0.7'], conditions: { ready: true } }],
        ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      }),
    );
    s.txn((tx) => tx.delete('namespaces', '', 'team'));
    await tick();
    mirror.sync();
    expect(idx.endpoints('team', 'web').map((e) => e.addr.text)).toEqual(['10.1.0.7']);
    expect(idx.namespaceExists('team')).toBe(false);
    s.txn((tx) => tx.delete('services', 'team', 'web'));
    await tick();
    mirror.sync();
    expect(idx.service('team', 'web')).toBeUndefined();
    // Not retained: a deletion names the object only.
    expect(deleted.map((e) => e.object)).toEqual([{ metadata: { namespace: 'team', name: 'web' } }]);
    idx.detach();
  });
});
