// managedFields: who owns which field (server-side apply and plain updates), after upstream's
// fieldmanager. Update operations take ownership of the fields they change; Apply operations own
// exactly the fields of their applied configuration, conflict with other owners whose values
// differ (unless forced), and remove fields they stopped applying when nobody else owns them.
import type { KubeObject, ManagedFieldsEntry } from '../types.js';
import { StatusError } from '../errors.js';
import { deepEqual } from '../meta.js';
import { fieldSchema, isPlainObject, itemSchema, listInfo, type Schema } from './schema-walk.js';
import {
  fieldsOf,
  fieldsTree,
  formatPath,
  fromFieldsV1,
  getAt,
  ItemIndex,
  itemKey,
  removeAll,
  splitPath,
  toFieldsV1,
  type FieldSet,
} from './fieldset.js';

// Structural, not textual: key order is no change, and nothing is serialized for large values.
const same = deepEqual;
const stamp = (d: Date) => `${d.toISOString().slice(0, 19)}Z`;

interface Entry {
  e: ManagedFieldsEntry;
  set: FieldSet;
}

function entriesOf(obj: KubeObject | undefined): Entry[] {
  return (obj?.metadata.managedFields ?? []).map((e) => ({ e: { ...e }, set: fromFieldsV1(e.fieldsV1) }));
}

function serialize(entries: Entry[]): ManagedFieldsEntry[] | undefined {
  const out = entries.filter((x) => x.set.size > 0).map((x) => ({ ...x.e, fieldsType: 'FieldsV1' as const, fieldsV1: toFieldsV1(x.set) }));
  return out.length ? out : undefined;
}

/** The subresources entries are recorded under (a write through /scale changes the parent's spec.replicas). */
const sub = (s?: string) => (s === 'status' || s === 'scale' ? s : undefined);

function entryFor(
  entries: Entry[],
  manager: string,
  operation: 'Apply' | 'Update',
  apiVersion: string,
  now: Date,
  subresource?: string,
): Entry {
  let x = entries.find(
    (y) => y.e.manager === manager && y.e.operation === operation && (y.e.subresource ?? undefined) === sub(subresource),
  );
  if (!x) {
    x = { e: { manager, operation, apiVersion }, set: new Set() };
    if (sub(subresource)) x.e.subresource = sub(subresource);
    entries.push(x);
  }
  x.e.apiVersion = apiVersion;
  x.e.time = stamp(now);
  return x;
}

/** Fields whose value differs between a and b (set in either). `.` markers count by presence. */
function changedFields(a: unknown, b: unknown, sa: FieldSet, sb: FieldSet): FieldSet {
  const out: FieldSet = new Set();
  const ia = new ItemIndex();
  const ib = new ItemIndex();
  for (const p of sb) {
    if (p.endsWith('\u0000.') || p === '.') {
      if (!sa.has(p)) out.add(p);
    } else if (!sa.has(p) || !same(getAt(a, splitPath(p), ia), getAt(b, splitPath(p), ib))) out.add(p);
  }
  for (const p of sa) if (!sb.has(p)) out.add(p);
  return out;
}

export function trackUpdate(o: {
  old: KubeObject | undefined;
  updated: KubeObject;
  manager: string;
  schema: Schema;
  now: Date;
  apiVersion: string;
  subresource?: string;
}): ManagedFieldsEntry[] | undefined {
  const schema = o.schema;
  const part = o.subresource === 'status' ? 'status' : 'main';
  if (!o.old && !o.updated.metadata.managedFields?.length) {
    // A create: the creator owns everything it set (the hot path of every POST).
    const tree = fieldsTree(o.updated, schema, part);
    if (!Object.keys(tree).length) return undefined;
    const e: ManagedFieldsEntry = {
      manager: o.manager,
      operation: 'Update',
      apiVersion: o.apiVersion,
      time: stamp(o.now),
      fieldsType: 'FieldsV1',
      fieldsV1: tree,
    };
    if (sub(o.subresource)) e.subresource = sub(o.subresource);
    return [e];
  }
  const entries = entriesOf(o.old ?? o.updated);
  const before = o.old ? fieldsOf(o.old, schema, part) : new Set<string>();
  const after = fieldsOf(o.updated, schema, part);
  const changed = changedFields(o.old, o.updated, before, after);
  if (!changed.size) return serialize(entries);
  for (const x of entries) for (const p of changed) x.set.delete(p);
  const mine = entryFor(entries, o.manager, 'Update', o.apiVersion, o.now, o.subresource);
  for (const p of changed) if (after.has(p)) mine.set.add(p);
  return serialize(entries);
}

/** JSON text with object keys sorted and undefined left out: equal texts iff deepEqual. */
function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'undefined';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
    .join(',')}}`;
}

/** Merges an applied configuration into the live object, structurally per the schema. */
function mergeApplied(live: unknown, applied: unknown, s: Schema | undefined): unknown {
  if (Array.isArray(applied)) {
    const info = listInfo(s);
    if (!Array.isArray(live) || info.listType === 'atomic' || !s) return applied;
    // Items are found through maps (a scan per applied item was quadratic in list length).
    if (info.listType === 'set') {
      const out = [...live];
      const present = new Set(out.map(canonical));
      for (const x of applied) {
        const id = canonical(x);
        if (present.has(id)) continue;
        present.add(id);
        out.push(x);
      }
      return out;
    }
    const out = [...live];
    const at = new Map<string, number>();
    out.forEach((y, i) => {
      if (!isPlainObject(y)) return;
      const k = itemKey(y, info.keys, itemSchema(s));
      if (!at.has(k)) at.set(k, i);
    });
    for (const item of applied) {
      if (!isPlainObject(item)) continue;
      const k = itemKey(item, info.keys, itemSchema(s));
      const i = at.get(k);
      if (i !== undefined) out[i] = mergeApplied(out[i], item, itemSchema(s));
      else {
        at.set(k, out.length);
        out.push(item);
      }
    }
    return out;
  }
  if (isPlainObject(applied) && isPlainObject(live) && s && s['x-kubernetes-map-type'] !== 'atomic') {
    const out: Record<string, unknown> = Object.assign(Object.create(null), live); // `__proto__` stays an ordinary key
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) continue;
      out[k] = mergeApplied(Object.hasOwn(live, k) ? live[k] : undefined, v, fieldSchema(s, k));
    }
    return out;
  }
  return applied;
}

export function serverSideApply(o: {
  live: KubeObject | undefined;
  applied: KubeObject;
  manager: string;
  force: boolean;
  schema: Schema;
  now: Date;
  apiVersion: string;
  subresource?: string;
}): KubeObject {
  const schema = o.schema;
  const part = o.subresource === 'status' ? 'status' : 'main';
  const live: KubeObject = o.live ?? { apiVersion: o.applied.apiVersion, kind: o.applied.kind, metadata: {} };
  const entries = entriesOf(o.live);
  const appliedSet = fieldsOf(o.applied, schema, part);
  const mine = entries.find(
    (x) => x.e.manager === o.manager && x.e.operation === 'Apply' && (x.e.subresource ?? undefined) === sub(o.subresource),
  );
  const previous = mine?.set ?? new Set<string>();

  // Conflicts: fields another manager owns where the applied value differs from the live one.
  const conflicts: { manager: string; apiVersion?: string; path: string }[] = [];
  const liveIdx = new ItemIndex();
  const appliedIdx = new ItemIndex();
  for (const x of entries) {
    if (x === mine) continue;
    for (const p of appliedSet) {
      if (!x.set.has(p) || p.endsWith('\u0000.')) continue;
      if (!same(getAt(live, splitPath(p), liveIdx), getAt(o.applied, splitPath(p), appliedIdx)))
        conflicts.push({ manager: x.e.manager ?? '', apiVersion: x.e.apiVersion, path: p });
    }
  }
  if (conflicts.length && !o.force) throw conflictError(conflicts);
  if (o.force) for (const c of conflicts) entries.find((x) => x.e.manager === c.manager && x.set.has(c.path))?.set.delete(c.path);

  const { metadata: appliedMeta, ...appliedRest } = o.applied;
  const merged = mergeApplied(live, { ...appliedRest, metadata: pickOwnedMeta(appliedMeta) }, schema) as KubeObject;
  // Fields this manager applied before but no longer does, and nobody else owns, are removed.
  const others = new Set<string>();
  for (const x of entries) if (x !== mine) for (const p of x.set) others.add(p);
  const dropped = [...previous].filter((p) => !appliedSet.has(p) && !others.has(p)).sort((a, b) => b.length - a.length);
  removeAll(merged, dropped.map(splitPath));

  const entry = mine ?? entryFor(entries, o.manager, 'Apply', o.apiVersion, o.now, o.subresource);
  entry.set = appliedSet;
  entry.e.time = stamp(o.now);
  entry.e.apiVersion = o.apiVersion;
  merged.metadata = { ...live.metadata, ...merged.metadata, managedFields: serialize(entries) };
  if (!merged.metadata.managedFields) delete merged.metadata.managedFields;
  return merged;
}

function pickOwnedMeta(m: KubeObject['metadata'] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!m) return out;
  for (const k of ['labels', 'annotations', 'finalizers', 'ownerReferences'] as const) if (m[k] !== undefined) out[k] = m[k];
  return out;
}

function conflictError(conflicts: { manager: string; apiVersion?: string; path: string }[]): StatusError {
  const n = conflicts.length;
  let message: string;
  if (n === 1) {
    const c = conflicts[0]!;
    message = `Apply failed with 1 conflict: conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}: ${formatPath(c.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) {
      const k = `conflicts with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}:`;
      byManager.set(k, [...(byManager.get(k) ?? []), formatPath(c.path)]);
    }
    message = `Apply failed with ${n} conflicts: ${[...byManager].map(([k, ps]) => `${k}\n${ps.map((p) => `- ${p}`).join('\n')}`).join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, {
    causes: conflicts.map((c) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with "${c.manager}"${c.apiVersion ? ` using ${c.apiVersion}` : ''}`,
      field: formatPath(c.path),
    })),
  });
}
