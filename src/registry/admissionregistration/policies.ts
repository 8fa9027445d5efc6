// ValidatingAdmissionPolicy and ValidatingAdmissionPolicyBinding (admissionregistration.k8s.io/v1),
// after upstream's pkg/registry/admissionregistration strategies: cluster-scoped, generation 1 on
// create and raised by spec changes, the policy's status written through its status subresource,
// the v1 defaults (failurePolicy Fail; match resources' matchPolicy Equivalent and empty selectors;
// rules' scope `*`), structural validation in ./policy-validation.ts, and printers.go's columns.
// Not served yet: no admission plugin evaluates them. Upstream's create and update also check
// that the user may read the paramKind's resource (RBAC), which is left to the serving step.
import { loadPolicyCompiler, policyCompilerLoaded, policyExpressionErrors } from '../admission/policy/index.js';
import {
  schemas,
  type MatchResources,
  type ValidatingAdmissionPolicy,
  type ValidatingAdmissionPolicyBinding,
} from '../../api/generated/admissionregistration/v1.js';
import type { LabelSelector } from '../../apimachinery/selectors.js';
import { asObject, defineKind, objectsIn, type Obj } from '../define.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import { ADMISSION_GROUP } from './webhook-validation.js';
import { validateBindingSpec, validatePolicySpec } from './policy-validation.js';

export type ValidatingAdmissionPolicyObj = Obj<ValidatingAdmissionPolicy>;
export type ValidatingAdmissionPolicyBindingObj = Obj<ValidatingAdmissionPolicyBinding>;

const unset = (v: unknown) => v === undefined || v === null;
const sameJSON = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** SetDefaults_MatchResources, with SetDefaults_Rule on the named rules. */
export function defaultMatchResources(mr: MatchResources): void {
  if (unset(mr.matchPolicy)) mr.matchPolicy = 'Equivalent';
  if (unset(mr.namespaceSelector)) mr.namespaceSelector = {};
  if (unset(mr.objectSelector)) mr.objectSelector = {};
  for (const r of [...objectsIn(mr.resourceRules), ...objectsIn(mr.excludeResourceRules)]) if (unset(r.scope)) r.scope = '*';
}

/**
 * The generated String() of a metav1.LabelSelector (gogo protobuf), which the binding's PARAMREF
 * column prints: `&LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}`.
 */
export function labelSelectorGoString(sel: LabelSelector): string {
  const labels = sel.matchLabels ?? {};
  const map = Object.keys(labels)
    .sort()
    .map((k) => `${k}: ${labels[k]},`)
    .join('');
  const exprs = objectsIn(sel.matchExpressions)
    .map((e) => `LabelSelectorRequirement{Key:${e.key ?? ''},Operator:${e.operator ?? ''},Values:[${(e.values ?? []).join(' ')}],},`)
    .join('');
  return `&LabelSelector{MatchLabels:map[string]string{${map}},MatchExpressions:[]LabelSelectorRequirement{${exprs}},}`;
}

/** printValidatingAdmissionPolicyBinding's PARAMREF: namespace/name (`*` for no namespace), the selector, or <unset>. */
export function paramRefCell(b: ValidatingAdmissionPolicyBindingObj): string {
  const pr = asObject(b.spec?.paramRef);
  if (!pr) return '<unset>';
  if (pr.name) return `${pr.namespace ? pr.namespace : '*'}/${pr.name}`;
  const sel = asObject(pr.selector);
  return sel ? labelSelectorGoString(sel) : '<unset>';
}

/** The expressions that do not compile (upstream's create validation compiles them); an in-process write before the engine loaded is not checked. */
const expressionErrors = (p: ValidatingAdmissionPolicyObj) => (policyCompilerLoaded() ? policyExpressionErrors(p) : []);

export const validatingAdmissionPolicyDef = defineKind<ValidatingAdmissionPolicyObj>({
  group: ADMISSION_GROUP,
  version: 'v1',
  kind: 'ValidatingAdmissionPolicy',
  plural: 'validatingadmissionpolicies',
  singular: 'validatingadmissionpolicy',
  namespaced: false,
  categories: ['api-extensions'],
  get schema() {
    return schemas.ValidatingAdmissionPolicy;
  },
  openapiName: 'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicy',
  statusSubresource: true,
  defaults(p) {
    const spec = asObject(p.spec);
    if (!spec) return;
    if (unset(spec.failurePolicy)) spec.failurePolicy = 'Fail';
    const mc = asObject(spec.matchConstraints);
    if (mc) defaultMatchResources(mc);
  },
  prepareForCreate(p) {
    p.status = {};
    p.metadata.generation = 1;
  },
  prepareForUpdate(p, old) {
    const gen = old.metadata.generation ?? 0;
    p.metadata.generation = sameJSON(p.spec, old.spec) ? gen : gen + 1;
  },
  // The CEL engine loads before a policy's write: its expressions compile in the validation, and
  // every write evaluates the policies synchronously from then on.
  prepareWrite: () => loadPolicyCompiler(),
  validate: (p) => [...validatePolicySpec(p.metadata.name ?? '', p.spec), ...expressionErrors(p)],
  // ignoreValidatingAdmissionPolicyMatchConditions: unchanged paramKind and match conditions.
  validateUpdate: (p, old) => [
    ...validatePolicySpec(
      p.metadata.name ?? '',
      p.spec,
      sameJSON(p.spec?.paramKind, old.spec?.paramKind) && sameJSON(p.spec?.matchConditions, old.spec?.matchConditions),
    ),
    ...expressionErrors(p),
  ],
  table: {
    columns: [
      nameColumn(),
      column('Validations', 'Validations indicates the number of validation rules defined in this configuration', 0, 'integer'),
      column('ParamKind', 'ParamKind specifies the kind of resources used to parameterize this policy'),
      ageColumn(),
    ],
    row: (p, now) => {
      const pk = asObject(p.spec?.paramKind);
      const validations = p.spec?.validations;
      return [
        p.metadata.name,
        Array.isArray(validations) ? validations.length : 0,
        pk ? `${pk.apiVersion ?? ''}/${pk.kind ?? ''}` : '<unset>',
        age(p, now),
      ];
    },
  },
});

export const validatingAdmissionPolicyBindingDef = defineKind<ValidatingAdmissionPolicyBindingObj>({
  group: ADMISSION_GROUP,
  version: 'v1',
  kind: 'ValidatingAdmissionPolicyBinding',
  plural: 'validatingadmissionpolicybindings',
  singular: 'validatingadmissionpolicybinding',
  namespaced: false,
  categories: ['api-extensions'],
  get schema() {
    return schemas.ValidatingAdmissionPolicyBinding;
  },
  openapiName: 'io.k8s.api.admissionregistration.v1.ValidatingAdmissionPolicyBinding',
  defaults(b) {
    const mr = asObject(asObject(b.spec)?.matchResources);
    if (mr) defaultMatchResources(mr);
  },
  prepareForCreate(b) {
    b.metadata.generation = 1;
  },
  prepareForUpdate(b, old) {
    const gen = old.metadata.generation ?? 0;
    b.metadata.generation = sameJSON(b.spec, old.spec) ? gen : gen + 1;
  },
  validate: (b) => validateBindingSpec(b.spec),
  validateUpdate: (b) => validateBindingSpec(b.spec),
  table: {
    columns: [
      nameColumn(),
      column('PolicyName', 'PolicyName indicates the policy definition which the policy binding binded to'),
      column('ParamRef', 'ParamRef indicates the param resource which sets the configration param'),
      ageColumn(),
    ],
    row: (b, now) => [b.metadata.name, b.spec?.policyName ?? '', paramRefCell(b), age(b, now)],
  },
});
