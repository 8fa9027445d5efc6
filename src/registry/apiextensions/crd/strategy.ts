// CustomResourceDefinition (apiextensions.k8s.io/v1, cluster-scoped), after upstream's
// apiextensions-apiserver pkg/registry/customresourcedefinition: strategy.go (status starts empty
// but for the storage version in storedVersions, generation bumps on spec changes, the status
// subresource keeps the spec) and etcd.go's Delete (the first delete adds the cleanup finalizer
// and a Terminating condition, so the CRD's objects are deleted before it). Serving the kinds a
// CRD defines is the CRD controller's (src/controllers/crd): it accepts the names and establishes them.
import { schemas } from '../../../api/generated/apiextensions/v1.js';
import { defineKind } from '../../define.js';
import type { KubeObject } from '../../../apimachinery/types.js';
import { deepEqual, rfc3339 } from '../../../apimachinery/meta.js';
import { defaultTable } from '../../printers.js';
import { setDefaultsCRD } from './defaults.js';
import { setCRDCondition } from './conditions.js';
import { validateCRD, validateCRDStatusUpdate, validateCRDUpdate } from './validation.js';
import type { CRD } from './types.js';
import type { FieldError } from '../../../apimachinery/field.js';
import { compileSchemaRulesLoaded, hasValidationRules, loadRuleCompiler } from '../../cel/index.js';

export const APIEXTENSIONS_GROUP = 'apiextensions.k8s.io';
/** Held by a deleted CRD until its objects are gone (upstream CustomResourceCleanupFinalizer). */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export type CRDObj = CRD & KubeObject;

/**
 * The x-kubernetes-validations rules of each schema, compiled (upstream validates them with the
 * schema): a schema shared by every version is reported at spec.validation.openAPIV3Schema, as
 * the rest of CRD validation reports it; a schema with errors of its own is not compiled.
 */
function ruleErrors(crd: CRD, errs: FieldError[]): FieldError[] {
  const versions = crd.spec?.versions ?? [];
  const schemas = versions.map((v) => v.schema?.openAPIV3Schema);
  const shared = versions.length > 0 && schemas.every((x) => JSON.stringify(x) === JSON.stringify(schemas[0]));
  const out: FieldError[] = [];
  const each = shared
    ? [{ schema: schemas[0], path: 'spec.validation.openAPIV3Schema' }]
    : schemas.map((schema, i) => ({ schema, path: `spec.versions[${i}].schema.openAPIV3Schema` }));
  for (const { schema, path } of each) {
    if (!schema || !hasValidationRules(schema) || errs.some((e) => e.field.startsWith(path))) continue;
    out.push(...compileSchemaRulesLoaded(schema, path).errors);
  }
  return out;
}

const withRules = (errs: FieldError[], crd: CRD) => [...errs, ...ruleErrors(crd, errs)];

const storageVersion = (crd: CRD) => (crd.spec?.versions ?? []).find((v) => v.storage)?.name;

/** The storage version joins status.storedVersions (it may hold objects from now on). */
function addStoredVersion(crd: CRD): void {
  const v = storageVersion(crd);
  if (!v) return;
  const status = (crd.status ??= {});
  const stored = status.storedVersions ?? [];
  if (!stored.includes(v)) status.storedVersions = [...stored, v];
}

export const crdDef = defineKind<CRDObj>({
  group: APIEXTENSIONS_GROUP,
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  namespaced: false,
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  get schema() {
    return schemas.CustomResourceDefinition;
  },
  openapiName: 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition',
  statusSubresource: true,
  allowUnconditionalUpdate: false,
  ownMetaValidation: true,
  deletionFinalizers: [CRD_CLEANUP_FINALIZER],
  defaults: (crd) => setDefaultsCRD(crd),
  prepareForCreate(crd) {
    crd.status = {};
    crd.metadata.generation = 1;
    addStoredVersion(crd);
  },
  prepareForUpdate(crd, old, ctx) {
    if (ctx.subresource === 'status') {
      crd.spec = old.spec;
      return;
    }
    crd.status = old.status;
    if (!deepEqual(crd.spec, old.spec)) crd.metadata.generation = (old.metadata.generation ?? 0) + 1;
    addStoredVersion(crd);
  },
  // A write that may bring rules loads the CEL engine before its transaction (the rules compile in it).
  prepareWrite: async (body) => {
    if (JSON.stringify(body ?? null).includes('x-kubernetes-validations')) await loadRuleCompiler();
  },
  validate: (crd) => withRules(validateCRD(crd), crd),
  validateUpdate: (crd, old) => withRules(validateCRDUpdate(crd, old), crd),
  validateStatusUpdate: (crd, old) => validateCRDStatusUpdate(crd, old),
  onDeletionStarted(crd, ctx) {
    crd.status = {
      ...crd.status,
      conditions: setCRDCondition(
        crd.status?.conditions,
        {
          type: 'Terminating',
          status: 'True',
          reason: 'InstanceDeletionPending',
          message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
        },
        rfc3339(ctx.now),
      ),
    };
  },
  table: defaultTable,
});
