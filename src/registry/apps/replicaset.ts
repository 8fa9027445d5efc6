// ReplicaSet (apps/v1), after upstream's pkg/registry/apps/replicaset strategy: SetDefaults_ReplicaSet
// (1 replica; the template's Pod defaults), generation 1 on create and raised by spec changes,
// status only through the status subresource (reset on create), ValidateReplicaSet /
// ValidateReplicaSetUpdate / ValidateReplicaSetStatusUpdate with upstream's texts and paths (the
// selector immutable, as for every group version but extensions/v1beta1), the scale subresource
// (status.selector: the selector as a label query string), the `status.replicas` field selector,
// and printReplicaSet's table (NAME DESIRED CURRENT READY AGE; wide: CONTAINERS IMAGES SELECTOR).
import { schemas, type ReplicaSet, type ReplicaSetSpec, type ReplicaSetStatus } from '../../api/generated/apps/v1.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, goLabelSelector, goStringMap, type FieldError } from '../../apimachinery/field.js';
import { labelSelector, nonNegative, semanticEqual } from '../pod/validation.js';
import { defaultPodTemplateSpec, type PodTemplateSpec } from '../podtemplate.js';
import { age, ageColumn, column, containerColumns, layoutContainerCells, nameColumn } from '../printers.js';
import { formatLabelSelector, labelSelectorString, type LabelSelector } from '../../apimachinery/selectors.js';
import { selectorIsEmpty, validatePodTemplateSpecForReplicaSet } from './validation.js';

/** A ReplicaSet as stored: its template's metadata carries Go's `creationTimestamp: null`. */
export type ReplicaSetObj = Obj<Omit<ReplicaSet, 'spec'> & { spec?: Omit<ReplicaSetSpec, 'template'> & { template?: PodTemplateSpec } }>;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

type Spec = NonNullable<ReplicaSetObj['spec']>;

/** upstream SetDefaults_ReplicaSet and SetObjectDefaults_ReplicaSet (the template's Pod defaults). */
export function defaultReplicaSet(rs: ReplicaSetObj): void {
  if (!isObj(rs.spec)) rs.spec = {} as Spec;
  rs.spec.replicas ??= 1;
  if (!isObj(rs.spec.template)) rs.spec.template = {};
  defaultPodTemplateSpec(rs.spec.template);
}

/** upstream ValidateReplicaSetSpec. */
function validateSpec(spec: Spec, oldTemplate?: PodTemplateSpec): FieldError[] {
  const f = 'spec';
  const errs = [...nonNegative(spec.replicas, `${f}.replicas`), ...nonNegative(spec.minReadySeconds, `${f}.minReadySeconds`)];
  const sel = spec.selector as LabelSelector | null | undefined;
  if (!sel) {
    errs.push(fieldErr.required(`${f}.selector`));
    // A nil selector selects nothing: the template never matches it.
    errs.push(
      fieldErr.invalid(
        `${f}.template.metadata.labels`,
        goStringMap(spec.template?.metadata?.labels),
        '`selector` does not match template `labels`',
      ),
    );
    errs.push(...validatePodTemplateSpecForReplicaSet(spec.template, {}, `${f}.template`, oldTemplate?.spec));
    return errs;
  }
  errs.push(...labelSelector(sel, `${f}.selector`));
  if (selectorIsEmpty(sel)) errs.push(fieldErr.invalid(`${f}.selector`, goLabelSelector(sel), 'empty selector is invalid for deployment'));
  if (labelSelectorString(sel) === undefined) errs.push(fieldErr.invalid(`${f}.selector`, goLabelSelector(sel), 'invalid label selector'));
  else errs.push(...validatePodTemplateSpecForReplicaSet(spec.template, { labelSelector: sel }, `${f}.template`, oldTemplate?.spec));
  return errs;
}

/** upstream ValidateReplicaSetStatus (ReplicationControllers' is the same). */
export function validateReplicaStatus(status: Partial<ReplicaSetStatus> | undefined): FieldError[] {
  const s = status ?? {};
  const f = 'status';
  const errs: FieldError[] = [];
  for (const k of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'] as const)
    errs.push(...nonNegative(s[k], `${f}.${k}`));
  const replicas = s.replicas ?? 0;
  const msg = 'cannot be greater than status.replicas';
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) {
    const v = s[k] ?? 0;
    if (v > replicas) errs.push(fieldErr.invalid(`${f}.${k}`, v, msg));
  }
  if ((s.availableReplicas ?? 0) > (s.readyReplicas ?? 0))
    errs.push(fieldErr.invalid(`${f}.availableReplicas`, s.availableReplicas ?? 0, 'cannot be greater than readyReplicas'));
  return errs;
}

/** The columns printReplicaSet and printReplicationController share. */
export function replicaColumns(docs: { replicas: string; current: string; ready: string; selector: string }) {
  return [
    nameColumn(),
    column('Desired', docs.replicas, 0, 'integer'),
    column('Current', docs.current, 0, 'integer'),
    column('Ready', docs.ready, 0, 'integer'),
    ageColumn(),
    ...containerColumns(),
    column('Selector', docs.selector, 1),
  ];
}

/** A row of those columns. */
export function replicaRow(
  o: {
    metadata: { name?: string; creationTimestamp?: string };
    spec?: { replicas?: number; template?: PodTemplateSpec };
    status?: { replicas?: number; readyReplicas?: number };
  },
  selector: string,
  now: Date,
): unknown[] {
  return [
    o.metadata.name,
    o.spec?.replicas ?? 0,
    o.status?.replicas ?? 0,
    o.status?.readyReplicas ?? 0,
    age(o, now),
    ...layoutContainerCells(o.spec?.template?.spec?.containers),
    selector,
  ];
}

export const replicaSetDef = defineKind<ReplicaSetObj>({
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  get schema() {
    return schemas.ReplicaSet;
  },
  openapiName: 'io.k8s.api.apps.v1.ReplicaSet',
  statusSubresource: true,
  scale: { selector: (rs) => labelSelectorString(rs.spec?.selector as LabelSelector | undefined) ?? '' },
  defaults: (rs) => defaultReplicaSet(rs),
  prepareForCreate(rs) {
    rs.status = { replicas: 0 };
    rs.metadata.generation = 1;
  },
  prepareForUpdate(rs, old) {
    const gen = old.metadata.generation ?? 0;
    rs.metadata.generation = semanticEqual(rs.spec, old.spec) ? gen : gen + 1;
  },
  validate: (rs) => validateSpec(rs.spec ?? ({} as Spec)),
  validateUpdate(rs, old) {
    const errs = validateSpec(rs.spec ?? ({} as Spec), old.spec?.template);
    const sel = rs.spec?.selector as LabelSelector | undefined;
    if (!semanticEqual(sel, old.spec?.selector)) errs.push(fieldErr.invalid('spec.selector', goLabelSelector(sel), 'field is immutable'));
    return errs;
  },
  validateStatusUpdate: (rs) => validateReplicaStatus(rs.status),
  fieldSelectors: { 'status.replicas': (rs) => String(rs.status?.replicas ?? 0) },
  table: {
    columns: replicaColumns({
      replicas:
        'Replicas is the number of desired pods. This is a pointer to distinguish between explicit zero and unspecified. Defaults to 1. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset',
      current:
        'Replicas is the most recently observed number of non-terminating pods. More info: https://kubernetes.io/docs/concepts/workloads/controllers/replicaset',
      ready: 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.',
      selector:
        "Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    }),
    row: (rs, now) => replicaRow(rs, formatLabelSelector(rs.spec?.selector as LabelSelector | undefined), now),
  },
});
