// The structural form of a CRD's openAPIV3Schema (upstream's apiserver/schema/structural.go and convert.go):
// one type per node, a single items schema, properties or additionalProperties, the x-kubernetes
// extensions, and the value validations (which may nest in allOf/anyOf/oneOf/not, where only
// value validations are allowed). Pruning, defaulting and value validation all walk this form.
import type { JSONSchemaProps } from '../../../api/generated/apiextensions/v1.js';

/** Value validations: the parts of a schema that constrain a value without giving it structure. */
export interface ValueValidation {
  format?: string;
  maximum?: number;
  exclusiveMaximum?: boolean;
  minimum?: number;
  exclusiveMinimum?: boolean;
  maxLength?: number;
  minLength?: number;
  pattern?: string;
  maxItems?: number;
  minItems?: number;
  uniqueItems?: boolean;
  multipleOf?: number;
  enum?: unknown[];
  maxProperties?: number;
  minProperties?: number;
  required?: string[];
  allOf?: NestedValueValidation[];
  anyOf?: NestedValueValidation[];
  oneOf?: NestedValueValidation[];
  not?: NestedValueValidation;
}

/**
 * A value validation inside allOf/anyOf/oneOf/not: it may reach into properties, items and
 * additionalProperties, but carries no types or extensions of its own (structural schemas forbid them there).
 */
export interface NestedValueValidation extends ValueValidation {
  properties?: Record<string, NestedValueValidation>;
  items?: NestedValueValidation;
  additionalProperties?: NestedValueValidation;
}

export interface Structural {
  type?: string;
  nullable?: boolean;
  /** Present (possibly null) only when the schema declares a default; `hasDefault` tells them apart. */
  default?: unknown;
  hasDefault?: boolean;
  properties?: Record<string, Structural>;
  items?: Structural;
  /** additionalProperties: a schema, or `true` without one (only meaningful with preserve-unknown-fields). */
  additionalProperties?: { schema?: Structural; allows: boolean };
  xPreserveUnknownFields?: boolean;
  xEmbeddedResource?: boolean;
  xIntOrString?: boolean;
  xListType?: string;
  xListMapKeys?: string[];
  xMapType?: string;
  valueValidation?: ValueValidation;
}

/** Why a schema has no structural form (upstream reports these through ValidateStructural). */
export class NonStructuralError extends Error {}

const VALUE_KEYS = [
  'format',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
] as const;

function valueValidationOf(p: JSONSchemaProps, where: string): ValueValidation | undefined {
  const v: ValueValidation = {};
  let any = false;
  for (const k of VALUE_KEYS) {
    if (p[k] !== undefined) {
      (v as Record<string, unknown>)[k] = p[k];
      any = true;
    }
  }
  const nestList = (list: JSONSchemaProps[] | undefined, name: string) => list?.map((x, i) => nestedOf(x, `${where}.${name}[${i}]`));
  if (p.allOf) v.allOf = nestList(p.allOf, 'allOf');
  if (p.anyOf) v.anyOf = nestList(p.anyOf, 'anyOf');
  if (p.oneOf) v.oneOf = nestList(p.oneOf, 'oneOf');
  if (p.not) v.not = nestedOf(p.not, `${where}.not`);
  any ||= !!(p.allOf || p.anyOf || p.oneOf || p.not);
  return any ? v : undefined;
}

function singleItems(items: JSONSchemaProps['items'], where: string): JSONSchemaProps | undefined {
  if (items === undefined) return undefined;
  // Structural schemas allow exactly one items schema; the JSON-Schema tuple form has no structural meaning.
  if (Array.isArray(items)) throw new NonStructuralError(`${where}.items: must be a single schema, not an array`);
  return items;
}

function nestedOf(p: JSONSchemaProps, where: string): NestedValueValidation {
  const n: NestedValueValidation = { ...valueValidationOf(p, where) };
  if (p.properties) {
    n.properties = {};
    for (const [k, sub] of Object.entries(p.properties)) n.properties[k] = nestedOf(sub, `${where}.properties[${k}]`);
  }
  const items = singleItems(p.items, where);
  if (items) n.items = nestedOf(items, `${where}.items`);
  if (p.additionalProperties && typeof p.additionalProperties === 'object') {
    n.additionalProperties = nestedOf(p.additionalProperties, `${where}.additionalProperties`);
  }
  return n;
}

/**
 * The structural form of `props` (upstream's NewStructural). Throws NonStructuralError for shapes that
 * have no structural meaning (tuple items); the finer structural rules (ValidateStructural: types
 * specified, no types inside value validations, ...) belong to CRD validation, not to this conversion.
 */
export function newStructural(props: JSONSchemaProps, where = 'openAPIV3Schema'): Structural {
  const s: Structural = {};
  if (props.type) s.type = props.type;
  if (props.nullable) s.nullable = true;
  if ('default' in props && props.default !== undefined) {
    s.default = props.default;
    s.hasDefault = true;
  }
  if (props.properties) {
    s.properties = {};
    for (const [k, sub] of Object.entries(props.properties)) s.properties[k] = newStructural(sub, `${where}.properties[${k}]`);
  }
  const items = singleItems(props.items, where);
  if (items) s.items = newStructural(items, `${where}.items`);
  const ap = props.additionalProperties;
  if (ap !== undefined) {
    s.additionalProperties =
      typeof ap === 'boolean' ? { allows: ap } : { allows: true, schema: newStructural(ap, `${where}.additionalProperties`) };
  }
  if (props['x-kubernetes-preserve-unknown-fields']) s.xPreserveUnknownFields = true;
  if (props['x-kubernetes-embedded-resource']) s.xEmbeddedResource = true;
  if (props['x-kubernetes-int-or-string']) s.xIntOrString = true;
  if (props['x-kubernetes-list-type']) s.xListType = props['x-kubernetes-list-type'];
  if (props['x-kubernetes-list-map-keys']?.length) s.xListMapKeys = [...props['x-kubernetes-list-map-keys']];
  if (props['x-kubernetes-map-type']) s.xMapType = props['x-kubernetes-map-type'];
  const vv = valueValidationOf(props, where);
  if (vv) s.valueValidation = vv;
  return s;
}
