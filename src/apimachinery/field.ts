// Field errors with upstream's exact wording (k8s.io/apimachinery/pkg/util/validation/field).
// `spec.ports[0].name: Required value`, `spec.type: Unsupported value: "Foo": supported values: ...`.
// Validation code builds paths with `path('spec').child('ports').index(0)` and returns a list of
// these; the REST layer turns a non-empty list into a 422 Invalid Status.
import type { Quantity } from './quantity.js';
import type { LabelSelector, LabelSelectorRequirement } from './selectors.js';

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

export interface FieldError {
  type: FieldErrorType;
  field: string;
  /** The message without the field name (upstream's ErrorBody). */
  body: string;
}

const TYPE_TEXT: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** A field path: `spec.ports[0].name`, `metadata.labels[app]`. Immutable; cheap to build. */
export class Path {
  private constructor(private readonly s: string) {}
  static root(name: string): Path {
    return new Path(name);
  }
  child(name: string, ...more: string[]): Path {
    let s = this.s ? `${this.s}.${name}` : name;
    for (const m of more) s += `.${m}`;
    return new Path(s);
  }
  index(i: number): Path {
    return new Path(`${this.s}[${i}]`);
  }
  key(k: string): Path {
    return new Path(`${this.s}[${k}]`);
  }
  toString(): string {
    return this.s;
  }
}

export function path(name: string, ...more: string[]): Path {
  let p = Path.root(name);
  for (const m of more) p = p.child(m);
  return p;
}

/**
 * Renders a bad value the way Go's fmt does in upstream messages: strings with %q,
 * numbers/bools with %v, string slices as `[]string{"a", "b"}`.
 */
export function goValue(v: unknown): string {
  // Go prints a nil value as the string "null" (field.Error.ErrorBody), quoted like any string.
  if (v === null || v === undefined) return '"null"';
  if (v instanceof GoLiteral) return v.text;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
    if (v.every((x) => typeof x === 'number')) return `[]int32{${v.join(', ')}}`;
  }
  return JSON.stringify(v);
}

/** A value already rendered Go-style, e.g. `[]core.IPFamily{"IPv4"}` for typed slices. */
export class GoLiteral {
  constructor(readonly text: string) {}
}
/** `[]core.IPFamily{"IPv4", "IPv6"}`: how Go's %#v prints a slice of a named string type. */
export const goTypedSlice = (type: string, items: readonly string[]) =>
  new GoLiteral(`[]${type}{${items.map((x) => JSON.stringify(x)).join(', ')}}`);

/** A map[string]string as Go's %#v prints it in a field error (keys sorted; nil when absent): `map[string]string{"app":"x"}`. */
export function goStringMap(m: Record<string, string> | null | undefined): GoLiteral {
  if (!m) return new GoLiteral('map[string]string(nil)');
  const keys = Object.keys(m).sort();
  return new GoLiteral(`map[string]string{${keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(String(m[k]))}`).join(', ')}}`);
}

/**
 * A *metav1.LabelSelector as a field error prints it (%#v of the dereferenced struct), the form of
 * upstream's `spec.selector: Invalid value: v1.LabelSelector{...}: field is immutable`; a nil one
 * prints as "null". Every caller's selector is a metav1 one (package `v1`), internal types included.
 */
export function goLabelSelector(sel: LabelSelector | null | undefined): GoLiteral {
  if (!sel) return new GoLiteral('"null"');
  const q = JSON.stringify;
  const strings = (v: string[] | null | undefined) => (v ? `[]string{${v.map((x) => q(x)).join(', ')}}` : '[]string(nil)');
  const req = (e: LabelSelectorRequirement) =>
    `v1.LabelSelectorRequirement{Key:${q(e.key ?? '')}, Operator:${q(e.operator ?? '')}, Values:${strings(e.values)}}`;
  const exprs = sel.matchExpressions;
  const me = exprs ? `[]v1.LabelSelectorRequirement{${exprs.map(req).join(', ')}}` : '[]v1.LabelSelectorRequirement(nil)';
  return new GoLiteral(`v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels).text}, MatchExpressions:${me}}`);
}

/** Go's %#v of a resource.Quantity (how upstream prints a bad quantity: "must be an integer", "must be positive"). */
export const goQuantity = (q: Quantity): GoLiteral =>
  new GoLiteral(
    `resource.Quantity{i:resource.int64Amount{value:${q.value}, scale:${q.scale}}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:${JSON.stringify(q.cached ?? '')}, Format:${JSON.stringify(q.format)}}`,
  );

const OMIT = Symbol('omit');

function make(type: FieldErrorType, field: Path | string, value: unknown, detail: string): FieldError {
  let body = TYPE_TEXT[type];
  const showsValue =
    type !== 'FieldValueRequired' &&
    type !== 'FieldValueForbidden' &&
    type !== 'FieldValueTooLong' &&
    type !== 'InternalError' &&
    value !== OMIT;
  if (showsValue) body += `: ${goValue(value)}`;
  if (detail) body += `: ${detail}`;
  return { type, field: String(field), body };
}

export const fieldErr = {
  required: (f: Path | string, detail = '') => make('FieldValueRequired', f, '', detail),
  invalid: (f: Path | string, value: unknown, detail: string) => make('FieldValueInvalid', f, value, detail),
  duplicate: (f: Path | string, value: unknown) => make('FieldValueDuplicate', f, value, ''),
  notFound: (f: Path | string, value: unknown) => make('FieldValueNotFound', f, value, ''),
  notSupported: (f: Path | string, value: unknown, valid: readonly string[]) =>
    make('FieldValueNotSupported', f, value, valid.length ? `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}` : ''),
  forbidden: (f: Path | string, detail: string) => make('FieldValueForbidden', f, '', detail),
  tooLong: (f: Path | string, maxLength: number) => make('FieldValueTooLong', f, '', `may not be more than ${maxLength} bytes`),
  tooLongMaxLength: (f: Path | string, maxLength: number) =>
    make('FieldValueTooLong', f, '', maxLength >= 0 ? `may not be longer than ${maxLength}` : 'value is too long'),
  tooMany: (f: Path | string, actual: number, max: number) =>
    make('FieldValueTooMany', f, actual >= 0 ? actual : OMIT, max >= 0 ? `must have at most ${max} items` : 'has too many items'),
  typeInvalid: (f: Path | string, value: unknown, detail: string) => make('FieldValueTypeInvalid', f, value, detail),
  internal: (f: Path | string, detail: string) => make('InternalError', f, null, detail),
};

export function fieldErrorString(e: FieldError): string {
  return `${e.field}: ${e.body}`;
}

/** Upstream's aggregate: one error alone, several as `[a, b]`, duplicates dropped. */
export function formatFieldErrors(errs: FieldError[]): string {
  const seen = new Set<string>();
  const msgs: string[] = [];
  for (const e of errs) {
    const m = fieldErrorString(e);
    if (!seen.has(m)) {
      seen.add(m);
      msgs.push(m);
    }
  }
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}
