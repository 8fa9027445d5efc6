// JSON values as CEL values for a CelModel (upstream's UnstructuredToVal): integers become BigInt,
// numbers stay doubles, objects become instances of their message type holding only the declared
// fields (a null field is absent, as upstream treats it), maps and dyn objects become Maps, and
// formatted strings become timestamps, durations or bytes. Conversions are cached per model and raw
// object, so nested rules and repeated validations of one object share them.
import { tagList } from './list-types.js';
import type { CelModel } from './model.js';

/** What conversion needs from the CEL engine: its duration type. */
export interface ValueRuntime {
  duration(text: string): unknown;
}

const caches = new WeakMap<CelModel, WeakMap<object, unknown>>();

/** A CEL value for `raw` as `model` describes it; undefined for values CEL cannot represent (treated as absent). */
export function toCel(raw: unknown, model: CelModel, rt: ValueRuntime): unknown {
  if (raw === null || raw === undefined) return raw === null && model.kind === 'dyn' ? null : undefined;
  if (typeof raw !== 'object') return scalarToCel(raw, model, rt);
  let cache = caches.get(model);
  if (!cache) caches.set(model, (cache = new WeakMap()));
  if (cache.has(raw)) return cache.get(raw);
  const v = objectToCel(raw, model, rt);
  cache.set(raw, v);
  return v;
}

function scalarToCel(raw: unknown, model: CelModel, rt: ValueRuntime): unknown {
  switch (model.kind) {
    case 'int':
      return typeof raw === 'number' && Number.isInteger(raw) ? BigInt(raw) : undefined;
    case 'double':
      return typeof raw === 'number' ? raw : undefined;
    case 'string':
      return typeof raw === 'string' ? raw : undefined;
    case 'bool':
      return typeof raw === 'boolean' ? raw : undefined;
    case 'bytes':
      return typeof raw === 'string' ? new Uint8Array(Buffer.from(raw, 'base64')) : undefined;
    case 'timestamp': {
      if (typeof raw !== 'string') return undefined;
      const t = new Date(raw);
      return Number.isNaN(t.getTime()) ? undefined : t;
    }
    case 'duration':
      if (typeof raw !== 'string') return undefined;
      try {
        return rt.duration(raw);
      } catch {
        return undefined;
      }
    case 'dyn':
      return dynScalar(raw);
    default:
      return undefined;
  }
}

/** JSON cannot tell 1 from 1.0: an integral number is an int, as the JSON decoder upstream makes it. */
const dynScalar = (raw: unknown) => (typeof raw === 'number' && Number.isInteger(raw) ? BigInt(raw) : raw);

function dynToCel(raw: unknown): unknown {
  if (raw === null || typeof raw !== 'object') return dynScalar(raw);
  if (Array.isArray(raw)) return raw.map(dynToCel);
  const m = new Map<string, unknown>();
  for (const [k, v] of Object.entries(raw)) m.set(k, dynToCel(v));
  return m;
}

function objectToCel(raw: object, model: CelModel, rt: ValueRuntime): unknown {
  switch (model.kind) {
    case 'object': {
      if (Array.isArray(raw) || !model.ctor) return undefined;
      const o = new model.ctor();
      for (const [k, v] of Object.entries(raw)) {
        const f = model.fields.get(k);
        if (!f) continue;
        const c = toCel(v, f.model, rt);
        if (c !== undefined) o.set(f.cel, c);
      }
      return o;
    }
    case 'map': {
      if (Array.isArray(raw)) return undefined;
      const m = new Map<string, unknown>();
      for (const [k, v] of Object.entries(raw)) {
        const c = toCel(v, model.value, rt);
        if (c !== undefined) m.set(k, c);
      }
      return m;
    }
    case 'list': {
      if (!Array.isArray(raw)) return undefined;
      const l = raw.map((v) => toCel(v, model.elem, rt) ?? null);
      return model.listType ? tagList(l, model.listType) : l;
    }
    case 'dyn':
      return dynToCel(raw);
    default:
      return undefined;
  }
}
