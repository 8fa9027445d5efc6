// StatefulSet (apps/v1), after upstream's pkg/registry/apps/statefulset strategy: SetDefaults_StatefulSet
// (OrderedReady, RollingUpdate with partition 0, Retain/Retain claim retention, 1 replica, 10
// revisions; the template's Pod defaults and each volumeClaimTemplate's PersistentVolumeClaim
// defaults), generation raised by spec changes, status only through the status subresource,
// ValidateStatefulSet / ValidateStatefulSetUpdate / ValidateStatefulSetStatusUpdate with upstream's
// texts and paths, the scale subresource, and printStatefulSet's table (NAME READY AGE; wide:
// CONTAINERS IMAGES).
import { schemas, type StatefulSet, type StatefulSetSpec, type StatefulSetStatus } from '../../api/generated/apps/v1.js';
import type { PersistentVolumeClaim } from '../../api/generated/core/v1.js';
import { defineKind, objectsIn, type Obj } from '../define.js';
import { fieldErr, goLabelSelector, goStringMap, GoLiteral, type FieldError } from '../../apimachinery/field.js';
import { validateDNS1123Label, isDNS1123Label } from '../../apimachinery/validation.js';
import { labelSelector, nonNegative, semanticEqual, validatePodTemplateSpec } from '../pod/validation.js';
import { defaultPodTemplateSpec, type PodTemplateSpec } from '../podtemplate.js';
import { age, ageColumn, column, containerColumns, layoutContainerCells, nameColumn } from '../printers.js';
import { labelSelectorString, matchLabelSelector, type LabelSelector } from '../../apimachinery/selectors.js';
import { collisionCountNotDecremented, goPointer, goUpdateStrategy, selectorIsEmpty } from './validation.js';
import { defaultPersistentVolumeClaim } from '../storage/persistentvolumeclaim.js';

/** A StatefulSet as stored: its template's metadata carries Go's `creationTimestamp: null`. */
export type StatefulSetObj = Obj<Omit<StatefulSet, 'spec'> & { spec?: Omit<StatefulSetSpec, 'template'> & { template: PodTemplateSpec } }>;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A claim template's defaults: upstream SetDefaults_PersistentVolumeClaim (+Spec), and the TypeMeta and ObjectMeta it is served with. */
function defaultClaimTemplate(pvc: PersistentVolumeClaim): void {
  // The embedded claim is written back with its TypeMeta, as upstream serves it.
  pvc.apiVersion ??= 'v1';
  pvc.kind ??= 'PersistentVolumeClaim';
  if (!isObj(pvc.metadata)) pvc.metadata = {};
  const meta = pvc.metadata as { creationTimestamp?: string | null };
  if (meta.creationTimestamp === undefined) meta.creationTimestamp = null;
  defaultPersistentVolumeClaim(pvc);
}

/** upstream SetDefaults_StatefulSet and SetObjectDefaults_StatefulSet. */
export function defaultStatefulSet(set: StatefulSetObj): void {
  if (!isObj(set.spec)) set.spec = {} as NonNullable<StatefulSetObj['spec']>;
  const spec = set.spec;
  if (!spec.podManagementPolicy) spec.podManagementPolicy = 'OrderedReady';
  if (!isObj(spec.updateStrategy)) spec.updateStrategy = {};
  const us = spec.updateStrategy;
  if (!us.type) {
    us.type = 'RollingUpdate';
    if (!isObj(us.rollingUpdate)) us.rollingUpdate = {};
  }
  if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate)) us.rollingUpdate.partition ??= 0;
  if (!isObj(spec.persistentVolumeClaimRetentionPolicy)) spec.persistentVolumeClaimRetentionPolicy = {};
  const pol = spec.persistentVolumeClaimRetentionPolicy;
  if (!pol.whenDeleted) pol.whenDeleted = 'Retain';
  if (!pol.whenScaled) pol.whenScaled = 'Retain';
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  if (!isObj(spec.template)) spec.template = {};
  defaultPodTemplateSpec(spec.template);
  for (const pvc of objectsIn(spec.volumeClaimTemplates)) defaultClaimTemplate(pvc);
}

/** Go's %#v of an apps.RollingUpdateStatefulSetStrategy (its bad value under OnDelete). */
const goRollingUpdate = (ru: { partition?: number; maxUnavailable?: unknown }) =>
  new GoLiteral(
    `apps.RollingUpdateStatefulSetStrategy{Partition:${ru.partition ?? 0}, MaxUnavailable:${goPointer('intstr.IntOrString', ru.maxUnavailable)}}`,
  );

/**
 * The template as its Pods will have it: each volumeClaimTemplate is a volume (a claim) the
 * containers may mount. Appended after the template's own volumes, so their paths are unchanged.
 */
function withClaimVolumes(t: PodTemplateSpec, claims: StatefulSetSpec['volumeClaimTemplates']): PodTemplateSpec {
  const names = objectsIn(claims)
    .map((c) => c.metadata?.name)
    .filter((n): n is string => !!n);
  const own = new Set(objectsIn(t.spec?.volumes).map((v) => v.name));
  const extra = names.filter((n) => !own.has(n)).map((n) => ({ name: n, persistentVolumeClaim: { claimName: n } }));
  if (!extra.length || !t.spec) return t;
  return { ...t, spec: { ...t.spec, volumes: [...(t.spec.volumes ?? []), ...extra] } };
}

interface SpecOptions {
  /** Update of a set whose stored serviceName is not a DNS label (upstream AllowInvalidServiceName). */
  allowInvalidServiceName?: boolean;
  oldTemplateSpec?: PodTemplateSpec['spec'];
}

/** upstream ValidateStatefulSetSpec. */
function validateSpec(spec: NonNullable<StatefulSetObj['spec']>, o: SpecOptions): FieldError[] {
  const errs: FieldError[] = [];
  const f = 'spec';
  switch (spec.podManagementPolicy) {
    case undefined:
    case '':
      errs.push(fieldErr.required(`${f}.podManagementPolicy`));
      break;
    case 'OrderedReady':
    case 'Parallel':
      break;
    default:
      errs.push(fieldErr.invalid(`${f}.podManagementPolicy`, spec.podManagementPolicy, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = spec.updateStrategy ?? {};
  switch (us.type) {
    case undefined:
    case '':
      errs.push(fieldErr.required(`${f}.updateStrategy`));
      break;
    case 'OnDelete':
      if (us.rollingUpdate)
        errs.push(
          fieldErr.invalid(
            `${f}.updateStrategy.rollingUpdate`,
            goRollingUpdate(us.rollingUpdate),
            "only allowed for updateStrategy 'RollingUpdate'",
          ),
        );
      break;
    case 'RollingUpdate':
      if (us.rollingUpdate) errs.push(...nonNegative(us.rollingUpdate.partition, `${f}.updateStrategy.rollingUpdate.partition`));
      break;
    default:
      errs.push(
        fieldErr.invalid(
          `${f}.updateStrategy`,
          goUpdateStrategy('StatefulSetUpdateStrategy', 'RollingUpdateStatefulSetStrategy', us),
          "must be 'RollingUpdate' or 'OnDelete'",
        ),
      );
  }
  const pol = spec.persistentVolumeClaimRetentionPolicy;
  if (pol) {
    for (const k of ['whenDeleted', 'whenScaled'] as const) {
      const v = pol[k] ?? '';
      if (v !== 'Retain' && v !== 'Delete')
        errs.push(fieldErr.notSupported(`${f}.persistentVolumeClaimRetentionPolicy.${k}`, v, ['Retain', 'Delete']));
    }
  }
  errs.push(...nonNegative(spec.replicas, `${f}.replicas`));
  errs.push(...nonNegative(spec.minReadySeconds, `${f}.minReadySeconds`));
  if (spec.ordinals) errs.push(...nonNegative(spec.ordinals.start, `${f}.ordinals.start`));
  if (!o.allowInvalidServiceName && spec.serviceName) errs.push(...validateDNS1123Label(spec.serviceName, `${f}.serviceName`));
  const sel = spec.selector as LabelSelector | undefined | null;
  if (!sel) errs.push(fieldErr.required(`${f}.selector`));
  else {
    errs.push(...labelSelector(sel, `${f}.selector`));
    if (selectorIsEmpty(sel))
      errs.push(fieldErr.invalid(`${f}.selector`, goLabelSelector(sel), 'empty selector is invalid for statefulset'));
  }
  const t = spec.template;
  if (!t) errs.push(fieldErr.required(`${f}.template`));
  else {
    if (sel && !selectorIsEmpty(sel) && !matchLabelSelector(sel, t.metadata?.labels ?? undefined))
      errs.push(
        fieldErr.invalid(`${f}.template.metadata.labels`, goStringMap(t.metadata?.labels), '`selector` does not match template `labels`'),
      );
    errs.push(...validatePodTemplateSpec(withClaimVolumes(t, spec.volumeClaimTemplates), `${f}.template`, o.oldTemplateSpec));
    const restart = t.spec?.restartPolicy;
    if (restart !== 'Always') errs.push(fieldErr.notSupported(`${f}.template.spec.restartPolicy`, restart ?? '', ['Always']));
    const ads = t.spec?.activeDeadlineSeconds;
    if (ads !== undefined && ads !== null)
      errs.push(fieldErr.forbidden(`${f}.template.spec.activeDeadlineSeconds`, 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  objectsIn(spec.volumeClaimTemplates).forEach((pvc, i) => {
    if (!pvc.metadata?.name)
      errs.push(fieldErr.required(`${f}.volumeClaimTemplates[${i}].metadata.name`, 'name or generateName is required'));
  });
  return errs;
}

/** The fields of spec that may change (ValidateStatefulSetUpdate), taken out before comparing. */
const MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
];
const immutablePart = (spec: StatefulSetObj['spec']) => {
  const s: Record<string, unknown> = { ...(spec ?? {}) };
  for (const k of MUTABLE) delete s[k];
  return s;
};

/** upstream ValidateStatefulSetStatus (+ the collisionCount rule of the status update). */
function validateStatus(status: StatefulSetStatus | undefined, old: StatefulSetStatus | undefined): FieldError[] {
  const s = status ?? ({} as StatefulSetStatus);
  const errs: FieldError[] = [];
  const f = 'status';
  const replicas = s.replicas ?? 0;
  errs.push(...nonNegative(s.replicas, `${f}.replicas`));
  errs.push(...nonNegative(s.readyReplicas, `${f}.readyReplicas`));
  errs.push(...nonNegative(s.currentReplicas, `${f}.currentReplicas`));
  errs.push(...nonNegative(s.updatedReplicas, `${f}.updatedReplicas`));
  errs.push(...nonNegative(s.availableReplicas, `${f}.availableReplicas`));
  errs.push(...nonNegative(s.observedGeneration, `${f}.observedGeneration`));
  errs.push(...nonNegative(s.collisionCount, `${f}.collisionCount`));
  const msg = 'cannot be greater than status.replicas';
  for (const k of ['readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'] as const) {
    const v = s[k] ?? 0;
    if (v > replicas) errs.push(fieldErr.invalid(`${f}.${k}`, v, msg));
  }
  if ((s.availableReplicas ?? 0) > (s.readyReplicas ?? 0))
    errs.push(fieldErr.invalid(`${f}.availableReplicas`, s.availableReplicas ?? 0, 'cannot be greater than status.readyReplicas'));
  errs.push(...collisionCountNotDecremented(s.collisionCount, old?.collisionCount, `${f}.collisionCount`));
  return errs;
}

export const statefulSetDef = defineKind<StatefulSetObj>({
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  singular: 'statefulset',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  get schema() {
    return schemas.StatefulSet;
  },
  openapiName: 'io.k8s.api.apps.v1.StatefulSet',
  statusSubresource: true,
  scale: { selector: (set) => labelSelectorString(set.spec?.selector as LabelSelector | undefined) ?? '' },
  defaultPropagation: 'Background',
  defaults: (set) => defaultStatefulSet(set),
  prepareForCreate(set) {
    set.status = { replicas: 0, availableReplicas: 0 };
    set.metadata.generation = 1;
  },
  prepareForUpdate(set, old) {
    const gen = old.metadata.generation ?? 0;
    set.metadata.generation = semanticEqual(set.spec, old.spec) ? gen : gen + 1;
  },
  validate: (set) => validateSpec(set.spec ?? ({} as NonNullable<StatefulSetObj['spec']>), {}),
  validateUpdate(set, old) {
    const spec = set.spec ?? ({} as NonNullable<StatefulSetObj['spec']>);
    const oldName = old.spec?.serviceName ?? '';
    const errs = validateSpec(spec, {
      allowInvalidServiceName: !!oldName && isDNS1123Label(oldName).length > 0,
      oldTemplateSpec: old.spec?.template?.spec,
    });
    if (!semanticEqual(immutablePart(set.spec), immutablePart(old.spec)))
      errs.push(
        fieldErr.forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    return errs;
  },
  validateStatusUpdate: (set, old) => validateStatus(set.status, old.status),
  table: {
    columns: [nameColumn(), column('Ready', 'Number of the pod with ready state'), ageColumn(), ...containerColumns()],
    row: (set, now) => {
      return [
        set.metadata.name,
        `${set.status?.readyReplicas ?? 0}/${set.spec?.replicas ?? 0}`,
        age(set, now),
        ...layoutContainerCells(set.spec?.template?.spec?.containers),
      ];
    },
  },
});
