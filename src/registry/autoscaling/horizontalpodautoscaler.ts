// HorizontalPodAutoscaler: autoscaling/v2 (the storage form) and autoscaling/v1 (a view of the
// same storage, like events.k8s.io/v1 Events), after upstream's pkg/apis/autoscaling (v2
// SetDefaults_HorizontalPodAutoscaler, v1 conversion with its round-trip annotations,
// validation), pkg/registry/autoscaling/horizontalpodautoscaler (status cleared on create, kept on
// update) and printHorizontalPodAutoscaler's table.
//
// This module holds the types and the kinds (the registry strategy: status cleared on create, the
// v1 view's annotations kept by the half of the object a write does not change); defaults.ts,
// validation.ts, conversion.ts (the v1 view and its round-trip annotations) and printing.ts (the
// table) hold the rest.
import { schemas as v2Schemas, type HorizontalPodAutoscaler as V2HPA } from '../../api/generated/autoscaling/v2.js';
import type {
  HorizontalPodAutoscalerBehavior,
  HorizontalPodAutoscalerCondition,
  HPAScalingRules,
  MetricSpec,
  MetricStatus,
} from '../../api/generated/autoscaling/v2.js';
import { schemas as v1Schemas, type HorizontalPodAutoscaler as V1HPA } from '../../api/generated/autoscaling/v1.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { defineKind, type Obj } from '../define.js';
import { clone } from '../../apimachinery/meta.js';
import { semanticEqual } from '../pod/validation.js';
import { defaultHpa } from './defaults.js';
import { validateHpa, validateHpaStatus } from './validation.js';
import {
  BEHAVIOR_SPECS_ANNOTATION,
  CONDITIONS_ANNOTATION,
  hpaV1ToV2,
  hpaV2ToV1,
  METRIC_SPECS_ANNOTATION,
  METRIC_STATUSES_ANNOTATION,
} from './conversion.js';
import { HPA_COLUMNS, hpaRow } from './printing.js';

export type HpaObj = Obj<V2HPA>;
export type V1HpaObj = Obj<V1HPA>;
export type { HPAScalingRules, HorizontalPodAutoscalerBehavior, MetricSpec, MetricStatus, HorizontalPodAutoscalerCondition };

const isSet = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

// ---- the kinds ----

export const hpaV2Def = defineKind<HpaObj>({
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  get schema() {
    return v2Schemas.HorizontalPodAutoscaler;
  },
  openapiName: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
  statusSubresource: true,
  defaults: (h) => defaultHpa(h),
  prepareForCreate(h) {
    // Status is a struct upstream: desiredReplicas is always printed.
    h.status = { desiredReplicas: 0 };
  },
  validate: (h) => validateHpa(h),
  validateUpdate: (h, old) => validateHpa(h, old),
  validateStatusUpdate: (h) => validateHpaStatus(h),
  table: { columns: HPA_COLUMNS, row: hpaRow },
});

const toV2 = (o: KubeObject) => hpaV1ToV2(o as V1HpaObj);

export const hpaV1Def = defineKind<V1HpaObj>({
  group: 'autoscaling',
  version: 'v1',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  namespaced: true,
  shortNames: ['hpa'],
  categories: ['all'],
  get schema() {
    return v1Schemas.HorizontalPodAutoscaler;
  },
  openapiName: 'io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler',
  statusSubresource: true,
  storage: {
    resource: 'autoscaling/horizontalpodautoscalers',
    toStorage: (o) => {
      const v2 = toV2(o);
      defaultHpa(v2);
      return v2;
    },
    fromStorage: (o) => hpaV2ToV1(clone(o) as HpaObj),
  },
  defaults(h) {
    // SetDefaults_HorizontalPodAutoscaler (v1): minReplicas 1; the CPU target stays unset.
    const spec = (h.spec ??= {} as NonNullable<V1HpaObj['spec']>);
    if (!isSet(spec.minReplicas)) spec.minReplicas = 1;
  },
  prepareForCreate(h) {
    h.status = { currentReplicas: 0, desiredReplicas: 0 };
    if (h.metadata.annotations) {
      // Status annotations are status: a create does not set them.
      const a = { ...h.metadata.annotations };
      delete a[METRIC_STATUSES_ANNOTATION];
      delete a[CONDITIONS_ANNOTATION];
      h.metadata.annotations = a;
    }
  },
  prepareForUpdate(h, old) {
    // What the annotations carry follows the write: a status write keeps the stored spec's
    // annotations, any other write the stored status's (upstream keeps the other half whole).
    const statusWrite = semanticEqual(h.spec, old.spec) && !semanticEqual(h.status, old.status);
    const keep = statusWrite ? [METRIC_SPECS_ANNOTATION, BEHAVIOR_SPECS_ANNOTATION] : [METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION];
    const a = { ...h.metadata.annotations };
    const was = old.metadata.annotations ?? {};
    for (const k of keep) {
      if (was[k] !== undefined) a[k] = was[k];
      else delete a[k];
    }
    if (Object.keys(a).length) h.metadata.annotations = a;
    else delete h.metadata.annotations;
  },
  validate: (h) => validateHpa(toV2(h)),
  validateUpdate: (h, old) => validateHpa(toV2(h), toV2(old)),
  validateStatusUpdate: (h) => validateHpaStatus(toV2(h)),
  table: { columns: HPA_COLUMNS, row: (h, now) => hpaRow(toV2(h), now) },
});
