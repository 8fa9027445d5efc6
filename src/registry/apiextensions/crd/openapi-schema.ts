// ValidateCustomResourceDefinitionOpenAPISchema (upstream's CRD validation.go) without the CEL
// parts: the OpenAPI v3 features a CRD schema may not use ($ref, definitions, patternProperties,
// uniqueItems, ...), defaults where pruning could not keep them (top-level metadata), and the
// x-kubernetes-list-type / map-type / list-map-keys rules. Properties are visited in the order the
// client wrote them (upstream visits a Go map, so its order varies between runs).
import { fieldErr, GoLiteral, type FieldError } from '../../../apimachinery/field.js';
import type { JSONSchemaProps } from './types.js';

const OPENAPI_V3_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const META_FIELDS = new Set(['metadata', 'kind', 'apiVersion']);
const VALIDATION_REASONS = ['FieldValueDuplicate', 'FieldValueForbidden', 'FieldValueInvalid', 'FieldValueRequired'];

interface Ctx {
  allowDefaults: boolean;
  disallowDefaultsReason: string;
  insideResourceMeta: boolean;
}

export function validateOpenAPISchema(schema: JSONSchemaProps, f: string): FieldError[] {
  return visit(schema, f, { allowDefaults: true, disallowDefaultsReason: '', insideResourceMeta: false }, true);
}

/** specStandardValidatorV3.validate: the features a CRD schema may not use at any depth. */
function standard(s: JSONSchemaProps, f: string, ctx: Ctx): FieldError[] {
  const errs: FieldError[] = [];
  if (s.type && !OPENAPI_V3_TYPES.includes(s.type)) errs.push(fieldErr.notSupported(`${f}.type`, s.type, OPENAPI_V3_TYPES));
  if (s.default !== undefined && !ctx.allowDefaults) {
    errs.push(fieldErr.forbidden(`${f}.default`, `must not be set${ctx.disallowDefaultsReason ? ` ${ctx.disallowDefaultsReason}` : ''}`));
  }
  if (s.id) errs.push(fieldErr.forbidden(`${f}.id`, 'id is not supported'));
  if (s.additionalItems !== undefined) errs.push(fieldErr.forbidden(`${f}.additionalItems`, 'additionalItems is not supported'));
  if (s.patternProperties && Object.keys(s.patternProperties).length)
    errs.push(fieldErr.forbidden(`${f}.patternProperties`, 'patternProperties is not supported'));
  if (s.definitions && Object.keys(s.definitions).length) errs.push(fieldErr.forbidden(`${f}.definitions`, 'definitions is not supported'));
  if (s.dependencies !== undefined) errs.push(fieldErr.forbidden(`${f}.dependencies`, 'dependencies is not supported'));
  if (s.$ref !== undefined) errs.push(fieldErr.forbidden(`${f}.$ref`, '$ref is not supported'));
  if (s.type === 'null') errs.push(fieldErr.forbidden(`${f}.type`, 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(s.items) && s.items.length)
    errs.push(fieldErr.forbidden(`${f}.items`, 'items must be a schema object and not an array'));
  if (ctx.insideResourceMeta && s['x-kubernetes-embedded-resource'])
    errs.push(fieldErr.forbidden(`${f}.x-kubernetes-embedded-resource`, 'must not be used inside of resource meta'));
  return errs;
}

function visit(s: JSONSchemaProps, f: string, ctx: Ctx, isRoot: boolean): FieldError[] {
  const errs = standard(s, f, ctx);
  if (s.uniqueItems)
    errs.push(fieldErr.forbidden(`${f}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  const props = s.properties ?? {};
  const ap = s.additionalProperties;
  if (ap !== undefined) {
    // properties are for structs, additionalProperties for maps: both would contradict the
    // convention that unknown fields are dropped.
    if (Object.keys(props).length && (ap === false || typeof ap === 'object'))
      errs.push(fieldErr.forbidden(`${f}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    if (typeof ap === 'object') {
      const sub = ctx.insideResourceMeta
        ? { ...ctx, allowDefaults: false, disallowDefaultsReason: 'inside additionalProperties applying to object metadata' }
        : ctx;
      errs.push(...visit(ap, `${f}.additionalProperties`, sub, false));
    }
  }
  for (const [name, p] of Object.entries(props)) {
    let sub = ctx;
    if ((isRoot || s['x-kubernetes-embedded-resource']) && META_FIELDS.has(name)) {
      sub = { ...sub, insideResourceMeta: true };
      if (isRoot) sub = { ...sub, allowDefaults: false, disallowDefaultsReason: `in top-level ${name}` };
    }
    errs.push(...visit(p, `${f}.properties[${name}]`, sub, false));
  }
  if (s.not) errs.push(...visit(s.not, `${f}.not`, ctx, false));
  (s.allOf ?? []).forEach((x, i) => errs.push(...visit(x, `${f}.allOf[${i}]`, ctx, false)));
  (s.oneOf ?? []).forEach((x, i) => errs.push(...visit(x, `${f}.oneOf[${i}]`, ctx, false)));
  (s.anyOf ?? []).forEach((x, i) => errs.push(...visit(x, `${f}.anyOf[${i}]`, ctx, false)));
  for (const [name, d] of Object.entries(s.definitions ?? {})) errs.push(...visit(d, `${f}.definitions[${name}]`, ctx, false));
  if (Array.isArray(s.items)) s.items.forEach((x, i) => errs.push(...visit(x, `${f}.items[${i}]`, ctx, false)));
  else if (s.items) errs.push(...visit(s.items, `${f}.items`, ctx, false));
  for (const [name, d] of Object.entries(s.dependencies ?? {}))
    if (!Array.isArray(d)) errs.push(...visit(d, `${f}.dependencies[${name}]`, ctx, false));
  errs.push(...extensions(s, f));
  return errs;
}

function extensions(s: JSONSchemaProps, f: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = s.type ?? '';
  if (s['x-kubernetes-preserve-unknown-fields'] === false)
    errs.push(fieldErr.invalid(`${f}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  const mapType = s['x-kubernetes-map-type'];
  if (mapType !== undefined && type !== 'object') {
    if (!type) errs.push(fieldErr.required(`${f}.type`, 'must be object if x-kubernetes-map-type is specified'));
    else errs.push(fieldErr.invalid(`${f}.type`, type, 'must be object if x-kubernetes-map-type is specified'));
  }
  if (mapType !== undefined && mapType !== 'atomic' && mapType !== 'granular')
    errs.push(fieldErr.notSupported(`${f}.x-kubernetes-map-type`, mapType, ['atomic', 'granular']));
  const listType = s['x-kubernetes-list-type'];
  const items = Array.isArray(s.items) ? undefined : s.items;
  if (listType !== undefined && type !== 'array') {
    if (!type) errs.push(fieldErr.required(`${f}.type`, 'must be array if x-kubernetes-list-type is specified'));
    else errs.push(fieldErr.invalid(`${f}.type`, type, 'must be array if x-kubernetes-list-type is specified'));
  } else if (listType === 'set' && items) {
    // set elements are compared whole, so they must be atomic themselves
    if (items.type === 'array' && items['x-kubernetes-list-type'] !== undefined && items['x-kubernetes-list-type'] !== 'atomic')
      errs.push(
        fieldErr.invalid(
          `${f}.items.x-kubernetes-list-type`,
          items['x-kubernetes-list-type'],
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
    if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic')
      errs.push(
        fieldErr.invalid(
          `${f}.items.x-kubernetes-map-type`,
          items['x-kubernetes-list-type'] ?? null,
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
  }
  if (listType !== undefined && !['atomic', 'set', 'map'].includes(listType))
    errs.push(fieldErr.notSupported(`${f}.x-kubernetes-list-type`, listType, ['atomic', 'set', 'map']));
  const keys = s['x-kubernetes-list-map-keys'] ?? [];
  if (keys.length) {
    if (listType === undefined)
      errs.push(fieldErr.required(`${f}.x-kubernetes-list-type`, 'must be map if x-kubernetes-list-map-keys is non-empty'));
    else if (listType !== 'map')
      errs.push(fieldErr.invalid(`${f}.x-kubernetes-list-type`, listType, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  }
  if (listType === 'map') {
    if (!keys.length) errs.push(fieldErr.required(`${f}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
    if (s.items === undefined) errs.push(fieldErr.required(`${f}.items`, 'must have a schema if x-kubernetes-list-type is map'));
    if (Array.isArray(s.items))
      errs.push(fieldErr.invalid(`${f}.items`, s.items, 'must only have a single schema if x-kubernetes-list-type is map'));
    if (items && items.type !== 'object')
      errs.push(fieldErr.invalid(`${f}.items.type`, items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    if (items && items.type === 'object') {
      const seen = new Set<string>();
      const keyList = new GoLiteral(`[]string{${keys.map((k) => JSON.stringify(k)).join(', ')}}`);
      for (const k of keys) {
        const p = items.properties?.[k];
        if (p) {
          if (p.type === 'array' || p.type === 'object')
            errs.push(
              fieldErr.invalid(
                `${f}.items.properties[${k}].type`,
                items.type,
                "must be a scalar type if parent array's x-kubernetes-list-type is map",
              ),
            );
        } else {
          errs.push(fieldErr.invalid(`${f}.x-kubernetes-list-map-keys`, keyList, 'entries must all be names of item properties'));
        }
        if (seen.has(k)) errs.push(fieldErr.invalid(`${f}.x-kubernetes-list-map-keys`, keyList, 'must not contain duplicate entries'));
        seen.add(k);
      }
    }
  }
  errs.push(...mapListKeysMapSet(s, f));
  errs.push(...validationRules(s, f));
  return errs;
}

/** validateMapListKeysMapSet: keys of a map list are never null and always present. */
function mapListKeysMapSet(s: JSONSchemaProps, f: string): FieldError[] {
  const items = Array.isArray(s.items) ? undefined : s.items;
  const listType = s['x-kubernetes-list-type'];
  if (!items || (listType !== 'set' && listType !== 'map')) return [];
  const errs: FieldError[] = [];
  if (items.nullable) errs.push(fieldErr.forbidden(`${f}.items.nullable`, `cannot be nullable when x-kubernetes-list-type is ${listType}`));
  if (listType === 'map') {
    const required = new Set(items.required ?? []);
    for (const k of s['x-kubernetes-list-map-keys'] ?? []) {
      const p = items.properties?.[k];
      if (!p) continue;
      if (!required.has(k) && p.default === undefined)
        errs.push(
          fieldErr.required(
            `${f}.items.properties[${k}].default`,
            'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
          ),
        );
      if (p.nullable)
        errs.push(
          fieldErr.forbidden(
            `${f}.items.properties[${k}].nullable`,
            'this property is in x-kubernetes-list-map-keys, so it cannot be nullable',
          ),
        );
    }
  }
  return errs;
}

const hasNewlines = (s: string) => /[\n\r]/.test(s);

/** The x-kubernetes-validations checks that need no CEL compiler. */
function validationRules(s: JSONSchemaProps, f: string): FieldError[] {
  const errs: FieldError[] = [];
  (s['x-kubernetes-validations'] ?? []).forEach((r, i) => {
    const p = `${f}.x-kubernetes-validations[${i}]`;
    const rule = (r.rule ?? '').trim();
    const msg = (r.message ?? '').trim();
    if (!rule) errs.push(fieldErr.required(`${p}.rule`, 'rule is not specified'));
    else if (r.message && !msg) errs.push(fieldErr.invalid(`${p}.message`, r.message, 'message must be non-empty if specified'));
    else if (hasNewlines(msg)) errs.push(fieldErr.invalid(`${p}.message`, r.message, 'message must not contain line breaks'));
    else if (hasNewlines(rule) && !msg)
      errs.push(fieldErr.required(`${p}.message`, 'message must be specified if rule contains line breaks'));
    if (r.messageExpression && !r.messageExpression.trim())
      errs.push(fieldErr.required(`${p}.messageExpression`, 'messageExpression must be non-empty if specified'));
    if (r.reason !== undefined && !VALIDATION_REASONS.includes(r.reason))
      errs.push(fieldErr.notSupported(`${p}.reason`, r.reason, VALIDATION_REASONS));
    if (r.fieldPath && !r.fieldPath.trim())
      errs.push(fieldErr.invalid(`${p}.fieldPath`, r.fieldPath, 'fieldPath must be non-empty if specified'));
    if (r.fieldPath && hasNewlines(r.fieldPath))
      errs.push(fieldErr.invalid(`${p}.fieldPath`, r.fieldPath, 'fieldPath must not contain line breaks'));
  });
  return errs;
}
