// Strict decoding against a kind's schema, reporting problems the way upstream's decoder does
// (sigs.k8s.io/json, a fork of Go's encoding/json, decoding into the typed Go structs):
//   - a wrong JSON type is Go's UnmarshalTypeError, with the innermost struct and the dotted JSON
//     field path (no indices): `json: cannot unmarshal string into Go struct field
//     ServicePort.spec.ports.port of type int32`. Go keeps only the first such error;
//   - types with their own UnmarshalJSON report their own texts without field context:
//     IntOrString (`json: cannot unmarshal bool into Go value of type int32`), Quantity
//     (`quantities must match the regular expression ...`), Time and MicroTime (time.Parse's
//     `parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"`), and []byte
//     (`illegal base64 data at input byte 3`);
//   - unknown fields are collected with indexed paths (`spec.ports[0].foo`) for fieldValidation
//     Strict (`strict decoding error: unknown field "spec.foo"`) or Warn (Warning headers).
// null is accepted anywhere: it means unset. Duplicate keys are gone after JSON.parse, so they are
// not reported. One pass over the object with a shared path stack: it runs on every write.
import { parseQuantity, quantityString } from './quantity.js';
import type { Schema } from './schema.js';

export interface CheckResult {
  /** Upstream stops at its first decode error, so this holds at most one message. */
  typeErrors: string[];
  /**
   * The same first error as a strategic merge patch reports it: upstream converts the patched
   * map with runtime.DefaultUnstructuredConverter.FromUnstructured (pkg/runtime/converter.go),
   * whose texts differ from encoding/json's (`cannot restore map from string`).
   */
  converterErrors: string[];
  unknownFields: string[];
}

const M = 'io.k8s.apimachinery.pkg.apis.meta.v1.';
const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const TIME = `${M}Time`;
const MICRO_TIME = `${M}MicroTime`;
const FIELDS_V1 = `${M}FieldsV1`;

/** Walk state shared by one check; the path stack is only joined when something is reported. */
interface State {
  /** Field names (strings) and list indices (numbers) from the root to the current value. */
  path: (string | number)[];
  /** Delete unknown fields where they are found (decoding into typed structs drops them). */
  prune: boolean;
  /** Rewrite quantities in their canonical form, as a decoded resource.Quantity serialises. */
  canonical: boolean;
  /** Go struct name per path depth (the struct holding the field at that depth). */
  structs: string[];
  out: CheckResult;
}

/**
 * Type-checks a decoded body against the kind's schema and lists its unknown fields. With
 * `prune`, unknown fields are also deleted from `obj` in place: upstream decodes into Go structs,
 * which keep nothing they do not declare, so Warn and Ignore never store an unknown field.
 */
export function checkObject(obj: unknown, schema: Schema, kind: string, opts: { prune?: boolean; canonical?: boolean } = {}): CheckResult {
  const st: State = {
    path: [],
    prune: !!opts.prune,
    canonical: !!opts.canonical,
    structs: [],
    out: { typeErrors: [], converterErrors: [], unknownFields: [] },
  };
  if (obj !== null && typeof obj === 'object' && !Array.isArray(obj))
    walkObject(obj as Record<string, unknown>, schema, shortName(schema) ?? kind, st);
  return st.out;
}

export function strictDecodingError(unknownFields: string[]): string {
  return `strict decoding error: ${unknownFieldWarnings(unknownFields).join(', ')}`;
}

export function unknownFieldWarnings(unknownFields: string[]): string[] {
  return unknownFields.map((f) => `unknown field "${f}"`);
}

// ---- the walk ----

function walkObject(v: Record<string, unknown>, s: Schema, struct: string, st: State): void {
  const props = s.properties;
  const addl = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  if (!props && !addl) return; // free-form (preserve-unknown-fields) or untyped object
  // Own keys only, and own schema properties only: `__proto__`, `constructor` or `toString`
  // in a body are ordinary unknown fields, never the prototype's members.
  for (const k of Object.keys(v)) {
    const child = v[k];
    const cs = props && Object.hasOwn(props, k) ? props[k] : undefined;
    st.path.push(k);
    if (cs) {
      st.structs.push(struct);
      checkValue(child, cs, st);
      st.structs.pop();
      if (st.canonical && cs['x-tinykube-name'] === QUANTITY) canonicalize(v, k);
    } else if (addl) {
      // A map value: Go reports it against the map field itself (ConfigMap.data), so the
      // value's own key is not part of the Go path; it is part of nested unknown-field paths.
      checkMapValue(child, addl, st);
      if (st.canonical && addl['x-tinykube-name'] === QUANTITY) canonicalize(v, k);
    } else if (!s['x-kubernetes-preserve-unknown-fields']) {
      st.out.unknownFields.push(jsonPath(st.path));
      if (st.prune) delete v[k];
    }
    st.path.pop();
  }
}

/** A value at st.path whose holder struct is the top of st.structs. */
function checkValue(v: unknown, s: Schema, st: State): void {
  if (v === null || v === undefined) return;
  const name = s['x-tinykube-name'];
  if (name !== undefined && special(v, s, name, st)) return;
  const t = s.type;
  if (t === 'object') {
    if (typeof v !== 'object' || Array.isArray(v)) return typeError(v, s, st);
    walkObject(v as Record<string, unknown>, s, shortName(s) ?? st.structs[st.structs.length - 1]!, st);
  } else if (t === 'array') {
    if (!Array.isArray(v)) return typeError(v, s, st);
    const items = s.items;
    if (!items) return;
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      if (item === null || item === undefined) continue;
      st.path.push(i);
      // An element of the wrong type is reported against the list field (ServiceSpec.spec.ports).
      if (!scalarOk(item, items)) typeError(item, items, st);
      else checkValue(item, items, st);
      st.path.pop();
    }
  } else if (t === 'string') {
    if (typeof v !== 'string') return typeError(v, s, st);
    if (s.format === 'byte') base64Check(v, st);
  } else if (!scalarOk(v, s)) typeError(v, s, st);
}

function checkMapValue(v: unknown, s: Schema, st: State): void {
  if (v === null || v === undefined) return;
  // The Go error context stays at the map field: drop the key from the Go path, keep it for JSON paths.
  const key = st.path.pop()!;
  const ok = s['x-tinykube-name'] !== undefined || scalarOk(v, s);
  if (!ok) typeError(v, s, st);
  st.path.push(key);
  if (ok) {
    st.structs.push(st.structs[st.structs.length - 1]!);
    checkValue(v, s, st);
    st.structs.pop();
  }
}

/**
 * A Quantity as upstream stores it: resource.Quantity keeps the string it parsed only when that
 * is already canonical, and otherwise marshals its canonical form (`0.5` → `500m`, `1024Mi` →
 * `1Gi`, the number 1 → `"1"`). Invalid values are left for the type error.
 */
function canonicalize(o: Record<string, unknown>, k: string): void {
  const x = o[k];
  if (typeof x !== 'string' && typeof x !== 'number') return;
  const q = parseQuantity(x);
  if (q) o[k] = q.cached ?? quantityString(q);
}

/** Type check for values that are not objects, arrays or special named types. */
function scalarOk(v: unknown, s: Schema): boolean {
  switch (s.type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && intFits(v, s.format);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return typeof v === 'object' && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    default:
      return true;
  }
}

function intFits(n: number, format: unknown): boolean {
  if (!Number.isInteger(n)) return false;
  return format === 'int32' ? n >= -2147483648 && n <= 2147483647 : Number.isSafeInteger(n);
}

/** Types with their own UnmarshalJSON. Returns true when handled. */
function special(v: unknown, s: Schema, name: string, st: State): boolean {
  switch (name) {
    case INT_OR_STRING:
      if (typeof v === 'string') return true;
      if (typeof v === 'number' && intFits(v, 'int32')) return true;
      report(st, `json: cannot unmarshal ${valueDesc(v, 'int32')} into Go value of type int32`);
      return true;
    case QUANTITY: {
      const err = quantityError(typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : JSON.stringify(v));
      if (err) report(st, err);
      return true;
    }
    case TIME:
    case MICRO_TIME:
      if (typeof v !== 'string') report(st, `json: cannot unmarshal ${valueDesc(v)} into Go value of type string`);
      else {
        const err = timeError(v, name === TIME ? RFC3339 : RFC3339_MICRO);
        if (err) report(st, err);
      }
      return true;
    case FIELDS_V1:
      return true; // raw JSON, anything goes
    default:
      return false;
  }
}

// ---- messages ----

function report(st: State, msg: string): void {
  // Types with their own UnmarshalJSON convert through it from unstructured too: same text.
  if (!st.out.typeErrors.length) {
    st.out.typeErrors.push(msg);
    st.out.converterErrors.push(msg);
  }
}

function typeError(v: unknown, s: Schema, st: State): void {
  if (st.out.typeErrors.length) return;
  const goPath: string[] = [];
  for (const p of st.path) if (typeof p === 'string') goPath.push(p);
  const struct = st.structs[st.structs.length - 1];
  const what = valueDesc(v, s.type === 'integer' ? s.format : undefined);
  st.out.typeErrors.push(
    struct
      ? `json: cannot unmarshal ${what} into Go struct field ${struct}.${goPath.join('.')} of type ${goType(s)}`
      : `json: cannot unmarshal ${what} into Go value of type ${goType(s)}`,
  );
  st.out.converterErrors.push(converterError(v, s));
}

/** Go's reflect.Kind of an unstructured value (util/json decodes whole numbers as int64). */
function unstructuredKind(v: unknown): string {
  if (Array.isArray(v)) return 'slice';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) ? 'int64' : 'float64';
    default:
      return 'map';
  }
}

/** runtime.fromUnstructured's error for a value of the wrong kind (converter.go). */
function converterError(v: unknown, s: Schema): string {
  const kind = unstructuredKind(v);
  switch (s.type) {
    case 'object':
      // Named types are Go structs; the rest are maps (labels, data, selector).
      return s['x-tinykube-name'] || s.properties ? `cannot restore struct from: ${kind}` : `cannot restore map from ${kind}`;
    case 'array':
      return `cannot restore slice from ${kind}`;
    default: {
      const dt = goType(s);
      // Simple kinds: int64 converts to string in Go (so "cannot convert"), and a float with a
      // fraction cannot become an integer; every other pairing is not convertible at all and
      // falls through to "unrecognized type".
      if (kind === 'int64' && dt === 'string') return `cannot convert int64 to string`;
      if (kind === 'float64' && (dt === 'int32' || dt === 'int64')) return `cannot convert float64 to ${dt}`;
      return `unrecognized type: ${dt === 'float64' ? 'float64' : dt.startsWith('v1.') ? 'string' : dt}`;
    }
  }
}

/** Go's name for a JSON value in UnmarshalTypeError; numbers that do not fit an int show their text. */
function valueDesc(v: unknown, intFormat?: unknown): string {
  if (Array.isArray(v)) return 'array';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return intFormat !== undefined && !intFits(v, intFormat) ? `number ${String(v)}` : 'number';
    default:
      return 'object';
  }
}

/** The Go type upstream names in its error, from the schema. */
function goType(s: Schema): string {
  const go = s['x-tinykube-go'];
  if (go) return go;
  const name = s['x-tinykube-name'];
  if (name === INT_OR_STRING) return 'intstr.IntOrString';
  if (name === QUANTITY) return 'resource.Quantity';
  switch (s.type) {
    case 'string':
      if (name) return `v1.${name.slice(name.lastIndexOf('.') + 1)}`;
      return s.format === 'byte' ? '[]uint8' : 'string';
    case 'integer':
      return s.format === 'int64' ? 'int64' : 'int32';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    case 'array':
      return `[]${s.items ? goType(s.items) : 'interface {}'}`;
    case 'object':
      if (name) return `v1.${name.slice(name.lastIndexOf('.') + 1)}`;
      if (typeof s.additionalProperties === 'object') return `map[string]${goType(s.additionalProperties)}`;
      return 'map[string]interface {}';
    default:
      return 'interface {}';
  }
}

function shortName(s: Schema): string | undefined {
  const name = s['x-tinykube-name'];
  return name ? name.slice(name.lastIndexOf('.') + 1) : undefined;
}

function jsonPath(path: (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

// ---- []byte: base64.StdEncoding, as Go decodes it ----

const B64 = /^[A-Za-z0-9+/]$/;

function base64Check(s: string, st: State): void {
  // Fast path: well-formed standard base64 (the usual case).
  if (s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s)) return;
  const at = base64ErrorAt(s);
  if (at >= 0) report(st, `illegal base64 data at input byte ${at}`);
}

/** Offset of Go's CorruptInputError for padded standard base64, or -1. Newlines are skipped. */
function base64ErrorAt(s: string): number {
  let i = 0;
  for (;;) {
    let j = 0; // position within the quantum
    while (j < 4) {
      if (i === s.length) return j === 0 ? -1 : i - j;
      const c = s[i++]!;
      if (c === '\n' || c === '\r') continue;
      if (B64.test(c)) {
        j++;
        continue;
      }
      if (c !== '=') return i - 1;
      // padding: only after 2 or 3 data characters of the quantum
      if (j < 2) return i - 1;
      if (j === 2) {
        while (i < s.length && (s[i] === '\n' || s[i] === '\r')) i++;
        if (i === s.length) return s.length;
        if (s[i] !== '=') return i - 1;
        i++;
      }
      while (i < s.length && (s[i] === '\n' || s[i] === '\r')) i++;
      return i < s.length ? i : -1;
    }
  }
}

// ---- resource.Quantity: ParseQuantity's errors ----

const ERR_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const ERR_SUFFIX = "unable to parse quantity's suffix";
const SUFFIXES = new Set(['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E']);

function quantityError(q: string): string | undefined {
  if (q === '') return ERR_FORMAT;
  const m = /^[+-]?[0-9]*(?:\.[0-9]*)?/.exec(q)!;
  const suffix = q.slice(m[0].length);
  // the suffix scanner: letters of the set, then an optional sign and digits, then the end
  if (!/^[eEinumkKMGTP]*(?:[-+]?[0-9]*)$/.test(suffix)) return ERR_FORMAT;
  if (SUFFIXES.has(suffix)) return undefined;
  if (/^[eE][-+]?[0-9]+$/.test(suffix)) return undefined; // decimal exponent
  return ERR_SUFFIX;
}

// ---- metav1.Time / MicroTime: time.Parse's errors ----

const RFC3339 = '2006-01-02T15:04:05Z07:00';
const RFC3339_MICRO = '2006-01-02T15:04:05.000000Z07:00';

const isDigit = (s: string, i: number) => i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57;
const quote = (s: string) => JSON.stringify(s);

/**
 * time.Parse(layout, value) for the two layouts metav1 uses, reduced to what decides the error
 * text: the layout's chunks are consumed in order and the first one that does not match names
 * the remaining input (`cannot parse "<rest>" as "<chunk>"`), or a range error.
 */
function timeError(value: string, layout: string): string | undefined {
  const micro = layout === RFC3339_MICRO;
  const fail = (rest: string, chunk: string) =>
    `parsing time ${quote(value)} as ${quote(layout)}: cannot parse ${quote(rest)} as ${quote(chunk)}`;
  const range = (what: string) => `parsing time ${quote(value)}: ${what} out of range`;
  let v = value;
  const lit = (c: string): boolean => {
    if (v[0] !== c) return false;
    v = v.slice(1);
    return true;
  };
  // getnum(fixed): two digits, or (not fixed) one or two
  const num2 = (fixed: boolean): number | undefined => {
    if (!isDigit(v, 0)) return undefined;
    if (!isDigit(v, 1)) {
      if (fixed) return undefined;
      const n = Number(v[0]);
      v = v.slice(1);
      return n;
    }
    const n = Number(v.slice(0, 2));
    v = v.slice(2);
    return n;
  };
  if (v.length < 4 || !isDigit(v, 0) || !/^\d{4}$/.test(v.slice(0, 4))) return fail(v, '2006');
  const year = Number(v.slice(0, 4));
  v = v.slice(4);
  if (!lit('-')) return fail(v, '-');
  let hold = v;
  const month = num2(true);
  if (month === undefined) return fail(hold, '01');
  if (month < 1 || month > 12) return range('month');
  if (!lit('-')) return fail(v, '-');
  hold = v;
  const day = num2(true);
  if (day === undefined) return fail(hold, '02');
  if (!lit('T')) return fail(v, 'T');
  hold = v;
  const hour = num2(false);
  if (hour === undefined) return fail(hold, '15');
  if (hour >= 24) return range('hour');
  if (!lit(':')) return fail(v, ':');
  hold = v;
  const min = num2(true);
  if (min === undefined) return fail(hold, '04');
  if (min >= 60) return range('minute');
  if (!lit(':')) return fail(v, ':');
  hold = v;
  const sec = num2(true);
  if (sec === undefined) return fail(hold, '05');
  if (sec >= 60) return range('second');
  if (micro) {
    // .000000: exactly six digits
    if (v.length < 7 || v[0] !== '.' || !/^\d{6}$/.test(v.slice(1, 7))) return fail(v, '.000000');
    v = v.slice(7);
  } else if (v.length >= 2 && (v[0] === '.' || v[0] === ',') && isDigit(v, 1)) {
    // a fraction the layout does not mention is accepted after seconds
    let n = 2;
    while (isDigit(v, n)) n++;
    v = v.slice(n);
  }
  hold = v;
  if (v[0] === 'Z') v = v.slice(1);
  else {
    if (v.length < 6 || v[3] !== ':' || (v[0] !== '+' && v[0] !== '-') || !/^\d\d$/.test(v.slice(1, 3)) || !/^\d\d$/.test(v.slice(4, 6)))
      return fail(hold, 'Z07:00');
    if (Number(v.slice(1, 3)) > 24) return range('time zone offset hour');
    if (Number(v.slice(4, 6)) > 60) return range('time zone offset minute');
    v = v.slice(6);
  }
  if (v.length) return `parsing time ${quote(value)}: extra text: ${quote(v)}`;
  const dim = [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  if (day < 1 || day > dim) return range('day');
  return undefined;
}
