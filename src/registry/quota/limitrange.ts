// LimitRange (core/v1), after upstream's pkg/registry/core/limitrange strategy,
// SetDefaults_LimitRangeItem (a Container item's default limit falls back to max, its default
// request to the default limit, then to min), ValidateLimitRange (standard or qualified types and
// resource names, one item per type, no defaults for Pod items, storage bounds for PVC items, and
// the ordering min <= defaultRequest <= default <= max with maxLimitRequestRatio >= 1 and within
// max/min) and printLimitRange's table (NAME, CREATED AT).
import { schemas, type LimitRange, type LimitRangeItem } from '../../api/generated/core/v1.js';
import { defineKind, objectsIn, type Obj } from '../define.js';
import { fieldErr, goQuantity, type FieldError } from '../../apimachinery/field.js';
import { isQualifiedName } from '../../apimachinery/validation.js';
import {
  compareQuantity,
  parseQuantity,
  quantityMilliValue,
  quantityString,
  quantityValue,
  type Quantity,
} from '../../apimachinery/quantity.js';
import { defaultTable } from '../printers.js';
import { isOvercommitAllowed, validateContainerResourceName, validateResourceName } from './resources.js';

export type LimitRangeObj = Obj<LimitRange>;

export const LIMIT_TYPE_POD = 'Pod';
export const LIMIT_TYPE_CONTAINER = 'Container';
export const LIMIT_TYPE_PVC = 'PersistentVolumeClaim';
const STANDARD_LIMIT_TYPES = new Set([LIMIT_TYPE_POD, LIMIT_TYPE_CONTAINER, LIMIT_TYPE_PVC]);
/** resource.MaxMilliValue: beyond it MilliValue overflows int64 and upstream compares whole values. */
const MAX_MILLI_VALUE = 9223372036854775807n / 1000n;

type Quantities = Record<string, string | number>;

/** SetDefaults_LimitRangeItem. */
export function defaultLimitRangeItem(item: LimitRangeItem): void {
  if (item.type !== LIMIT_TYPE_CONTAINER) return;
  const def: Quantities = { ...(item.default ?? {}) };
  const req: Quantities = { ...(item.defaultRequest ?? {}) };
  for (const [k, v] of Object.entries(item.max ?? {})) if (!(k in def)) def[k] = v;
  for (const [k, v] of Object.entries(def)) if (!(k in req)) req[k] = v;
  for (const [k, v] of Object.entries(item.min ?? {})) if (!(k in req)) req[k] = v;
  // Empty maps are omitted on the wire (omitempty), as upstream's defaulted object prints.
  if (Object.keys(def).length) item.default = def;
  if (Object.keys(req).length) item.defaultRequest = req;
}

/** validateLimitRangeTypeName. */
function validateTypeName(type: string, f: string): FieldError[] {
  const errs = isQualifiedName(type).map((m) => fieldErr.invalid(f, type, m));
  if (errs.length) return errs;
  if (!type.includes('/') && !STANDARD_LIMIT_TYPES.has(type))
    errs.push(fieldErr.invalid(f, type, 'must be a standard limit type or fully qualified'));
  return errs;
}

/** validateLimitRangeResourceName: Pod and Container items name container resources; others any resource. */
function validateItemResourceName(type: string, name: string, f: string): FieldError[] {
  return type === LIMIT_TYPE_POD || type === LIMIT_TYPE_CONTAINER ? validateContainerResourceName(name, f) : validateResourceName(name, f);
}

/** Go's %f. */
const goFloat = (x: number) => (Number.isFinite(x) ? x.toFixed(6) : x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN');

/** ValidateLimitRange's checks of one item. */
function validateItem(item: LimitRangeItem, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const type = item.type ?? '';
  const keys = new Set<string>();
  const collect = (field: keyof LimitRangeItem): Map<string, Quantity> => {
    const out = new Map<string, Quantity>();
    const m = (item[field] ?? {}) as Quantities;
    for (const k of Object.keys(m).sort()) {
      errs.push(...validateItemResourceName(type, k, `${p}.${field}[${k}]`));
      keys.add(k);
      const q = parseQuantity(m[k]);
      if (q) out.set(k, q);
    }
    return out;
  };
  const max = collect('max');
  const min = collect('min');
  let defaults = new Map<string, Quantity>();
  let defaultRequests = new Map<string, Quantity>();
  if (type === LIMIT_TYPE_POD) {
    if (Object.keys(item.default ?? {}).length) errs.push(fieldErr.forbidden(`${p}.default`, "may not be specified when `type` is 'Pod'"));
    if (Object.keys(item.defaultRequest ?? {}).length)
      errs.push(fieldErr.forbidden(`${p}.defaultRequest`, "may not be specified when `type` is 'Pod'"));
  } else {
    defaults = collect('default');
    defaultRequests = collect('defaultRequest');
  }
  if (type === LIMIT_TYPE_PVC && !item.min?.storage && !item.max?.storage)
    errs.push(fieldErr.required(`${p}.limits`, 'either minimum or maximum storage value is required, but neither was provided'));
  const ratios = collect('maxLimitRequestRatio');
  const s = quantityString;
  for (const k of [...keys].sort()) {
    const mn = min.get(k);
    const mx = max.get(k);
    const df = defaults.get(k);
    const dr = defaultRequests.get(k);
    const ratio = ratios.get(k);
    if (mn && mx && compareQuantity(mn, mx) > 0)
      errs.push(fieldErr.invalid(`${p}.min[${k}]`, goQuantity(mn), `min value ${s(mn)} is greater than max value ${s(mx)}`));
    if (dr && mn && compareQuantity(mn, dr) > 0)
      errs.push(
        fieldErr.invalid(`${p}.defaultRequest[${k}]`, goQuantity(dr), `min value ${s(mn)} is greater than default request value ${s(dr)}`),
      );
    if (dr && mx && compareQuantity(dr, mx) > 0)
      errs.push(
        fieldErr.invalid(`${p}.defaultRequest[${k}]`, goQuantity(dr), `default request value ${s(dr)} is greater than max value ${s(mx)}`),
      );
    if (dr && df && compareQuantity(dr, df) > 0)
      errs.push(
        fieldErr.invalid(
          `${p}.defaultRequest[${k}]`,
          goQuantity(dr),
          `default request value ${s(dr)} is greater than default limit value ${s(df)}`,
        ),
      );
    if (df && mn && compareQuantity(mn, df) > 0)
      errs.push(fieldErr.invalid(`${p}.default[${k}]`, goQuantity(mn), `min value ${s(mn)} is greater than default value ${s(df)}`));
    if (df && mx && compareQuantity(df, mx) > 0)
      errs.push(fieldErr.invalid(`${p}.default[${k}]`, goQuantity(mx), `default value ${s(df)} is greater than max value ${s(mx)}`));
    if (ratio && compareQuantity(ratio, parseQuantity('1')!) < 0)
      errs.push(fieldErr.invalid(`${p}.maxLimitRequestRatio[${k}]`, goQuantity(ratio), `ratio ${s(ratio)} is less than 1`));
    if (ratio && mn && mx) {
      let ratioValue = Number(quantityValue(ratio));
      let minValue = quantityValue(mn);
      let maxValue = quantityValue(mx);
      if (quantityValue(ratio) < MAX_MILLI_VALUE && minValue < MAX_MILLI_VALUE && maxValue < MAX_MILLI_VALUE) {
        ratioValue = Number(quantityMilliValue(ratio)) / 1000;
        minValue = quantityMilliValue(mn);
        maxValue = quantityMilliValue(mx);
      }
      const limit = Number(maxValue) / Number(minValue);
      if (ratioValue > limit)
        errs.push(
          fieldErr.invalid(
            `${p}.maxLimitRequestRatio[${k}]`,
            goQuantity(ratio),
            `ratio ${s(ratio)} is greater than max/min = ${goFloat(limit)}`,
          ),
        );
    }
    if (!isOvercommitAllowed(k) && df && dr && compareQuantity(df, dr) !== 0)
      errs.push(
        fieldErr.invalid(
          `${p}.defaultRequest[${k}]`,
          goQuantity(dr),
          `default value ${s(df)} must equal to defaultRequest value ${s(dr)} in ${k}`,
        ),
      );
  }
  return errs;
}

/** ValidateLimitRange (the same on update). */
export function validateLimitRange(lr: LimitRangeObj): FieldError[] {
  const errs: FieldError[] = [];
  const types = new Set<string>();
  objectsIn(lr.spec?.limits).forEach((item, i) => {
    const p = `spec.limits[${i}]`;
    const type = item.type ?? '';
    errs.push(...validateTypeName(type, `${p}.type`));
    if (types.has(type)) errs.push(fieldErr.duplicate(`${p}.type`, type));
    types.add(type);
    errs.push(...validateItem(item, p));
  });
  return errs;
}

export const limitRangeDef = defineKind<LimitRangeObj>({
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  singular: 'limitrange',
  namespaced: true,
  shortNames: ['limits'],
  get schema() {
    return schemas.LimitRange;
  },
  openapiName: 'io.k8s.api.core.v1.LimitRange',
  defaults(lr) {
    for (const item of objectsIn(lr.spec?.limits)) defaultLimitRangeItem(item);
  },
  validate: (lr) => validateLimitRange(lr),
  validateUpdate: (lr) => validateLimitRange(lr),
  // printLimitRange: the name and the creation time (RFC 3339), as the default table prints them.
  table: defaultTable,
});
