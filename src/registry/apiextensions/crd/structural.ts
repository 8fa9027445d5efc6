// The structural-schema checks CRD validation reports (upstream's pkg/apiserver/schema
// validation.go, ValidateStructural, applied to what NewStructural makes of a JSONSchemaProps): every
// specified field has a type, the root is an object, metadata at the root may only restrict name and
// generateName, and value validations (allOf/anyOf/oneOf/not) may not carry types, defaults,
// descriptions or the x-kubernetes extensions, except the two int-or-string patterns.
import { fieldErr, fieldErrorString, type FieldError } from '../../../apimachinery/field.js';
import type { JSONSchemaProps } from './types.js';

type Level = 'root' | 'item' | 'field';

const itemSchema = (s: JSONSchemaProps): JSONSchemaProps | undefined => (Array.isArray(s.items) ? undefined : s.items);
const additional = (s: JSONSchemaProps): JSONSchemaProps | boolean | undefined => s.additionalProperties;

/** ValidateStructural: the errors sorted by their text, as upstream does (its maps iterate randomly). */
export function validateStructural(s: JSONSchemaProps, f: string): FieldError[] {
  const errs = invariants(s, 'root', f);
  return errs.sort((a, b) => {
    const x = fieldErrorString(a);
    const y = fieldErrorString(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
}

const isIntOrStringPair = (list: JSONSchemaProps[] | undefined): boolean =>
  !!list && list.length === 2 && list.every((x, i) => Object.keys(x).length === 1 && x.type === (i === 0 ? 'integer' : 'string'));

function invariants(s: JSONSchemaProps, lvl: Level, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const items = itemSchema(s);
  if (s.type === 'array' && !items) errs.push(fieldErr.required(`${f}.items`, 'must be specified'));
  if (items) errs.push(...invariants(items, 'item', `${f}.items`));
  for (const [k, v] of Object.entries(s.properties ?? {})) errs.push(...invariants(v, 'field', `${f}.properties[${k}]`));

  const ap = additional(s);
  if (ap !== undefined) {
    if (lvl === 'root') errs.push(fieldErr.forbidden(`${f}.additionalProperties`, 'must not be used at the root'));
    if (typeof ap === 'object') errs.push(...invariants(ap, 'field', `${f}.additionalProperties`));
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (intOrString && preserve)
    errs.push(fieldErr.invalid(`${f}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  if (intOrString && embedded)
    errs.push(fieldErr.invalid(`${f}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));

  const skipAnyOf = isIntOrStringPair(s.anyOf);
  const skipFirstAllOfAnyOf = !!s.allOf?.length && isIntOrStringPair(s.allOf[0]!.anyOf);
  errs.push(...valueValidation(s, skipAnyOf, skipFirstAllOfAnyOf, f));

  const type = s.type ?? '';
  const checkMetadata = lvl === 'root' || embedded;
  if (embedded && type !== 'object') {
    if (!type) errs.push(fieldErr.required(`${f}.type`, 'must be object if x-kubernetes-embedded-resource is true'));
    else errs.push(fieldErr.invalid(`${f}.type`, type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (!type && !intOrString && !preserve) {
    const detail =
      lvl === 'root'
        ? 'must not be empty at the root'
        : lvl === 'item'
          ? 'must not be empty for specified array items'
          : 'must not be empty for specified object fields';
    errs.push(fieldErr.required(`${f}.type`, detail));
  }
  if (embedded && ap !== undefined)
    errs.push(fieldErr.forbidden(`${f}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  if (lvl === 'root' && type && type !== 'object') errs.push(fieldErr.invalid(`${f}.type`, type, 'must be object at the root'));

  const props = s.properties ?? {};
  if (checkMetadata && props.kind && (props.kind.type ?? '') !== 'string')
    errs.push(fieldErr.invalid(`${f}.properties[kind].type`, props.kind.type ?? '', 'must be string'));
  if (checkMetadata && props.apiVersion && (props.apiVersion.type ?? '') !== 'string')
    errs.push(fieldErr.invalid(`${f}.properties[apiVersion].type`, props.apiVersion.type ?? '', 'must be string'));
  if (checkMetadata && props.metadata && (props.metadata.type ?? '') !== 'object')
    errs.push(fieldErr.invalid(`${f}.properties[metadata].type`, props.metadata.type ?? '', 'must be object'));
  if (lvl === 'root' && props.metadata && !metadataOnlyRestrictsNames(props.metadata))
    errs.push(
      fieldErr.forbidden(
        `${f}.properties[metadata]`,
        'must not specify anything other than name and generateName, but metadata is implicitly specified',
      ),
    );
  if (embedded && !preserve && Object.keys(props).length === 0)
    errs.push(
      fieldErr.required(
        `${f}.properties`,
        'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      ),
    );
  return errs;
}

/**
 * The root metadata schema may be `type: object` with properties name and/or generateName (exactly
 * those) and a default (checked elsewhere); anything else restricts ObjectMeta, which the server owns.
 */
function metadataOnlyRestrictsNames(m: JSONSchemaProps): boolean {
  const keys = Object.keys(m).filter((k) => k !== 'type' && k !== 'default' && k !== 'properties');
  if (keys.length > 0) return false;
  const names = Object.keys(m.properties ?? {});
  return names.every((n) => n === 'name' || n === 'generateName');
}

function valueValidation(s: JSONSchemaProps, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, f: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!skipAnyOf) (s.anyOf ?? []).forEach((x, i) => errs.push(...nested(x, false, `${f}.anyOf[${i}]`)));
  (s.allOf ?? []).forEach((x, i) => errs.push(...nested(x, skipFirstAllOfAnyOf && i === 0, `${f}.allOf[${i}]`)));
  (s.oneOf ?? []).forEach((x, i) => errs.push(...nested(x, false, `${f}.oneOf[${i}]`)));
  if (s.not) errs.push(...nested(s.not, false, `${f}.not`));
  return errs;
}

/** validateNestedValueValidation: inside a logic junctor only value validations are structural. */
function nested(v: JSONSchemaProps, skipAnyOf: boolean, f: string): FieldError[] {
  const errs = valueValidation(v, skipAnyOf, false, f);
  const items = itemSchema(v);
  if (items) errs.push(...nested(items, false, `${f}.items`));
  for (const [k, p] of Object.entries(v.properties ?? {})) errs.push(...nested(p, false, `${f}.properties[${k}]`));
  if (v.type) errs.push(fieldErr.forbidden(`${f}.type`, 'must be empty to be structural'));
  if (v.additionalProperties !== undefined)
    errs.push(fieldErr.forbidden(`${f}.additionalProperties`, 'must be undefined to be structural'));
  if (v.default !== undefined) errs.push(fieldErr.forbidden(`${f}.default`, 'must be undefined to be structural'));
  if (v.title) errs.push(fieldErr.forbidden(`${f}.title`, 'must be empty to be structural'));
  if (v.description) errs.push(fieldErr.forbidden(`${f}.description`, 'must be empty to be structural'));
  if (v.nullable) errs.push(fieldErr.forbidden(`${f}.nullable`, 'must be false to be structural'));
  if (v['x-kubernetes-preserve-unknown-fields'])
    errs.push(fieldErr.forbidden(`${f}.x-kubernetes-preserve-unknown-fields`, 'must be false to be structural'));
  if (v['x-kubernetes-embedded-resource'])
    errs.push(fieldErr.forbidden(`${f}.x-kubernetes-embedded-resource`, 'must be false to be structural'));
  if (v['x-kubernetes-int-or-string']) errs.push(fieldErr.forbidden(`${f}.x-kubernetes-int-or-string`, 'must be false to be structural'));
  if (v['x-kubernetes-list-map-keys']?.length)
    errs.push(fieldErr.forbidden(`${f}.x-kubernetes-list-map-keys`, 'must be empty to be structural'));
  if (v['x-kubernetes-list-type'] !== undefined)
    errs.push(fieldErr.forbidden(`${f}.x-kubernetes-list-type`, 'must be undefined to be structural'));
  if (v.properties && 'metadata' in v.properties)
    errs.push(fieldErr.forbidden(`${f}.properties[metadata]`, 'must not be specified in a nested context'));
  return errs;
}
