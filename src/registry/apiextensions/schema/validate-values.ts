// Validation of a decoded custom resource against its structural schema, as the API server does it:
// kube-openapi's schema validator (messages like `spec.replicas in body must be of type integer: "string"`)
// turned into field errors the way apiextensions' kubeOpenAPIResultToFieldErrors does, then the
// list-type set/map uniqueness checks (schema/listtype) and the embedded-resource apiVersion/kind checks
// (schema/objectmeta). Errors come out in a fixed order; upstream walks Go maps, so its order varies.
import { fieldErr, GoLiteral, type FieldError, type Path, path as fieldPath } from '../../../apimachinery/field.js';
import { isDNS1035Label, nameIsPathSegment, validateObjectMeta } from '../../../apimachinery/validation.js';
import type { ObjectMeta } from '../../../apimachinery/types.js';
import { effectiveFormat, validatesFormat } from './formats.js';
import { compilePattern, PatternError } from './pattern.js';
import type { NestedValueValidation, Structural, ValueValidation } from './structural.js';

/** One schema node as kube-openapi sees it: a structural node or a nested value validation. */
interface Node {
  types?: string[];
  nullable?: boolean;
  vv?: ValueValidation;
  properties?: Record<string, Node>;
  items?: Node;
  additionalProperties?: Node;
}

const structuralNodes = new WeakMap<Structural, Node>();

function fromStructural(s: Structural): Node {
  const cached = structuralNodes.get(s);
  if (cached) return cached;
  const n: Node = {};
  // x-kubernetes-int-or-string becomes the type list [integer, string] in the converted schema.
  if (s.xIntOrString) n.types = ['integer', 'string'];
  else if (s.type) n.types = [s.type];
  if (s.nullable) n.nullable = true;
  if (s.valueValidation) n.vv = s.valueValidation;
  if (s.properties) {
    n.properties = {};
    for (const [k, v] of Object.entries(s.properties)) n.properties[k] = fromStructural(v);
  }
  if (s.items) n.items = fromStructural(s.items);
  if (s.additionalProperties?.schema) n.additionalProperties = fromStructural(s.additionalProperties.schema);
  structuralNodes.set(s, n);
  return n;
}

function fromNested(v: NestedValueValidation): Node {
  const n: Node = { vv: v };
  if (v.properties) {
    n.properties = {};
    for (const [k, p] of Object.entries(v.properties)) n.properties[k] = fromNested(p);
  }
  if (v.items) n.items = fromNested(v.items);
  if (v.additionalProperties) n.additionalProperties = fromNested(v.additionalProperties);
  return n;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The JSON type kube-openapi infers for a decoded value (integral numbers decode as int64). */
function jsonType(x: unknown): string {
  if (typeof x === 'string') return 'string';
  if (typeof x === 'boolean') return 'boolean';
  if (typeof x === 'number') return Number.isInteger(x) ? 'integer' : 'number';
  if (Array.isArray(x)) return 'array';
  return 'object';
}

/** Go's %v of a float64: strconv's shortest 'g', which switches to exponent form below 1e-4 and from 1e+06. */
export function goFloat(f: number): string {
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : f < 0 ? '-Inf' : 'NaN';
  if (f === 0) return '0';
  const [mant, expText] = f.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/** A bound or factor as kube-openapi prints it: %d for integral data against an integral bound, %v of float64 otherwise. */
const bound = (data: number, b: number) => (Number.isInteger(data) && Number.isInteger(b) ? String(b) : goFloat(b));

/** A decoded value as a field error shows it (floats with Go's %v). */
const shown = (x: unknown): unknown => (typeof x === 'number' && !Number.isInteger(x) ? new GoLiteral(goFloat(x)) : x);

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Collects kube-openapi results: `name` is the dotted path kube-openapi builds, `field` what the API server reports. */
class Result {
  errs: FieldError[] = [];
  /** kube-openapi's MatchCount: how many validators applied (anyOf keeps the best-matching failure). */
  matches = 0;
  constructor(private readonly base: Path | undefined) {}
  at(name: string): Path | string {
    const rel = name.startsWith('.') ? name.slice(1) : name;
    if (!rel) return this.base ?? '<nil>';
    return this.base ? this.base.child(rel) : rel;
  }
  merge(r: Result) {
    this.errs.push(...r.errs);
    this.matches += r.matches;
  }
}

const patternCache = new Map<string, RegExp | PatternError>();
function patternOf(p: string): RegExp | PatternError {
  let re = patternCache.get(p);
  if (!re) {
    try {
      re = compilePattern(p);
    } catch (e) {
      re = e instanceof PatternError ? e : new PatternError(String(e));
    }
    patternCache.set(p, re);
  }
  return re;
}

const runes = (s: string) => [...s].length;

function validateNode(n: Node, x: unknown, name: string, base: Path | undefined): Result {
  const r = new Result(base);
  const vv = n.vv ?? {};
  const format = effectiveFormat(vv.format);
  const body = (msg: string) => `${name} in body ${msg}`;
  const invalid = (value: unknown, msg: string) => r.errs.push(fieldErr.invalid(r.at(name), shown(value), body(msg)));

  // typeValidator
  if (x === null || x === undefined) {
    if (n.types?.length && !n.types.includes('null') && !n.nullable) {
      r.errs.push(fieldErr.typeInvalid(r.at(name), 'null', body(`must be of type ${n.types.join(',')}: "null"`)));
    }
    enumCheck(vv, x, r, name);
    r.matches++;
    return r;
  }
  const t = jsonType(x);
  const types = n.types ?? [];
  const isIntFloat = t === 'integer' && types.includes('number');
  const scalarData = typeof x !== 'string' && !Array.isArray(x);
  // kube-openapi gives decoded numbers the formats of Go's int64 and float64.
  const dataFormat = t === 'integer' ? 'int64' : t === 'number' ? 'float64' : '';
  if (scalarData && format && !(types.includes(t) || dataFormat === format || isIntFloat)) {
    r.errs.push(fieldErr.typeInvalid(r.at(name), dataFormat, body(`must be of type ${format}: ${JSON.stringify(dataFormat)}`)));
  } else if (!scalarData && format && !types.includes('number') && !types.includes('integer')) {
    // A formatted non-numeric schema leaves strings and arrays to the format validator.
  } else if (types.length && !(types.includes(t) || isIntFloat)) {
    r.errs.push(fieldErr.typeInvalid(r.at(name), t, body(`must be of type ${types.join(',')}: ${JSON.stringify(t)}`)));
  }
  r.matches++;

  // schemaPropsValidator: allOf, oneOf, anyOf, not
  composition(vv, x, name, base, r);

  if (typeof x === 'string') {
    // stringValidator
    if (vv.maxLength !== undefined && runes(x) > vv.maxLength) {
      r.errs.push(fieldErr.tooLongMaxLength(r.at(name), vv.maxLength));
    }
    if (vv.minLength !== undefined && runes(x) < vv.minLength) invalid(x, `should be at least ${vv.minLength} chars long`);
    if (vv.pattern !== undefined) {
      const re = patternOf(vv.pattern);
      if (re instanceof PatternError || !re.test(x)) invalid(x, `should match '${vv.pattern}'`);
    }
    // formatValidator
    if (format && !validatesFormat(format, x)) {
      r.errs.push(fieldErr.typeInvalid(r.at(name), x, body(`must be of type ${format}: ${JSON.stringify(x)}`)));
    }
    r.matches++;
  }

  if (typeof x === 'number') {
    // numberValidator
    if (vv.multipleOf !== undefined) {
      if (vv.multipleOf <= 0) {
        r.errs.push(
          fieldErr.invalid(
            r.at(name),
            shown(vv.multipleOf),
            `factor MultipleOf declared for ${name} must be positive: ${goFloat(vv.multipleOf)}`,
          ),
        );
      } else {
        const q = x / vv.multipleOf;
        if (!Number.isInteger(q)) invalid(x, `should be a multiple of ${bound(x, vv.multipleOf)}`);
      }
    }
    if (vv.maximum !== undefined) {
      const over = vv.exclusiveMaximum ? x >= vv.maximum : x > vv.maximum;
      if (over) invalid(x, `should be less than ${vv.exclusiveMaximum ? '' : 'or equal to '}${bound(x, vv.maximum)}`);
    }
    if (vv.minimum !== undefined) {
      const under = vv.exclusiveMinimum ? x <= vv.minimum : x < vv.minimum;
      if (under) invalid(x, `should be greater than ${vv.exclusiveMinimum ? '' : 'or equal to '}${bound(x, vv.minimum)}`);
    }
    r.matches++;
  }

  if (Array.isArray(x)) {
    // schemaSliceValidator
    if (n.items) x.forEach((item, i) => r.merge(validateNode(n.items!, item, `${name}[${i}]`, base)));
    if (vv.minItems !== undefined && x.length < vv.minItems) invalid(x.length, `should have at least ${vv.minItems} items`);
    if (vv.maxItems !== undefined && x.length > vv.maxItems) r.errs.push(fieldErr.tooMany(r.at(name), x.length, vv.maxItems));
    if (vv.uniqueItems && x.some((a, i) => x.some((b, j) => j > i && deepEqual(a, b)))) invalid('', `shouldn't contain duplicates`);
    r.matches++;
  }

  // basicCommonValidator
  enumCheck(vv, x, r, name);

  if (isObject(x)) {
    // objectValidator
    const keys = Object.keys(x);
    if (vv.minProperties !== undefined && keys.length < vv.minProperties) {
      invalid(keys.length, `should have at least ${vv.minProperties} properties`);
      return r;
    }
    if (vv.maxProperties !== undefined && keys.length > vv.maxProperties) {
      r.errs.push(fieldErr.tooMany(r.at(name), keys.length, vv.maxProperties));
      return r;
    }
    const props = n.properties ?? {};
    if (n.additionalProperties) {
      for (const k of keys) if (!Object.hasOwn(props, k)) r.merge(validateNode(n.additionalProperties, x[k], `${name}.${k}`, base));
    }
    for (const [k, sub] of Object.entries(props)) {
      if (Object.hasOwn(x, k)) r.merge(validateNode(sub, x[k], name ? `${name}.${k}` : k, base));
    }
    for (const k of vv.required ?? []) if (!Object.hasOwn(x, k)) r.errs.push(fieldErr.required(r.at(`${name}.${k}`)));
    r.matches++;
  }
  return r;
}

function enumCheck(vv: ValueValidation, x: unknown, r: Result, name: string) {
  if (!vv.enum?.length) return;
  if (vv.enum.some((e) => deepEqual(e, x === undefined ? null : x))) return;
  const supported = vv.enum.map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
  r.errs.push(fieldErr.notSupported(r.at(name), shown(x ?? null), supported));
}

function composition(vv: ValueValidation, x: unknown, name: string, base: Path | undefined, r: Result) {
  const run = (v: NestedValueValidation) => validateNode(fromNested(v), x, name, base);
  // Errors without a field (composite ones) are reported at the validator's own path, which is nil.
  const general = (msg: string) => r.errs.push(fieldErr.invalid(base ?? '<nil>', '', msg));
  const quoted = name ? JSON.stringify(name) : '""';
  if (vv.anyOf?.length) {
    let best: Result | undefined;
    let ok = false;
    for (const v of vv.anyOf) {
      const res = run(v);
      if (!res.errs.length) {
        ok = true;
        break;
      }
      // The failure with the most passing checks explains best what is wrong.
      if (!best || res.matches > best.matches) best = res;
    }
    if (!ok) {
      general(`${quoted} must validate at least one schema (anyOf)`);
      if (best) r.errs.push(...best.errs);
    }
  }
  if (vv.oneOf?.length) {
    let valid = 0;
    let best: Result | undefined;
    for (const v of vv.oneOf) {
      const res = run(v);
      if (!res.errs.length) valid++;
      else if (valid === 0 && (!best || res.matches > best.matches)) best = res;
    }
    if (valid !== 1) {
      general(
        `${quoted} must validate one and only one schema (oneOf). ${valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`}`,
      );
      if (valid === 0 && best) r.errs.push(...best.errs);
    }
  }
  if (vv.allOf?.length) {
    let valid = 0;
    for (const v of vv.allOf) {
      const res = run(v);
      r.errs.push(...res.errs);
      if (!res.errs.length) valid++;
    }
    if (valid !== vv.allOf.length) general(`${quoted} must validate all the schemas (allOf)${valid === 0 ? '. None validated' : ''}`);
  }
  if (vv.not && !run(vv.not).errs.length) general(`${quoted} must not validate the schema (not)`);
}

/**
 * kube-openapi's schema validation of `obj` against `s`, as field errors: paths are the dotted names
 * kube-openapi builds (`spec.ports[0].name`), made children of `base` when given (upstream passes nil
 * for the whole object, so `spec.replicas: Invalid value: ...`).
 */
export function validateSchemaValues(obj: unknown, s: Structural, base?: Path): FieldError[] {
  return validateNode(fromStructural(s), obj, '', base).errs;
}

/** A list-map key as Go's %#v prints the map upstream reports with Duplicate value. */
function goKeyMap(key: Record<string, unknown>): GoLiteral {
  const parts = Object.keys(key)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${goScalar(key[k])}`);
  return new GoLiteral(`map[string]interface {}{${parts.join(', ')}}`);
}
function goScalar(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : goFloat(v);
  if (v === null) return 'interface {}(nil)';
  return JSON.stringify(v);
}

const sameKey = (v: unknown) => (isObject(v) || Array.isArray(v) ? `c${JSON.stringify(v)}` : `s${typeof v}:${String(v)}`);

/** First repeats of each duplicated element (upstream reports the second appearance only). */
function nonUnique(values: unknown[]): number[] {
  const seen = new Map<string, number>();
  const out: number[] = [];
  values.forEach((v, i) => {
    const k = v === UNSPECIFIED ? 'unspecified' : sameKey(v);
    const times = seen.get(k) ?? 0;
    seen.set(k, times + 1);
    if (times === 1) out.push(i);
  });
  return out;
}
const UNSPECIFIED = Symbol('unspecified');

function listSetsAndMaps(p: Path, s: Structural | undefined, x: unknown, errs: FieldError[]) {
  if (!s) return;
  if (Array.isArray(x)) {
    if (s.xListType === 'set') {
      for (const i of nonUnique(x)) errs.push(fieldErr.duplicate(p.index(i), shown(x[i])));
    } else if (s.xListType === 'map') {
      const bad = x.findIndex((e) => e !== null && !isObject(e));
      if (bad >= 0) {
        errs.push(fieldErr.invalid(p.index(bad), shown(x[bad]), 'must be an object for an array of list-type map'));
      } else if (x.length > 1) {
        const keys = s.xListMapKeys ?? [];
        if (keys.length === 1) {
          const kf = keys[0]!;
          const vals = x.map((e) => (isObject(e) && Object.hasOwn(e, kf) ? e[kf] : UNSPECIFIED));
          for (const i of nonUnique(vals)) {
            errs.push(fieldErr.duplicate(p.index(i), goKeyMap(vals[i] === UNSPECIFIED ? {} : { [kf]: vals[i] })));
          }
        } else {
          const vals = x.map((e) => {
            const k: Record<string, unknown> = {};
            if (isObject(e)) for (const f of keys) if (Object.hasOwn(e, f)) k[f] = e[f];
            return k;
          });
          const sorted = vals.map((k) =>
            Object.fromEntries(
              Object.keys(k)
                .sort()
                .map((f) => [f, k[f]]),
            ),
          );
          for (const i of nonUnique(sorted)) errs.push(fieldErr.duplicate(p.index(i), goKeyMap(vals[i]!)));
        }
      }
    }
    if (s.items) x.forEach((e, i) => listSetsAndMaps(p.index(i), s.items, e, errs));
    return;
  }
  if (isObject(x)) {
    const ap = s.additionalProperties?.schema;
    if (ap) for (const [k, v] of Object.entries(x)) listSetsAndMaps(p.key(k), ap, v, errs);
    if (s.properties)
      for (const [k, v] of Object.entries(x)) if (Object.hasOwn(s.properties, k)) listSetsAndMaps(p.child(k), s.properties[k], v, errs);
  }
}

/** Upstream's listtype.ValidateListSetsAndMaps: `Duplicate value` for repeated set elements and list-map keys. */
export function validateListSetsAndMaps(obj: unknown, s: Structural, base?: Path): FieldError[] {
  const errs: FieldError[] = [];
  listSetsAndMaps(base ?? fieldPath(''), s, obj, errs);
  return errs;
}

const stringMap = (v: unknown): Record<string, string> | undefined =>
  isObject(v) && Object.values(v).every((x) => typeof x === 'string') ? (v as Record<string, string>) : undefined;

/** upstream's validateEmbeddedResource: apiVersion and kind required and well-formed, metadata valid ObjectMeta. */
function embeddedResource(p: Path, x: Record<string, unknown>, errs: FieldError[]) {
  // Embedded objects need apiVersion and kind; metadata is optional.
  if (!Object.hasOwn(x, 'apiVersion')) errs.push(fieldErr.required(p.child('apiVersion')));
  if (!Object.hasOwn(x, 'kind')) errs.push(fieldErr.required(p.child('kind')));
  if (Object.hasOwn(x, 'apiVersion')) {
    const av = x.apiVersion;
    if (typeof av !== 'string') errs.push(fieldErr.invalid(p.child('apiVersion'), shown(av), 'must be a string'));
    else if (!av) errs.push(fieldErr.required(p.child('apiVersion')));
    else if (av.split('/').length > 2) errs.push(fieldErr.invalid(p.child('apiVersion'), av, `unexpected GroupVersion string: ${av}`));
  }
  if (Object.hasOwn(x, 'kind')) {
    const kind = x.kind;
    if (typeof kind !== 'string') errs.push(fieldErr.invalid(p.child('kind'), shown(kind), 'must be a string'));
    else if (!kind) errs.push(fieldErr.required(p.child('kind')));
    else {
      const bad = isDNS1035Label(kind.toLowerCase());
      if (bad.length)
        errs.push(fieldErr.invalid(p.child('kind'), kind, `may have mixed case, but should otherwise match: ${bad.join(',')}`));
    }
  }
  const m = x.metadata;
  if (isObject(m)) {
    // Upstream fills in a name ("fakename") so that a nameless template passes, and names are path segments.
    const meta: ObjectMeta = { name: typeof m.name === 'string' && m.name ? m.name : 'fakename' };
    if (typeof m.generateName === 'string') meta.generateName = m.generateName;
    if (typeof m.namespace === 'string') meta.namespace = m.namespace;
    if (typeof m.generation === 'number') meta.generation = m.generation;
    const labels = stringMap(m.labels);
    if (labels) meta.labels = labels;
    const annotations = stringMap(m.annotations);
    if (annotations) meta.annotations = annotations;
    if (Array.isArray(m.finalizers) && m.finalizers.every((f) => typeof f === 'string')) meta.finalizers = m.finalizers as string[];
    for (const e of validateObjectMeta(meta, { namespaced: !!meta.namespace, name: nameIsPathSegment })) {
      errs.push({ ...e, field: String(p.child(e.field)) });
    }
  }
}

function embedded(p: Path, s: Structural | undefined, x: unknown, errs: FieldError[]) {
  if (!s) return;
  if (Array.isArray(x)) {
    x.forEach((e, i) => embedded(p.index(i), s.items, e, errs));
    return;
  }
  if (!isObject(x)) return;
  if (s.xEmbeddedResource) embeddedResource(p, x, errs);
  for (const [k, v] of Object.entries(x)) {
    if (s.properties && Object.hasOwn(s.properties, k)) embedded(p.child(k), s.properties[k], v, errs);
    else if (s.additionalProperties?.schema) embedded(p.key(k), s.additionalProperties.schema, v, errs);
  }
}

/** Upstream's objectmeta validation of x-kubernetes-embedded-resource objects: apiVersion and kind. */
export function validateEmbeddedResources(obj: unknown, s: Structural, base?: Path): FieldError[] {
  const errs: FieldError[] = [];
  embedded(base ?? fieldPath(''), s, obj, errs);
  return errs;
}

/** Everything this module checks for a custom resource, in the API server's order. */
export function validateCustomResourceValues(obj: unknown, s: Structural): FieldError[] {
  return [...validateSchemaValues(obj, s), ...validateEmbeddedResources(obj, s), ...validateListSetsAndMaps(obj, s)];
}
