// Field sets of server-side apply: which fields an object sets, as paths of upstream's FieldsV1
// elements (`f:spec`, `k:{"port":80,"protocol":"TCP"}`, `v:"x"`, `.` for "the node itself"),
// converted to and from the FieldsV1 trees stored in metadata.managedFields.
import { fieldSchema, isPlainObject, itemSchema, listInfo, type Schema } from './schema-walk.js';

export type FieldSet = Set<string>;
const SEP = '\u0000';

export const joinPath = (p: string[]): string => p.join(SEP);
export const splitPath = (p: string): string[] => p.split(SEP);

/** metadata fields owned by managers; the rest is server-managed. */
const OWNED_META = new Set(['labels', 'annotations', 'finalizers', 'ownerReferences']);
const IGNORED_TOP = new Set(['apiVersion', 'kind']);

/** Key element of a list-map item: upstream orders the keys by name. */
export function itemKey(item: Record<string, unknown>, keys: string[], items?: Schema): string {
  const k: Record<string, unknown> = {};
  for (const name of [...keys].sort()) {
    // An absent key field counts as its schema default (structured-merge-diff): a port without
    // protocol is the same list item as the stored one with protocol TCP.
    const v = item[name] ?? (items ? fieldSchema(items, name)?.default : undefined);
    if (v !== undefined && v !== null) k[name] = v;
  }
  return `k:${JSON.stringify(k)}`;
}

/**
 * Fields set in obj. `part` limits the walk to the main resource (no status) or the status
 * subresource (only status), like upstream's reset fields.
 */
export function fieldsOf(obj: unknown, schema: Schema, part: 'main' | 'status' = 'main'): FieldSet {
  const out: FieldSet = new Set();
  if (!isPlainObject(obj)) return out;
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || IGNORED_TOP.has(k)) continue;
    if (part === 'main' && k === 'status') continue;
    if (part === 'status' && k !== 'status') continue;
    if (k === 'metadata') {
      if (!isPlainObject(v)) continue;
      const ms = fieldSchema(schema, 'metadata');
      for (const [mk, mv] of Object.entries(v)) {
        if (!OWNED_META.has(mk) || mv === undefined || mv === null) continue;
        walk(mv, fieldSchema(ms, mk), ['f:metadata', `f:${mk}`], out);
      }
      continue;
    }
    walk(v, fieldSchema(schema, k), [`f:${k}`], out);
  }
  return out;
}

function walk(v: unknown, s: Schema | undefined, path: string[], out: FieldSet): void {
  if (Array.isArray(v)) {
    const info = listInfo(s);
    if (info.listType === 'atomic' || !s) {
      out.add(joinPath(path));
      return;
    }
    out.add(joinPath([...path, '.']));
    const items = itemSchema(s);
    for (const item of v) {
      if (info.listType === 'set' || !isPlainObject(item)) {
        out.add(joinPath([...path, `v:${JSON.stringify(item)}`]));
        continue;
      }
      const kp = [...path, itemKey(item, info.keys, items)];
      out.add(joinPath([...kp, '.']));
      for (const [k, x] of Object.entries(item)) if (x !== null && x !== undefined) walk(x, fieldSchema(items, k), [...kp, `f:${k}`], out);
    }
    return;
  }
  if (isPlainObject(v) && s && s['x-kubernetes-map-type'] !== 'atomic' && !s['x-kubernetes-preserve-unknown-fields']) {
    const entries = Object.entries(v).filter(([, x]) => x !== null && x !== undefined);
    const isMap = !s.properties && typeof s.additionalProperties === 'object';
    if (isMap) out.add(joinPath([...path, '.']));
    if (!entries.length && !isMap) {
      out.add(joinPath(path));
      return;
    }
    for (const [k, x] of entries) walk(x, fieldSchema(s, k), [...path, `f:${k}`], out);
    return;
  }
  out.add(joinPath(path));
}

/**
 * Finds list items by a field path element (`k:{"port":80}` by key fields, `v:"x"` by value).
 * Each list is indexed once, on first lookup: a lookup per path scanning the list (and
 * serializing every item) made server-side apply and update tracking quadratic in list length
 * (3,000 finalizers or ports took seconds). Valid while the lists are not changed.
 */
export class ItemIndex {
  private readonly lists = new WeakMap<unknown[], Map<string, Map<string, number>>>();
  private readonly parsed = new Map<string, { sig: string; id: string }>();

  /** Index of the first item of `list` that `el` names, or -1. */
  find(list: unknown[], el: string): number {
    let sig: string;
    let id: string;
    let names: string[] = [];
    if (el.startsWith('v:')) {
      sig = 'v';
      id = el.slice(2);
    } else {
      let p = this.parsed.get(el);
      if (!p) {
        let key: Record<string, unknown>;
        try {
          key = JSON.parse(el.slice(2)) as Record<string, unknown>;
        } catch {
          return -1;
        }
        if (!isPlainObject(key)) return -1;
        names = Object.keys(key);
        p = { sig: `k:${JSON.stringify(names)}`, id: names.map((n) => JSON.stringify(key[n])).join('\u0000') };
        this.parsed.set(el, p);
      }
      ({ sig, id } = p);
      if (!this.lists.get(list)?.has(sig)) names = JSON.parse(sig.slice(2)) as string[];
    }
    let bySig = this.lists.get(list);
    if (!bySig) this.lists.set(list, (bySig = new Map()));
    let ids = bySig.get(sig);
    if (!ids) {
      ids = new Map();
      for (let i = 0; i < list.length; i++) {
        const x = list[i];
        let xid: string | undefined;
        if (sig === 'v') xid = JSON.stringify(x);
        else if (isPlainObject(x)) {
          const parts: string[] = [];
          for (const n of names) {
            const v = JSON.stringify(x[n]);
            if (v === undefined) break;
            parts.push(v);
          }
          if (parts.length === names.length) xid = parts.join('\u0000');
        }
        if (xid !== undefined && !ids.has(xid)) ids.set(xid, i);
      }
      bySig.set(sig, ids);
    }
    return ids.get(id) ?? -1;
  }
}

/** The value at a field path (undefined if absent). For `.` the node itself. */
export function getAt(obj: unknown, path: string[], idx: ItemIndex = new ItemIndex()): unknown {
  let cur: unknown = obj;
  for (const el of path) {
    if (el === '.') return cur;
    if (cur === undefined || cur === null) return undefined;
    if (el.startsWith('f:')) cur = isPlainObject(cur) && Object.hasOwn(cur, el.slice(2)) ? cur[el.slice(2)] : undefined;
    else if (el.startsWith('k:') || el.startsWith('v:')) {
      if (!Array.isArray(cur)) return undefined;
      const i = idx.find(cur, el);
      cur = i >= 0 ? cur[i] : undefined;
    } else return undefined;
  }
  return cur;
}

/** Removes the field at path from obj (in place). Removing `.` of an item removes the item. */
export function removeAt(obj: unknown, path: string[]): void {
  removeAll(obj, [path]);
}

/**
 * Removes the fields at `paths` from obj (in place), all found before any is removed (indexes
 * stay valid); items of a list go in one pass.
 */
export function removeAll(obj: unknown, paths: string[][]): void {
  const idx = new ItemIndex();
  const fields: [Record<string, unknown>, string][] = [];
  const items = new Map<unknown[], Set<number>>();
  for (const path of paths) {
    const p = path[path.length - 1] === '.' ? path.slice(0, -1) : path;
    if (!p.length) continue;
    const parent = getAt(obj, p.slice(0, -1), idx);
    const last = p[p.length - 1]!;
    if (last.startsWith('f:') && isPlainObject(parent)) fields.push([parent, last.slice(2)]);
    else if (Array.isArray(parent)) {
      const i = idx.find(parent, last);
      if (i < 0) continue;
      let set = items.get(parent);
      if (!set) items.set(parent, (set = new Set()));
      set.add(i);
    }
  }
  for (const [o, k] of fields) delete o[k];
  for (const [list, drop] of items) {
    let w = 0;
    for (let r = 0; r < list.length; r++) if (!drop.has(r)) list[w++] = list[r];
    list.length = w;
  }
}

export function toFieldsV1(set: FieldSet): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const p of [...set].sort()) {
    let node = root;
    for (const el of splitPath(p)) node = (node[el] ??= {}) as Record<string, unknown>;
  }
  return root;
}

export function fromFieldsV1(tree: unknown): FieldSet {
  const out: FieldSet = new Set();
  const rec = (node: unknown, path: string[]) => {
    if (!isPlainObject(node)) return;
    const keys = Object.keys(node);
    if (!keys.length && path.length) out.add(joinPath(path));
    for (const k of keys) {
      if (k === '.') out.add(joinPath([...path, '.']));
      else rec(node[k], [...path, k]);
    }
  };
  rec(tree, []);
  return out;
}

/** Upstream prints conflicting fields like `.spec.ports[port=80,protocol="TCP"].targetPort`. */
export function formatPath(p: string): string {
  let s = '';
  for (const el of splitPath(p)) {
    if (el === '.') continue;
    if (el.startsWith('f:')) s += `.${el.slice(2)}`;
    else if (el.startsWith('k:')) {
      const key = JSON.parse(el.slice(2)) as Record<string, unknown>;
      s += `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    } else if (el.startsWith('v:')) s += `[=${el.slice(2)}]`;
  }
  return s;
}

/**
 * fieldsOf + toFieldsV1 in one pass, for the common case of a create (every field set belongs to
 * the creator): builds the FieldsV1 tree directly instead of path strings.
 */
export function fieldsTree(obj: unknown, schema: Schema, part: 'main' | 'status' = 'main'): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  if (!isPlainObject(obj)) return root;
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined || v === null || IGNORED_TOP.has(k)) continue;
    if (part === 'main' && k === 'status') continue;
    if (part === 'status' && k !== 'status') continue;
    if (k === 'metadata') {
      if (!isPlainObject(v)) continue;
      const ms = fieldSchema(schema, 'metadata');
      let meta: Record<string, unknown> | undefined;
      for (const [mk, mv] of Object.entries(v)) {
        if (!OWNED_META.has(mk) || mv === undefined || mv === null) continue;
        meta ??= root['f:metadata'] = {} as Record<string, unknown>;
        treeWalk(mv, fieldSchema(ms, mk), meta, `f:${mk}`);
      }
      continue;
    }
    treeWalk(v, fieldSchema(schema, k), root, `f:${k}`);
  }
  return root;
}

function treeWalk(v: unknown, s: Schema | undefined, parent: Record<string, unknown>, el: string): void {
  if (Array.isArray(v)) {
    const info = listInfo(s);
    if (info.listType === 'atomic' || !s) {
      parent[el] ??= {};
      return;
    }
    const node = (parent[el] ??= {}) as Record<string, unknown>;
    node['.'] = {};
    const items = itemSchema(s);
    for (const item of v) {
      if (info.listType === 'set' || !isPlainObject(item)) {
        node[`v:${JSON.stringify(item)}`] = {};
        continue;
      }
      const inode = (node[itemKey(item, info.keys, items)] ??= {}) as Record<string, unknown>;
      inode['.'] = {};
      for (const [k, x] of Object.entries(item)) if (x !== null && x !== undefined) treeWalk(x, fieldSchema(items, k), inode, `f:${k}`);
    }
    return;
  }
  if (isPlainObject(v) && s && s['x-kubernetes-map-type'] !== 'atomic' && !s['x-kubernetes-preserve-unknown-fields']) {
    const isMap = !s.properties && typeof s.additionalProperties === 'object';
    let any = false;
    for (const [k, x] of Object.entries(v)) {
      if (x === null || x === undefined) continue;
      any = true;
      const node = (parent[el] ??= {}) as Record<string, unknown>;
      treeWalk(x, fieldSchema(s, k), node, `f:${k}`);
    }
    if (isMap) ((parent[el] ??= {}) as Record<string, unknown>)['.'] = {};
    else if (!any) parent[el] ??= {};
    return;
  }
  parent[el] ??= {};
}
