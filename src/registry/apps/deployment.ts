// Deployment (apps/v1), after upstream's pkg/registry/apps/deployment strategy: SetDefaults_Deployment
// (1 replica, RollingUpdate 25%/25%, 10 revisions, a progress deadline of 600 s, the template's Pod
// defaults), status cleared on create and kept on update, generation raised by a change of the spec
// or of the annotations (annotations are copied to ReplicaSets), status writes that change neither
// spec nor labels, ValidateDeployment / ValidateDeploymentUpdate (selector immutable) /
// ValidateDeploymentStatusUpdate with upstream's texts and paths, the scale subresource, and
// printDeployment's table (NAME READY UP-TO-DATE AVAILABLE AGE; wide: CONTAINERS IMAGES SELECTOR).
import {
  schemas,
  type Deployment,
  type DeploymentSpec,
  type DeploymentStatus,
  type DeploymentStrategy,
} from '../../api/generated/apps/v1.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, goLabelSelector, goStringMap, type FieldError } from '../../apimachinery/field.js';
import { labelSelector, nonNegative, semanticEqual } from '../pod/validation.js';
import { defaultPodTemplateSpec, type PodTemplateSpec } from '../podtemplate.js';
import { age, ageColumn, column, containerColumns, layoutContainerCells, nameColumn } from '../printers.js';
import { labelSelectorString, type LabelSelector } from '../../apimachinery/selectors.js';
import {
  collisionCountNotDecremented,
  goIntOrString,
  goUpdateStrategy,
  intOrPercentValue,
  notMoreThan100Percent,
  positiveIntOrPercent,
  selectorIsEmpty,
  validatePodTemplateSpecForReplicaSet,
} from './validation.js';

export type DeploymentSpecObj = Omit<DeploymentSpec, 'template'> & { template: PodTemplateSpec };
/** A Deployment as stored: its template's metadata carries Go's `creationTimestamp: null`. */
export type DeploymentObj = Obj<Omit<Deployment, 'spec'> & { spec?: DeploymentSpecObj }>;
export type { DeploymentStatus, DeploymentStrategy };

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** upstream SetDefaults_Deployment and SetObjectDefaults_Deployment (the template's Pod defaults). */
export function defaultDeployment(d: DeploymentObj): void {
  if (!isObj(d.spec)) d.spec = {} as DeploymentSpecObj;
  const spec = d.spec;
  spec.replicas ??= 1;
  if (!isObj(spec.strategy)) spec.strategy = {};
  const st = spec.strategy;
  if (!st.type) st.type = 'RollingUpdate';
  if (st.type === 'RollingUpdate') {
    if (!isObj(st.rollingUpdate)) st.rollingUpdate = {};
    st.rollingUpdate.maxUnavailable ??= '25%';
    st.rollingUpdate.maxSurge ??= '25%';
  }
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  if (!isObj(spec.template)) spec.template = {};
  defaultPodTemplateSpec(spec.template);
}

// ---- validation (pkg/apis/apps/validation) ----

/** upstream ValidateDeploymentStrategy and ValidateRollingUpdateDeployment. */
function validateStrategy(s: DeploymentStrategy, f: string): FieldError[] {
  switch (s.type) {
    case 'Recreate':
      return s.rollingUpdate ? [fieldErr.forbidden(`${f}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) return [fieldErr.required(`${f}.rollingUpdate`, 'this should be defaulted and never be nil')];
      const p = `${f}.rollingUpdate`;
      const errs = [
        ...positiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...positiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`),
      ];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0)
        errs.push(fieldErr.invalid(`${p}.maxUnavailable`, goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`));
      return errs;
    }
    default:
      return [
        fieldErr.notSupported(f, goUpdateStrategy('DeploymentStrategy', 'RollingUpdateDeployment', s), ['Recreate', 'RollingUpdate']),
      ];
  }
}

/** upstream ValidateDeploymentSpec. */
function validateSpec(spec: DeploymentSpecObj | undefined, oldTemplateSpec?: PodTemplateSpec['spec']): FieldError[] {
  const s = spec ?? ({} as DeploymentSpecObj);
  const f = 'spec';
  const errs = nonNegative(s.replicas, `${f}.replicas`);
  const sel = s.selector as LabelSelector | undefined | null;
  let selectorErrs: FieldError[] = [];
  if (!sel) errs.push(fieldErr.required(`${f}.selector`));
  else {
    selectorErrs = labelSelector(sel, `${f}.selector`);
    errs.push(...selectorErrs);
    if (selectorIsEmpty(sel))
      errs.push(fieldErr.invalid(`${f}.selector`, goLabelSelector(sel), 'empty selector is invalid for deployment'));
  }
  if (selectorErrs.length) {
    // LabelSelectorAsSelector fails: the template is not checked against it.
    errs.push(fieldErr.invalid(`${f}.selector`, goLabelSelector(sel), 'invalid label selector'));
  } else {
    // A missing selector selects nothing (labels.Nothing()), so no template matches it.
    if (!sel)
      errs.push(
        fieldErr.invalid(
          `${f}.template.metadata.labels`,
          goStringMap(s.template?.metadata?.labels ?? undefined),
          '`selector` does not match template `labels`',
        ),
      );
    errs.push(...validatePodTemplateSpecForReplicaSet(s.template, { labelSelector: sel ?? null }, `${f}.template`, oldTemplateSpec));
  }
  errs.push(...validateStrategy(s.strategy ?? {}, `${f}.strategy`));
  errs.push(...nonNegative(s.minReadySeconds, `${f}.minReadySeconds`));
  errs.push(...nonNegative(s.revisionHistoryLimit, `${f}.revisionHistoryLimit`));
  const pds = s.progressDeadlineSeconds;
  if (typeof pds === 'number') {
    errs.push(...nonNegative(pds, `${f}.progressDeadlineSeconds`));
    if (pds <= (s.minReadySeconds ?? 0))
      errs.push(fieldErr.invalid(`${f}.progressDeadlineSeconds`, pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

/** upstream ValidateDeploymentStatus and the collision count that may not go down. */
function validateStatus(status: DeploymentStatus | undefined, old: DeploymentStatus | undefined): FieldError[] {
  const s = status ?? {};
  const f = 'status';
  const n = (v: number | undefined) => v ?? 0;
  const errs = [
    ...nonNegative(s.observedGeneration, `${f}.observedGeneration`),
    ...nonNegative(s.replicas, `${f}.replicas`),
    ...nonNegative(s.updatedReplicas, `${f}.updatedReplicas`),
    ...nonNegative(s.readyReplicas, `${f}.readyReplicas`),
    ...nonNegative(s.availableReplicas, `${f}.availableReplicas`),
    ...nonNegative(s.unavailableReplicas, `${f}.unavailableReplicas`),
    ...nonNegative(s.collisionCount, `${f}.collisionCount`),
  ];
  const msg = 'cannot be greater than status.replicas';
  if (n(s.updatedReplicas) > n(s.replicas)) errs.push(fieldErr.invalid(`${f}.updatedReplicas`, n(s.updatedReplicas), msg));
  if (n(s.readyReplicas) > n(s.replicas)) errs.push(fieldErr.invalid(`${f}.readyReplicas`, n(s.readyReplicas), msg));
  if (n(s.availableReplicas) > n(s.replicas)) errs.push(fieldErr.invalid(`${f}.availableReplicas`, n(s.availableReplicas), msg));
  if (n(s.availableReplicas) > n(s.readyReplicas))
    errs.push(fieldErr.invalid(`${f}.availableReplicas`, n(s.availableReplicas), 'cannot be greater than readyReplicas'));
  errs.push(...collisionCountNotDecremented(s.collisionCount, old?.collisionCount, `${f}.collisionCount`));
  return errs;
}

const DOC = {
  ready: 'Number of the pod with ready state',
  updated: 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
  available: 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
  selector: 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
};

export const deploymentDef = defineKind<DeploymentObj>({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  get schema() {
    return schemas.Deployment;
  },
  openapiName: 'io.k8s.api.apps.v1.Deployment',
  statusSubresource: true,
  scale: { selector: (d) => labelSelectorString(d.spec?.selector as LabelSelector | undefined) ?? '' },
  defaultPropagation: 'Background',
  defaults: (d) => defaultDeployment(d),
  prepareForCreate(d) {
    d.status = {};
    d.metadata.generation = 1;
  },
  prepareForUpdate(d, old, ctx) {
    const gen = old.metadata.generation ?? 0;
    // upstream deploymentStatusStrategy: a status write keeps the labels and never raises the
    // generation (the generic layer has already kept the stored spec).
    if (ctx.subresource === 'status') {
      if (old.metadata.labels) d.metadata.labels = old.metadata.labels;
      else delete d.metadata.labels;
      d.metadata.generation = gen;
      return;
    }
    // Spec changes raise the generation, and so do annotation changes (they are copied to the
    // ReplicaSets).
    const changed = !semanticEqual(d.spec, old.spec) || !semanticEqual(d.metadata.annotations, old.metadata.annotations);
    d.metadata.generation = changed ? gen + 1 : gen;
  },
  validate: (d) => validateSpec(d.spec),
  validateUpdate(d, old) {
    const errs = validateSpec(d.spec, old.spec?.template?.spec);
    const sel = d.spec?.selector as LabelSelector | undefined;
    if (!semanticEqual(sel ?? null, old.spec?.selector ?? null))
      errs.push(fieldErr.invalid('spec.selector', goLabelSelector(sel), 'field is immutable'));
    return errs;
  },
  validateStatusUpdate: (d, old) => validateStatus(d.status, old.status),
  table: {
    columns: [
      nameColumn(),
      column('Ready', DOC.ready),
      column('Up-to-date', DOC.updated),
      column('Available', DOC.available),
      ageColumn(),
      ...containerColumns(),
      column('Selector', DOC.selector, 1),
    ],
    row: (d, now) => {
      return [
        d.metadata.name,
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        age(d, now),
        ...layoutContainerCells(d.spec?.template?.spec?.containers),
        // printDeployment: LabelSelectorAsSelector(...).String(), not FormatLabelSelector ('' when empty).
        labelSelectorString(d.spec?.selector as LabelSelector | undefined) ?? '',
      ];
    },
  },
});
