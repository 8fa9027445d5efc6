// Strategic merge patch (application/strategic-merge-patch+json), driven by the kind's schema
// (x-kubernetes-patch-merge-key / -strategy): lists of objects merge by key, lists with strategy
// merge union their primitives, other lists replace; null deletes; and the directives kubectl
// sends: `$patch: replace|delete|merge`, `$retainKeys`, `$deleteFromPrimitiveList/<field>`,
// `$setElementOrder/<field>`. Fields without a schema merge like a JSON merge patch.
import { badRequest } from '../errors.js';
import { fieldSchema, isPlainObject, itemSchema, listInfo, type Schema } from './schema-walk.js';

type Obj = Record<string, unknown>;
const DELETE_FROM = '$deleteFromPrimitiveList/';
const ORDER = '$setElementOrder/';

export function applyStrategicMergePatch(target: unknown, patch: Obj, schema: Schema): unknown {
  const out = mergeMap(isPlainObject(target) ? target : {}, patch, schema);
  return out === DELETED ? {} : out;
}

const DELETED = Symbol('deleted');

/** Removes directive keys from a value that replaces wholesale. */
function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => !(isPlainObject(x) && x.$patch === 'delete')).map(strip);
  if (!isPlainObject(v)) return v;
  const out: Obj = Object.create(null); // `__proto__` stays an ordinary key (see merge.ts)
  for (const [k, x] of Object.entries(v)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(DELETE_FROM) || k.startsWith(ORDER)) continue;
    if (x === null) continue;
    out[k] = strip(x);
  }
  return out;
}

function mergeMap(orig: Obj, patch: Obj, s: Schema | undefined): Obj | typeof DELETED {
  const directive = patch.$patch;
  if (directive === 'delete') return DELETED;
  if (directive === 'replace') return strip(patch) as Obj;
  if (directive !== undefined && directive !== 'merge') throw badRequest(`Unknown patch type: ${String(directive)}`);
  const out: Obj = Object.assign(Object.create(null), orig); // `__proto__` stays an ordinary key
  const retain = patch.$retainKeys;
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith(ORDER)) continue;
    if (k.startsWith(DELETE_FROM)) {
      const field = k.slice(DELETE_FROM.length);
      if (!Array.isArray(v)) throw badRequest(`invalid ${DELETE_FROM} directive: expected a list`);
      const cur = out[field];
      if (Array.isArray(cur)) {
        // By JSON text, through a set: linear in both lists (a patch may hold thousands).
        const drop = new Set(v.map((d) => JSON.stringify(d)));
        out[field] = cur.filter((x) => !drop.has(JSON.stringify(x)));
      }
      continue;
    }
    if (v === null) {
      delete out[k];
      continue;
    }
    const fs = fieldSchema(s, k);
    const cur = Object.hasOwn(out, k) ? out[k] : undefined;
    if (isPlainObject(v)) {
      // Maps and structs merge whatever their x-kubernetes-map-type: upstream's strategic merge
      // reads the Go types' patchStrategy tags, which +mapType/+structType=atomic do not set
      // (a Service's selector and a binding's paramRef merge key by key; `$patch: replace` replaces).
      const merged = mergeMap(isPlainObject(cur) ? cur : {}, v, fs);
      if (merged === DELETED) delete out[k];
      else out[k] = merged;
    } else if (Array.isArray(v)) {
      out[k] = mergeList(Array.isArray(cur) ? cur : [], v, fs, patch[`${ORDER}${k}`]);
    } else out[k] = v;
  }
  // $setElementOrder for a list the patch did not otherwise touch.
  for (const [k, order] of Object.entries(patch)) {
    if (!k.startsWith(ORDER)) continue;
    const field = k.slice(ORDER.length);
    if (field in patch || !Array.isArray(out[field]) || !Array.isArray(order)) continue;
    out[field] = reorder(out[field] as unknown[], order, listInfo(fieldSchema(s, field)).mergeKey);
  }
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw badRequest('invalid $retainKeys directive: expected a list');
    const keep = new Set<unknown>(retain);
    for (const k of Object.keys(out)) if (!keep.has(k) && !(k in patch)) delete out[k];
  }
  return out;
}

function mergeList(orig: unknown[], patch: unknown[], s: Schema | undefined, order: unknown): unknown[] {
  const info = listInfo(s);
  const merge = info.strategy.includes('merge');
  const replaceAll = patch.find((x) => isPlainObject(x) && x.$patch === 'replace');
  if (replaceAll) return strip(patch.filter((x) => x !== replaceAll)) as unknown[];
  if (!merge) return strip(patch) as unknown[];
  const key = info.mergeKey;
  let out: unknown[];
  // Items are found by their JSON text through maps, not by scanning the list for each patch
  // item: a strategic merge patch of 30,000 list items took minutes (quadratic), now linear.
  if (!key) {
    // Primitive list with strategy merge: union, keeping order.
    out = [...orig];
    const present = new Set(out.map((y) => JSON.stringify(y)));
    for (const x of patch) {
      const id = JSON.stringify(x);
      if (present.has(id)) continue;
      present.add(id);
      out.push(x);
    }
  } else {
    const items = itemSchema(s);
    // Slots of the list; a removed item leaves a hole (closed at the end), so indices stay valid.
    const slots: unknown[] = [...orig];
    const HOLE = DELETED;
    // Merge key (as JSON) -> slots holding it, first first: the first match is the one merged.
    const byKey = new Map<string, number[]>();
    const index = (i: number) => {
      const o = slots[i];
      if (!isPlainObject(o)) return;
      const id = JSON.stringify(o[key]);
      if (id === undefined) return;
      const at = byKey.get(id);
      if (at) at.push(i);
      else byKey.set(id, [i]);
    };
    for (let i = 0; i < slots.length; i++) index(i);
    for (const p of patch) {
      if (!isPlainObject(p)) throw badRequest(`unable to find api field in struct for the list element ${JSON.stringify(p)}`);
      if (!(key in p)) throw badRequest(`map: ${JSON.stringify(p)} does not contain declared merge key: ${key}`);
      const at = byKey.get(JSON.stringify(p[key]) ?? '');
      const i = at?.length ? at[0]! : -1;
      if (p.$patch === 'delete') {
        if (i >= 0) {
          slots[i] = HOLE;
          at!.shift();
        }
        continue;
      }
      if (i >= 0) {
        const merged = mergeMap(slots[i] as Obj, p, items);
        if (merged === DELETED) {
          slots[i] = HOLE;
          at!.shift();
        } else slots[i] = merged;
      } else {
        slots.push(strip(p));
        index(slots.length - 1);
      }
    }
    out = slots.filter((x) => x !== HOLE);
  }
  return Array.isArray(order) ? reorder(out, order, key) : out;
}

/** Orders items listed in `order` as given; items the client did not list keep their place after. */
function reorder(items: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const id = (x: unknown) => JSON.stringify(key && isPlainObject(x) ? x[key] : x);
  const want = order.map((o) => JSON.stringify(key && isPlainObject(o) ? o[key] : o));
  const rank = new Map(want.map((w, i) => [w, i]));
  const listed = items.filter((x) => rank.has(id(x))).sort((a, b) => rank.get(id(a))! - rank.get(id(b))!);
  const rest = items.filter((x) => !rank.has(id(x)));
  return [...listed, ...rest];
}
