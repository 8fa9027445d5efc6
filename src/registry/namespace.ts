// Namespace (core/v1): upstream pkg/registry/core/namespace/strategy.go. Deletion waits for the
// namespace controller to empty spec.finalizers ("kubernetes"); meanwhile status.phase is
// Terminating and the registry refuses new content in it.
import { schemas, type Namespace } from '../api/generated/core/v1.js';
import { defineKind, type Obj } from './define.js';
import { fieldErr, type FieldError } from '../apimachinery/field.js';
import { isQualifiedName } from '../apimachinery/validation.js';
import { age, ageColumn, column, nameColumn } from './printers.js';
import { forbidden } from '../apimachinery/errors.js';

export type NamespaceObj = Obj<Namespace>;

/** upstream api.FinalizerKubernetes and the other standard finalizer names. */
export const FINALIZER_KUBERNETES = 'kubernetes';
const STANDARD_FINALIZERS = ['kubernetes', 'orphan', 'foregroundDeletion'];
/** metav1.NamespaceDefault, NamespaceSystem and NamespacePublic: never deleted. */
export const IMMORTAL_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public'];

/** upstream core ValidateFinalizerName: qualified, or one of the standard names. */
export function validateSpecFinalizers(finalizers: string[] | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) {
    for (const m of isQualifiedName(f)) errs.push(fieldErr.invalid('spec.finalizers', f, m));
    if (!f.includes('/') && !STANDARD_FINALIZERS.includes(f)) {
      errs.push(fieldErr.invalid('spec.finalizers', f, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  }
  return errs;
}

export const namespaceDef = defineKind<NamespaceObj>({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  singular: 'namespace',
  namespaced: false,
  shortNames: ['ns'],
  get schema() {
    return schemas.Namespace;
  },
  openapiName: 'io.k8s.api.core.v1.Namespace',
  statusSubresource: true,
  // upstream's namespace REST has no DeleteCollection.
  verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  admitDelete(name) {
    // NamespaceLifecycle admission (k8s.io/apiserver pkg/admission/plugin/namespace/lifecycle):
    // kube-apiserver's immortal namespaces. kube-node-lease may be deleted (and comes back).
    if (IMMORTAL_NAMESPACES.includes(name))
      throw forbidden({ group: '', resource: 'namespaces' }, name, 'this namespace may not be deleted');
  },
  defaults(ns) {
    // SetDefaults_Namespace: the immutable kubernetes.io/metadata.name label.
    if (ns.metadata.name) ns.metadata.labels = { ...(ns.metadata.labels ?? {}), 'kubernetes.io/metadata.name': ns.metadata.name };
    ns.status ??= {};
    ns.status.phase ||= 'Active';
  },
  prepareForCreate(ns) {
    ns.status = { phase: 'Active' };
    // The "kubernetes" finalizer is required on create (not a default: it is removed over the object's life).
    const fins = ns.spec?.finalizers ?? [];
    if (!fins.includes(FINALIZER_KUBERNETES)) ns.spec = { ...(ns.spec ?? {}), finalizers: [...fins, FINALIZER_KUBERNETES] };
  },
  validate(ns) {
    return validateSpecFinalizers(ns.spec?.finalizers);
  },
  validateUpdate(ns) {
    return validateSpecFinalizers(ns.spec?.finalizers);
  },
  validateStatusUpdate(ns) {
    const phase = ns.status?.phase;
    if (!ns.metadata.deletionTimestamp) {
      if (phase !== 'Active')
        return [fieldErr.invalid('status.Phase', phase ?? '', "may only be 'Active' if `deletionTimestamp` is empty")];
    } else if (phase !== 'Terminating') {
      return [fieldErr.invalid('status.Phase', phase ?? '', "may only be 'Terminating' if `deletionTimestamp` is not empty")];
    }
    return [];
  },
  deletionPending(ns) {
    return (ns.spec?.finalizers?.length ?? 0) > 0;
  },
  onDeletionStarted(ns) {
    ns.status = { ...(ns.status ?? {}), phase: 'Terminating' };
  },
  table: {
    columns: [nameColumn(), column('Status', 'The status of the namespace'), ageColumn()],
    row: (ns, now) => [ns.metadata.name, ns.status?.phase ?? '', age(ns, now)],
  },
  fieldSelectors: {
    'status.phase': (ns) => ns.status?.phase,
  },
});
