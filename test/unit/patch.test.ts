import { describe, it, expect } from 'vitest';
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  serverSideApply,
  trackUpdate,
} from '../../src/apimachinery/patch/index.js';
import { schemas as coreV1 } from '../../src/api/generated/core/v1.js';
import { StatusError } from '../../src/apimachinery/errors.js';
import type { KubeObject } from '../../src/apimachinery/types.js';

const ServiceSchema = coreV1.Service;
const PodSchema = coreV1.Pod;
const ConfigMapSchema = coreV1.ConfigMap;
const now = new Date('2026-11-25T10:00:00Z');
const svc = (): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 's', labels: { a: '1' } },
  spec: {
    selector: { app: 'x' },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 },
      { name: 'm', port: 9090, protocol: 'TCP' },
    ],
  },
});

describe('merge and JSON patch', () => {
  it('merges objects, null deletes, lists replace', () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({ a: { c: 2, d: 3 }, l: [3] });
  });
  it('applies JSON patch and refuses failing tests with 422', () => {
    expect(applyJsonPatch({ data: { a: '1' } }, [{ op: 'add', path: '/data/b', value: '2' }])).toEqual({ data: { a: '1', b: '2' } });
    try {
      applyJsonPatch({ data: { a: '1' } }, [{ op: 'test', path: '/data/a', value: 'x' }]);
      expect.unreachable();
    } catch (e) {
      expect((e as StatusError).code).toBe(422);
    }
  });
  it('words a remove of a missing key as json-patch.v4 does: by whether its parent object exists', () => {
    const msg = (path: string) => {
      try {
        applyJsonPatch({ data: { a: '1' } }, [{ op: 'remove', path }]);
      } catch (e) {
        return (e as StatusError).message;
      }
      return 'applied';
    };
    expect(msg('/data/x')).toBe("error in remove for path: '/data/x': Unable to remove nonexistent key: x: missing value");
    expect(msg('/spec/x')).toBe('remove operation does not apply: doc is missing path: "/spec/x": missing value');
  });
});

describe('strategic merge patch', () => {
  it('merges Service ports by port and keeps the others', () => {
    const out = applyStrategicMergePatch(svc(), { spec: { ports: [{ port: 80, targetPort: 9000 }] } }, ServiceSchema) as any;
    expect(out.spec.ports).toEqual([
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 9000 },
      { name: 'm', port: 9090, protocol: 'TCP' },
    ]);
  });
  it('deletes list items with $patch: delete and orders with $setElementOrder', () => {
    const out = applyStrategicMergePatch(
      svc(),
      { spec: { $setElementOrder: undefined, ports: [{ port: 9090, $patch: 'delete' }] } } as any,
      ServiceSchema,
    ) as any;
    expect(out.spec.ports.map((p: any) => p.port)).toEqual([80]);
    const ordered = applyStrategicMergePatch(
      svc(),
      { spec: { '$setElementOrder/ports': [{ port: 9090 }, { port: 80 }] } },
      ServiceSchema,
    ) as any;
    expect(ordered.spec.ports.map((p: any) => p.port)).toEqual([9090, 80]);
  });
  it('merges maps (atomic ones too, as upstream’s Go-tag-driven merge does), deletes with null, honours $patch: replace and $retainKeys', () => {
    const out = applyStrategicMergePatch(
      svc(),
      { metadata: { labels: { a: null, b: '2' } }, spec: { selector: { other: 'y' } } },
      ServiceSchema,
    ) as any;
    expect(out.metadata.labels).toEqual({ b: '2' });
    expect(out.spec.selector).toEqual({ app: 'x', other: 'y' });
    const replaced = applyStrategicMergePatch(svc(), { spec: { selector: { $patch: 'replace', other: 'y' } } }, ServiceSchema) as any;
    expect(replaced.spec.selector).toEqual({ other: 'y' });
    const rep = applyStrategicMergePatch(svc(), { spec: { $patch: 'replace', ports: [{ port: 1 }] } }, ServiceSchema) as any;
    expect(rep.spec).toEqual({ ports: [{ port: 1 }] });
    const rk = applyStrategicMergePatch({ spec: { a: 1, b: 2 } }, { spec: { $retainKeys: ['b'], b: 3 } }, ConfigMapSchema) as any;
    expect(rk.spec).toEqual({ b: 3 });
  });
  it('merges containers and env by name, primitive lists with $deleteFromPrimitiveList', () => {
    const pod = {
      metadata: { name: 'p', finalizers: ['a', 'b'] },
      spec: { containers: [{ name: 'c', image: 'i', env: [{ name: 'A', value: '1' }] }] },
    };
    const out = applyStrategicMergePatch(
      pod,
      {
        metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] },
        spec: { containers: [{ name: 'c', env: [{ name: 'B', value: '2' }] }] },
      } as any,
      PodSchema,
    ) as any;
    expect(out.spec.containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    expect(out.spec.containers[0].image).toBe('i');
    expect(out.metadata.finalizers).toEqual(['b']);
  });
});

describe('managed fields', () => {
  it('gives the creator every field it set, and hands changed fields to the next updater', () => {
    const created = svc();
    created.metadata.managedFields = trackUpdate({
      old: undefined,
      updated: created,
      manager: 'alice',
      schema: ServiceSchema,
      now,
      apiVersion: 'v1',
    });
    expect(created.metadata.managedFields).toHaveLength(1);
    const f = created.metadata.managedFields![0]!;
    expect(f).toMatchObject({
      manager: 'alice',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2026-11-25T10:00:00Z',
      fieldsType: 'FieldsV1',
    });
    expect(f.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } },
      'f:spec': { 'f:ports': { '.': {}, 'k:{"port":80,"protocol":"TCP"}': { '.': {}, 'f:targetPort': {} } } },
    });
    const next = structuredClone(created);
    (next.spec as any).selector = { app: 'y' };
    const mf = trackUpdate({ old: created, updated: next, manager: 'bob', schema: ServiceSchema, now, apiVersion: 'v1' })!;
    expect(mf.map((m) => m.manager)).toEqual(['alice', 'bob']);
    expect((mf[1]!.fieldsV1 as any)['f:spec']).toEqual({ 'f:selector': {} });
    expect((mf[0]!.fieldsV1 as any)['f:spec']['f:selector']).toBeUndefined();
  });
  it('server-side apply conflicts, forces, shares and removes fields it stopped applying', () => {
    const applied1 = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'one', x: '1' } } as KubeObject;
    const a = serverSideApply({
      live: undefined,
      applied: applied1,
      manager: 'alice',
      force: false,
      schema: ConfigMapSchema,
      now,
      apiVersion: 'v1',
    });
    expect(a.data).toEqual({ k: 'one', x: '1' });
    const bobApplied = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { k: 'two' } } as KubeObject;
    try {
      serverSideApply({ live: a, applied: bobApplied, manager: 'bob', force: false, schema: ConfigMapSchema, now, apiVersion: 'v1' });
      expect.unreachable();
    } catch (e) {
      expect((e as StatusError).code).toBe(409);
      expect((e as StatusError).message).toBe('Apply failed with 1 conflict: conflict with "alice" using v1: .data.k');
    }
    const shared = serverSideApply({
      live: a,
      applied: { ...bobApplied, data: { k: 'one' } },
      manager: 'bob',
      force: false,
      schema: ConfigMapSchema,
      now,
      apiVersion: 'v1',
    });
    expect(shared.metadata.managedFields!.map((m) => m.manager)).toEqual(['alice', 'bob']);
    const forced = serverSideApply({
      live: a,
      applied: bobApplied,
      manager: 'bob',
      force: true,
      schema: ConfigMapSchema,
      now,
      apiVersion: 'v1',
    });
    expect(forced.data).toEqual({ k: 'two', x: '1' });
    // alice stops applying x: it is removed (nobody else owns it); k is bob's now and stays.
    const again = serverSideApply({
      live: forced,
      applied: { ...applied1, data: {} },
      manager: 'alice',
      force: false,
      schema: ConfigMapSchema,
      now,
      apiVersion: 'v1',
    });
    expect(again.data).toEqual({ k: 'two' });
  });
});
