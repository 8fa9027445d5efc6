// The revision-history utilities the StatefulSet and DaemonSet controllers share
// (src/controllers/workload/history.ts, after upstream pkg/controller/history): FNV-32 and the
// safe encoding of hashes, Go's JSON bytes of revision data, revision names, equality, ordering,
// and creation against a real registry, where a name taken by different data raises the
// collision count and a name taken by the same data is the answer.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import {
  computeHash,
  controllerRevisionName,
  createRevision,
  equalRevision,
  findEqualRevisions,
  fnv32,
  goJSON,
  hashControllerRevision,
  maxRevision,
  newRevision,
  nextRevision,
  ownedRevisions,
  safeEncodeString,
  sortRevisions,
  updateRevisionNumber,
  CONTROLLER_REVISION_HASH_LABEL,
  type ControllerRevisionObj,
} from '../../src/controllers/workload/history.js';
import { allResourceDefs, requireDef } from '../../src/registry/kinds.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

describe('hashing', () => {
  it('is FNV-1 32 (Go hash/fnv New32), safe-encoded like rand.SafeEncodeString', () => {
    // Published FNV-1 32-bit test vectors.
    expect(fnv32('')).toBe(0x811c9dc5);
    expect(fnv32('a')).toBe(0x050c5d7e);
    expect(fnv32('foobar')).toBe(0x31f0b262);
    expect(safeEncodeString('0123456789')).toBe('456789bcdf');
    expect(computeHash({ b: 1, a: 'x' })).toBe(safeEncodeString(String(fnv32('{"a":"x","b":1}'))));
    // The collision count is hashed after the data, as upstream's probe.
    expect(computeHash({ a: 1 }, 0)).toBe(safeEncodeString(String(fnv32('{"a":1}0'))));
    expect(computeHash({ a: 1 }, 0)).not.toBe(computeHash({ a: 1 }));
    expect(computeHash({ a: 1 }, 1)).not.toBe(computeHash({ a: 1 }, 0));
  });

  it('writes the bytes Go writes: sorted keys, HTML-safe escapes', () => {
    expect(goJSON({ z: [{ y: 1, x: 2 }], a: '<&>' })).toBe('{"a":"\\u003c\\u0026\\u003e","z":[{"x":2,"y":1}]}');
    expect(hashControllerRevision({ b: 2, a: 1 })).toBe(hashControllerRevision({ a: 1, b: 2 }));
  });

  it('names revisions <parent>-<hash>, the prefix cut to 223 characters', () => {
    expect(controllerRevisionName('web', 'abc')).toBe('web-abc');
    expect(controllerRevisionName('x'.repeat(300), 'abc')).toBe(`${'x'.repeat(223)}-abc`);
  });
});

const parent: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'StatefulSet',
  metadata: { name: 'db', namespace: 'default', uid: 'uid-db' },
};

describe('revisions in memory', () => {
  it('builds, compares and orders revisions', () => {
    const r1 = newRevision(parent, { spec: { template: { b: 1, a: 2 } } }, 1, undefined, { app: 'db' });
    expect(r1.metadata.name).toBe(`db-${r1.metadata.labels![CONTROLLER_REVISION_HASH_LABEL]}`);
    expect(r1.metadata.labels).toMatchObject({ app: 'db' });
    expect(r1.metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'uid-db', controller: true, blockOwnerDeletion: true },
    ]);
    // Data is kept in Go's key order, so what is stored is what was hashed.
    expect(JSON.stringify(r1.data)).toBe('{"spec":{"template":{"a":2,"b":1}}}');
    const same = newRevision(parent, { spec: { template: { a: 2, b: 1 } } }, 2);
    const other = newRevision(parent, { spec: { template: { a: 3 } } }, 3);
    expect(equalRevision(r1, same)).toBe(true);
    expect(equalRevision(r1, other)).toBe(false);
    expect(equalRevision(undefined, undefined)).toBe(true);
    expect(equalRevision(r1, undefined)).toBe(false);
    expect(findEqualRevisions([other, same, r1], r1)).toEqual([same, r1]);
    const t = (r: ControllerRevisionObj, ts: string) => ({ ...r, metadata: { ...r.metadata, creationTimestamp: ts } });
    const a = t(other, '2024-01-01T00:00:02Z');
    const b = t({ ...same, revision: 3 }, '2024-01-01T00:00:01Z');
    const c = t(r1, '2024-01-01T00:00:05Z');
    expect(sortRevisions([a, b, c])).toEqual([c, b, a]);
    expect(maxRevision([a, b, c])).toBe(3);
    expect(nextRevision([])).toBe(1);
  });
});

describe('revisions in a cluster', () => {
  let tc: TestCluster;
  const defs = allResourceDefs();
  const crDef = requireDef(defs, 'apps', 'controllerrevisions');
  beforeAll(async () => {
    tc = await startTestCluster();
  });
  afterAll(async () => {
    await tc?.stop();
  });

  it('creates, handles name collisions, renumbers and claims revisions', () => {
    const registry = tc.cluster.registry;
    const rev = newRevision(parent, { spec: { template: { v: 1 } } }, 1, 0, { app: 'db' });
    const first = createRevision(registry, crDef, parent, rev, 0);
    expect(first.collisionCount).toBe(0);
    expect(first.revision.metadata.name).toBe(rev.metadata.name);
    // The same data again: the existing revision is the answer.
    expect(createRevision(registry, crDef, parent, rev, 0).revision.metadata.uid).toBe(first.revision.metadata.uid);
    // Different data under the name this revision would get: the collision count goes up.
    const next = newRevision(parent, { spec: { template: { v: 2 } } }, 2, 0, { app: 'db' });
    registry.create(crDef, 'default', {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: { name: next.metadata.name, namespace: 'default' },
      data: { squatter: true },
      revision: 0,
    } as KubeObject);
    const bumped = createRevision(registry, crDef, parent, next, 0);
    expect(bumped.collisionCount).toBe(1);
    expect(bumped.revision.metadata.name).toBe(`db-${hashControllerRevision(next.data, 1)}`);
    expect(bumped.revision.metadata.labels![CONTROLLER_REVISION_HASH_LABEL]).toBe(hashControllerRevision(next.data, 1));

    const renumbered = updateRevisionNumber(registry, crDef, first.revision, 3);
    expect(renumbered.revision).toBe(3);

    // Claiming: ours and matching orphans are the parent's; other controllers' are not.
    const stored = tc.cluster.store.listObjects('apps/controllerrevisions', 'default');
    const parentObj = { ...parent };
    const owned = ownedRevisions(
      registry,
      crDef,
      parentObj,
      stored,
      (r) => r.metadata.labels?.app === 'db',
      () => parentObj,
    );
    expect(owned.map((r) => r.metadata.name).sort()).toEqual([first.revision.metadata.name, bumped.revision.metadata.name].sort());
  });
});
