// ReplicationController (core/v1), after upstream's pkg/registry/core/replicationcontroller strategy:
// SetDefaults_ReplicationController (selector and labels from the template's labels when empty,
// 1 replica; the template's Pod defaults), generation 1 on create and raised by spec changes,
// status only through the status subresource (reset on create), ValidateReplicationController /
// ValidateReplicationControllerUpdate / ValidateReplicationControllerStatusUpdate with upstream's
// texts and paths, the scale subresource (status.selector: the map selector as `k=v,...`), the
// `status.replicas` field selector, and printReplicationController's table (NAME DESIRED CURRENT
// READY AGE; wide: CONTAINERS IMAGES SELECTOR).
import { schemas, type ReplicationController, type ReplicationControllerSpec } from '../api/generated/core/v1.js';
import { defineKind, objectsIn, type Obj } from './define.js';
import { fieldErr, type FieldError } from '../apimachinery/field.js';
import { formatLabels, labelSetString } from '../apimachinery/selectors.js';
import { nonNegative, semanticEqual } from './pod/validation.js';
import { defaultPodTemplateSpec, type PodTemplateSpec } from './podtemplate.js';
import { validatePodTemplateSpecForReplicaSet } from './apps/validation.js';
import { replicaColumns, replicaRow, validateReplicaStatus } from './apps/replicaset.js';

export type ReplicationControllerObj = Obj<
  Omit<ReplicationController, 'spec'> & { spec?: Omit<ReplicationControllerSpec, 'template'> & { template?: PodTemplateSpec } }
>;
type Spec = NonNullable<ReplicationControllerObj['spec']>;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const nonEmpty = (m: Record<string, string> | null | undefined): m is Record<string, string> => !!m && Object.keys(m).length > 0;

/** upstream SetDefaults_ReplicationController and SetObjectDefaults_ReplicationController. */
export function defaultReplicationController(rc: ReplicationControllerObj): void {
  if (!isObj(rc.spec)) rc.spec = {} as Spec;
  const spec = rc.spec;
  const labels = isObj(spec.template) && isObj(spec.template.metadata) ? spec.template.metadata.labels : undefined;
  if (labels) {
    if (!nonEmpty(spec.selector)) spec.selector = { ...labels };
    if (!nonEmpty(rc.metadata.labels)) rc.metadata.labels = { ...labels };
  }
  spec.replicas ??= 1;
  // The template is a pointer upstream: defaulted only when there is one.
  if (isObj(spec.template)) defaultPodTemplateSpec(spec.template);
}

/** upstream ValidateReadOnlyPersistentDisks (replicated Pods share a GCE PD only read-only). */
function readOnlyDisks(t: PodTemplateSpec, f: string): FieldError[] {
  const errs: FieldError[] = [];
  objectsIn(t.spec?.volumes).forEach((v, i) => {
    if (v.gcePersistentDisk && !v.gcePersistentDisk.readOnly)
      errs.push(
        fieldErr.invalid(
          `${f}[${i}].gcePersistentDisk.readOnly`,
          false,
          'must be true for replicated pods > 1; GCE PD can only be mounted on multiple machines if it is read-only',
        ),
      );
  });
  return errs;
}

/** upstream ValidateReplicationControllerSpec (with ValidatePodTemplateSpecForRC). */
function validateSpec(spec: Spec, oldTemplate?: PodTemplateSpec): FieldError[] {
  const f = 'spec';
  const errs = nonNegative(spec.minReadySeconds, `${f}.minReadySeconds`);
  if (!nonEmpty(spec.selector)) errs.push(fieldErr.required(`${f}.selector`));
  errs.push(...nonNegative(spec.replicas, `${f}.replicas`));
  const t = spec.template ?? undefined;
  errs.push(
    ...validatePodTemplateSpecForReplicaSet(t, { map: spec.selector }, `${f}.template`, oldTemplate?.spec, 'ReplicationController'),
  );
  if (t && (spec.replicas ?? 0) > 1) errs.push(...readOnlyDisks(t, `${f}.template.spec.volumes`));
  return errs;
}

export const replicationControllerDef = defineKind<ReplicationControllerObj>({
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  singular: 'replicationcontroller',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  get schema() {
    return schemas.ReplicationController;
  },
  openapiName: 'io.k8s.api.core.v1.ReplicationController',
  statusSubresource: true,
  scale: { selector: (rc) => labelSetString(rc.spec?.selector) },
  defaults: (rc) => defaultReplicationController(rc),
  prepareForCreate(rc) {
    rc.status = { replicas: 0 };
    rc.metadata.generation = 1;
  },
  prepareForUpdate(rc, old) {
    const gen = old.metadata.generation ?? 0;
    rc.metadata.generation = semanticEqual(rc.spec, old.spec) ? gen : gen + 1;
  },
  validate: (rc) => validateSpec(rc.spec ?? ({} as Spec)),
  validateUpdate: (rc, old) => validateSpec(rc.spec ?? ({} as Spec), old.spec?.template),
  validateStatusUpdate: (rc) => validateReplicaStatus(rc.status),
  fieldSelectors: { 'status.replicas': (rc) => String(rc.status?.replicas ?? 0) },
  table: {
    columns: replicaColumns({
      replicas:
        'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
      current:
        'Replicas is the most recently observed number of replicas. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller#what-is-a-replicationcontroller',
      ready: 'The number of ready replicas for this replication controller.',
      selector:
        'Selector is a label query over pods that should match the Replicas count. If Selector is empty, it is defaulted to the labels present on the Pod template. Label keys and values that must match in order to be controlled by this replication controller, if empty defaulted to labels on Pod template. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
    }),
    row: (rc, now) => replicaRow(rc, formatLabels(rc.spec?.selector), now),
  },
});
