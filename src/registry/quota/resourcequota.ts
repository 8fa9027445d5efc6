// ResourceQuota (core/v1), after upstream's pkg/registry/core/resourcequota strategy and
// pkg/apis/core/validation: status cleared on create and kept by spec writes (the status
// subresource is the quota controller's and quota admission's), ValidateResourceQuota (hard
// resource names and values, scopes valid for the resources they limit, no conflicting scopes,
// scopeSelector expressions), scopes immutable on update, ValidateResourceQuotaStatusUpdate, and
// printResourceQuota's table (REQUEST and LIMIT as `name: used/hard`).
import { schemas, type ResourceQuota, type ResourceQuotaSpec, type ScopeSelector } from '../../api/generated/core/v1.js';
import { defineKind, objectsIn, type Obj } from '../define.js';
import { fieldErr, GoLiteral, goTypedSlice, type FieldError } from '../../apimachinery/field.js';
import { parseQuantity, quantityString } from '../../apimachinery/quantity.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import {
  isStandardQuotaResource,
  isStandardScope,
  scopeValidForResource,
  SCOPE_BEST_EFFORT,
  SCOPE_NOT_BEST_EFFORT,
  SCOPE_NOT_TERMINATING,
  SCOPE_TERMINATING,
  validateQuantityValue,
  validateQuotaResourceName,
} from './resources.js';

export type ResourceQuotaObj = Obj<ResourceQuota>;

const SCOPE_TYPE = 'core.ResourceQuotaScope';
const CONFLICTING_PAIRS = [
  [SCOPE_BEST_EFFORT, SCOPE_NOT_BEST_EFFORT],
  [SCOPE_TERMINATING, SCOPE_NOT_TERMINATING],
];
const EXISTS_ONLY_SCOPES = new Set([SCOPE_BEST_EFFORT, SCOPE_NOT_BEST_EFFORT, SCOPE_TERMINATING, SCOPE_NOT_TERMINATING]);
export const SCOPE_SELECTOR_OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

const scopesGo = (scopes: readonly string[] | null | undefined) =>
  scopes ? goTypedSlice(SCOPE_TYPE, scopes) : new GoLiteral(`[]${SCOPE_TYPE}(nil)`);

/** %#v of the dereferenced *core.ScopeSelector (the bad value of a selector error). */
function scopeSelectorGo(sel: ScopeSelector): GoLiteral {
  const q = JSON.stringify;
  const exprs = sel.matchExpressions;
  const req = (e: { scopeName?: string; operator?: string; values?: string[] | null }) =>
    `core.ScopedResourceSelectorRequirement{ScopeName:${q(e.scopeName ?? '')}, Operator:${q(e.operator ?? '')}, Values:${
      e.values ? `[]string{${e.values.map((v) => q(v)).join(', ')}}` : '[]string(nil)'
    }}`;
  const me = exprs
    ? `[]core.ScopedResourceSelectorRequirement{${objectsIn(exprs).map(req).join(', ')}}`
    : '[]core.ScopedResourceSelectorRequirement(nil)';
  return new GoLiteral(`core.ScopeSelector{MatchExpressions:${me}}`);
}

/** A resource list's names and values (ValidateResourceQuotaResourceName, ValidateResourceQuantityValue). */
function validateResourceList(list: Record<string, unknown> | null | undefined, f: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const k of Object.keys(list ?? {}).sort()) {
    const p = `${f}[${k}]`;
    errs.push(...validateQuotaResourceName(k, p));
    const q = parseQuantity(list![k]);
    if (q) errs.push(...validateQuantityValue(k, q, p));
  }
  return errs;
}

/** validateResourceQuotaScopes. */
function validateScopes(spec: ResourceQuotaSpec, f: string): FieldError[] {
  const scopes = spec.scopes;
  if (!scopes?.length) return [];
  const errs: FieldError[] = [];
  const hard = Object.keys(spec.hard ?? {}).sort();
  const p = `${f}.scopes`;
  for (const scope of scopes) {
    if (!isStandardScope(scope)) errs.push(fieldErr.invalid(p, scopesGo(scopes), 'unsupported scope'));
    for (const k of hard)
      if (isStandardQuotaResource(k) && !scopeValidForResource(scope, k))
        errs.push(fieldErr.invalid(p, scopesGo(scopes), 'unsupported scope applied to resource'));
  }
  for (const pair of CONFLICTING_PAIRS)
    if (pair.every((s) => scopes.includes(s))) errs.push(fieldErr.invalid(p, scopesGo(scopes), 'conflicting scopes'));
  return errs;
}

/** validateScopeSelector / validateScopedResourceSelectorRequirement. */
function validateScopeSelector(spec: ResourceQuotaSpec, f: string): FieldError[] {
  const sel = spec.scopeSelector;
  if (!sel) return [];
  const errs: FieldError[] = [];
  const hard = Object.keys(spec.hard ?? {}).sort();
  const p = `${f}.scopeSelector.matchExpressions`;
  const seen = new Set<string>();
  for (const req of objectsIn(sel.matchExpressions)) {
    const scope = req.scopeName ?? '';
    if (!isStandardScope(scope)) errs.push(fieldErr.invalid(`${p}.scopeName`, scope, 'unsupported scope'));
    for (const k of hard)
      if (isStandardQuotaResource(k) && !scopeValidForResource(scope, k))
        errs.push(fieldErr.invalid(p, scopeSelectorGo(sel), 'unsupported scope applied to resource'));
    if (EXISTS_ONLY_SCOPES.has(scope) && req.operator !== 'Exists')
      errs.push(
        fieldErr.invalid(
          `${p}.operator`,
          req.operator ?? '',
          "must be 'Exist' only operator when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort and ResourceQuotaScopeNotBestEffort",
        ),
      );
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (!values.length)
          errs.push(fieldErr.required(`${p}.values`, "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length)
          errs.push(
            fieldErr.invalid(`${p}.values`, values, "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"),
          );
        break;
      default:
        errs.push(fieldErr.invalid(`${p}.operator`, req.operator ?? '', 'not a valid selector operator'));
    }
    seen.add(scope);
  }
  for (const pair of CONFLICTING_PAIRS)
    if (pair.every((s) => seen.has(s))) errs.push(fieldErr.invalid(p, scopesGo(spec.scopes), 'conflicting scopes'));
  return errs;
}

/** ValidateResourceQuotaSpec. */
export function validateResourceQuotaSpec(spec: ResourceQuotaSpec | undefined, f = 'spec'): FieldError[] {
  const s = spec ?? {};
  return [...validateResourceList(s.hard, `${f}.hard`), ...validateScopes(s, f), ...validateScopeSelector(s, f)];
}

/** ValidateResourceQuotaUpdate's own part: the scopes (as a set) may not change. */
function validateUpdate(rq: ResourceQuotaObj, old: ResourceQuotaObj): FieldError[] {
  const errs = validateResourceQuotaSpec(rq.spec);
  const next = new Set(rq.spec?.scopes ?? []);
  const prev = new Set(old.spec?.scopes ?? []);
  if (next.size !== prev.size || [...next].some((s) => !prev.has(s)))
    errs.push(fieldErr.invalid('spec.scopes', scopesGo(rq.spec?.scopes), 'field is immutable'));
  return errs;
}

/** ValidateResourceQuotaStatusUpdate. */
function validateStatusUpdate(rq: ResourceQuotaObj): FieldError[] {
  const errs: FieldError[] = [];
  if (!rq.metadata.resourceVersion) errs.push(fieldErr.required('resourceVersion', ''));
  errs.push(...validateResourceList(rq.status?.hard, 'status.hard'), ...validateResourceList(rq.status?.used, 'status.used'));
  return errs;
}

/** printResourceQuota's REQUEST and LIMIT cells: `name: used/hard` of status.hard's names, sorted; limits.* in LIMIT. */
export function quotaCells(rq: ResourceQuotaObj): [string, string] {
  const hard = rq.status?.hard ?? {};
  const used = rq.status?.used ?? {};
  const text = (v: unknown) => {
    const q = parseQuantity(v);
    return q ? quantityString(q) : '0';
  };
  const request: string[] = [];
  const limit: string[] = [];
  for (const k of Object.keys(hard).sort()) {
    const cell = `${k}: ${text(used[k])}/${text(hard[k])}`;
    const pieces = k.split('.');
    (pieces.length > 1 && pieces[0] === 'limits' ? limit : request).push(cell);
  }
  return [request.join(', '), limit.join(', ')];
}

export const resourceQuotaDef = defineKind<ResourceQuotaObj>({
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  singular: 'resourcequota',
  namespaced: true,
  shortNames: ['quota'],
  get schema() {
    return schemas.ResourceQuota;
  },
  openapiName: 'io.k8s.api.core.v1.ResourceQuota',
  statusSubresource: true,
  prepareForCreate(rq) {
    // The status is the controller's to compute (upstream: ResourceQuotaStatus{}).
    rq.status = {};
  },
  validate: (rq) => validateResourceQuotaSpec(rq.spec),
  validateUpdate: (rq, old) => validateUpdate(rq, old),
  validateStatusUpdate: (rq) => validateStatusUpdate(rq),
  table: {
    columns: [
      nameColumn(),
      ageColumn(),
      column('Request', 'Request represents a minimum amount of cpu/memory that a container may consume.'),
      column('Limit', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.'),
    ],
    row: (rq, now) => [rq.metadata.name, age(rq, now), ...quotaCells(rq)],
  },
});
