// DaemonSet (apps/v1), after upstream's pkg/registry/apps/daemonset strategy: SetDefaults_DaemonSet
// (RollingUpdate with maxUnavailable 1 and maxSurge 0, 10 revisions, the template's Pod defaults),
// generation raised by spec changes, the template generation (apps/v1 keeps it in the
// `deprecated.daemonset.template.generation` annotation) raised by template changes, status only
// through the status subresource, ValidateDaemonSet / ValidateDaemonSetUpdate (selector immutable) /
// ValidateDaemonSetStatusUpdate with upstream's texts and paths, and printDaemonSet's table (NAME
// DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE; wide: CONTAINERS IMAGES SELECTOR).
import {
  schemas,
  type DaemonSet,
  type DaemonSetSpec,
  type DaemonSetStatus,
  type DaemonSetUpdateStrategy,
} from '../../api/generated/apps/v1.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, goLabelSelector, goStringMap, type FieldError } from '../../apimachinery/field.js';
import { validateImmutable } from '../../apimachinery/validation.js';
import { labelSelector, nonNegative, semanticEqual, validatePodTemplateSpec } from '../pod/validation.js';
import { defaultPodTemplateSpec, type PodTemplateSpec } from '../podtemplate.js';
import { age, ageColumn, column, containerColumns, layoutContainerCells, nameColumn } from '../printers.js';
import { formatLabels, formatLabelSelector, matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import {
  collisionCountNotDecremented,
  goIntOrString,
  goUpdateStrategy,
  intOrPercentValue,
  notMoreThan100Percent,
  positiveIntOrPercent,
  selectorIsEmpty,
} from './validation.js';

/** A DaemonSet as stored: its template's metadata carries Go's `creationTimestamp: null`. */
export type DaemonSetObj = Obj<Omit<DaemonSet, 'spec'> & { spec?: Omit<DaemonSetSpec, 'template'> & { template: PodTemplateSpec } }>;

/** upstream appsv1.DeprecatedTemplateGeneration: apps/v1's home of the internal spec.templateGeneration. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** upstream SetDefaults_DaemonSet and SetObjectDefaults_DaemonSet. */
export function defaultDaemonSet(ds: DaemonSetObj): void {
  if (!isObj(ds.spec)) ds.spec = {} as NonNullable<DaemonSetObj['spec']>;
  const spec = ds.spec;
  if (!isObj(spec.updateStrategy)) spec.updateStrategy = {};
  const us = spec.updateStrategy;
  if (!us.type) us.type = 'RollingUpdate';
  if (us.type === 'RollingUpdate') {
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
    us.rollingUpdate.maxUnavailable ??= 1;
    us.rollingUpdate.maxSurge ??= 0;
  }
  spec.revisionHistoryLimit ??= 10;
  if (!isObj(spec.template)) spec.template = {};
  defaultPodTemplateSpec(spec.template);
}

/** The template generation (internal spec.templateGeneration) an object carries, 0 when none. */
export function templateGeneration(ds: DaemonSetObj): number {
  const v = ds.metadata.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  return Number.parseInt(v, 10);
}

function setTemplateGeneration(ds: DaemonSetObj, n: number): void {
  ds.metadata.annotations = { ...(ds.metadata.annotations ?? {}), [TEMPLATE_GENERATION_ANNOTATION]: String(n) };
}

/** upstream ValidateDaemonSetUpdateStrategy and ValidateRollingUpdateDaemonSet. */
function validateUpdateStrategy(s: DaemonSetUpdateStrategy, f: string): FieldError[] {
  switch (s.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!ru) return [fieldErr.required(`${f}.rollingUpdate`)];
      const p = `${f}.rollingUpdate`;
      const errs = [
        ...positiveIntOrPercent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...positiveIntOrPercent(ru.maxSurge, `${p}.maxSurge`),
        ...notMoreThan100Percent(ru.maxUnavailable, `${p}.maxUnavailable`),
        ...notMoreThan100Percent(ru.maxSurge, `${p}.maxSurge`),
      ];
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge)
        errs.push(fieldErr.invalid(`${p}.maxSurge`, goIntOrString(ru.maxSurge ?? 0), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(fieldErr.required(`${p}.maxUnavailable`, 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [
        fieldErr.notSupported(f, goUpdateStrategy('DaemonSetUpdateStrategy', 'RollingUpdateDaemonSet', s), ['RollingUpdate', 'OnDelete']),
      ];
  }
}

/** upstream ValidateDaemonSetSpec (with the template generation from the annotation). */
function validateSpec(ds: DaemonSetObj, oldTemplateSpec?: PodTemplateSpec['spec']): FieldError[] {
  const spec = ds.spec ?? ({} as NonNullable<DaemonSetObj['spec']>);
  const f = 'spec';
  const errs: FieldError[] = [];
  const sel = spec.selector as LabelSelector | undefined | null;
  const t = spec.template ?? {};
  const labels = t.metadata?.labels ?? undefined;
  if (sel) errs.push(...labelSelector(sel, `${f}.selector`));
  // A missing selector selects nothing (LabelSelectorAsSelector(nil)); an empty one everything.
  if (!sel || (!selectorIsEmpty(sel) && !matchLabelSelector(sel, labels)))
    errs.push(fieldErr.invalid(`${f}.template.metadata.labels`, goStringMap(labels), '`selector` does not match template `labels`'));
  if (sel && selectorIsEmpty(sel))
    errs.push(fieldErr.invalid(`${f}.selector`, goLabelSelector(sel), 'empty selector is invalid for daemonset'));
  errs.push(...validatePodTemplateSpec(t, `${f}.template`, oldTemplateSpec));
  const restart = t.spec?.restartPolicy;
  if (restart !== 'Always') errs.push(fieldErr.notSupported(`${f}.template.spec.restartPolicy`, restart ?? '', ['Always']));
  const ads = t.spec?.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null)
    errs.push(fieldErr.forbidden(`${f}.template.spec.activeDeadlineSeconds`, 'activeDeadlineSeconds in DaemonSet is not Supported'));
  errs.push(...nonNegative(spec.minReadySeconds, `${f}.minReadySeconds`));
  errs.push(...nonNegative(templateGeneration(ds), `${f}.templateGeneration`));
  errs.push(...validateUpdateStrategy(spec.updateStrategy ?? {}, `${f}.updateStrategy`));
  errs.push(...nonNegative(spec.revisionHistoryLimit, `${f}.revisionHistoryLimit`));
  return errs;
}

/** upstream validateDaemonSetStatus and the collision count that may not go down. */
function validateStatus(status: DaemonSetStatus | undefined, old: DaemonSetStatus | undefined): FieldError[] {
  const s = status ?? ({} as DaemonSetStatus);
  const f = 'status';
  const errs = [
    ...nonNegative(s.currentNumberScheduled, `${f}.currentNumberScheduled`),
    ...nonNegative(s.numberMisscheduled, `${f}.numberMisscheduled`),
    ...nonNegative(s.desiredNumberScheduled, `${f}.desiredNumberScheduled`),
    ...nonNegative(s.numberReady, `${f}.numberReady`),
    ...nonNegative(s.observedGeneration, `${f}.observedGeneration`),
    ...nonNegative(s.updatedNumberScheduled, `${f}.updatedNumberScheduled`),
    ...nonNegative(s.numberAvailable, `${f}.numberAvailable`),
    ...nonNegative(s.numberUnavailable, `${f}.numberUnavailable`),
    ...nonNegative(s.collisionCount, `${f}.collisionCount`),
  ];
  errs.push(...collisionCountNotDecremented(s.collisionCount, old?.collisionCount, `${f}.collisionCount`));
  return errs;
}

/** upstream ValidateImmutableField on spec.selector (a nil selector prints as "null"). */
function selectorImmutable(sel: LabelSelector | undefined, old: LabelSelector | undefined): FieldError[] {
  if (!validateImmutable(sel ?? null, old ?? null, 'spec.selector').length) return [];
  return [fieldErr.invalid('spec.selector', goLabelSelector(sel), 'field is immutable')];
}

const STATUS_DOC = {
  desired:
    'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
  current:
    'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
  ready:
    'numberReady is the number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
  updated: 'The total number of nodes that are running updated daemon pod',
  available:
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
  nodeSelector:
    "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's labels for the pod to be scheduled on that node. More info: https://kubernetes.io/docs/concepts/configuration/assign-pod-node/",
  selector:
    "A label query over pods that are managed by the daemon set. Must match in order to be controlled. It must match the pod template's labels. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
};

export const daemonSetDef = defineKind<DaemonSetObj>({
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  singular: 'daemonset',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  get schema() {
    return schemas.DaemonSet;
  },
  openapiName: 'io.k8s.api.apps.v1.DaemonSet',
  statusSubresource: true,
  defaultPropagation: 'Background',
  defaults: (ds) => defaultDaemonSet(ds),
  prepareForCreate(ds) {
    ds.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    ds.metadata.generation = 1;
    setTemplateGeneration(ds, Math.max(1, templateGeneration(ds)));
  },
  prepareForUpdate(ds, old) {
    // The template generation is the server's: kept, and raised with every template change.
    const gen = old.metadata.generation ?? 0;
    const tg = templateGeneration(old);
    if (!semanticEqual(ds.spec?.template, old.spec?.template)) {
      setTemplateGeneration(ds, tg + 1);
      ds.metadata.generation = gen + 1;
      return;
    }
    setTemplateGeneration(ds, tg);
    ds.metadata.generation = semanticEqual(ds.spec, old.spec) ? gen : gen + 1;
  },
  validate: (ds) => validateSpec(ds),
  validateUpdate: (ds, old) => [
    ...validateSpec(ds, old.spec?.template?.spec),
    ...selectorImmutable(ds.spec?.selector as LabelSelector | undefined, old.spec?.selector as LabelSelector | undefined),
  ],
  validateStatusUpdate: (ds, old) => validateStatus(ds.status, old.status),
  table: {
    columns: [
      nameColumn(),
      column('Desired', STATUS_DOC.desired, 0, 'integer'),
      column('Current', STATUS_DOC.current, 0, 'integer'),
      column('Ready', STATUS_DOC.ready, 0, 'integer'),
      column('Up-to-date', STATUS_DOC.updated, 0, 'integer'),
      column('Available', STATUS_DOC.available, 0, 'integer'),
      column('Node Selector', STATUS_DOC.nodeSelector),
      ageColumn(),
      ...containerColumns(),
      column('Selector', STATUS_DOC.selector, 1),
    ],
    row: (ds, now) => {
      const s = ds.status;
      return [
        ds.metadata.name,
        s?.desiredNumberScheduled ?? 0,
        s?.currentNumberScheduled ?? 0,
        s?.numberReady ?? 0,
        s?.updatedNumberScheduled ?? 0,
        s?.numberAvailable ?? 0,
        formatLabels(ds.spec?.template?.spec?.nodeSelector ?? undefined),
        age(ds, now),
        ...layoutContainerCells(ds.spec?.template?.spec?.containers),
        formatLabelSelector(ds.spec?.selector as LabelSelector | undefined),
      ];
    },
  },
});
