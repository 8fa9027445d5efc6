// PodTemplate (core/v1), after upstream's pkg/registry/core/podtemplate strategy: the template's
// spec gets the PodSpec defaults (SetObjectDefaults_PodTemplate: not SetDefaults_Pod's requests
// from limits, enableServiceLinks or host ports, and no admission-added service account),
// generation starts at 1 and rises with every change of the template, and ValidatePodTemplate /
// ValidatePodTemplateUpdate check the template as ValidatePodTemplateSpec does (ObjectMeta is the
// generic layer's). printPodTemplate's table: NAME, CONTAINERS, IMAGES, POD LABELS.
import { schemas, type PodSpec, type PodTemplate, type PodTemplateSpec as V1PodTemplateSpec } from '../api/generated/core/v1.js';
import type { ObjectMeta } from '../api/generated/meta/v1.js';
import { defineKind, type NullableTimes, type Obj } from './define.js';
import { defaultPodSpec } from './pod/strategy.js';
import { semanticEqual, validatePodTemplateSpec } from './pod/validation.js';
import { column, containerColumns, layoutContainerCells, nameColumn } from './printers.js';
import { formatLabels } from '../apimachinery/selectors.js';

/** A PodTemplateSpec as stored: Go prints its zero creationTimestamp as null. */
export type PodTemplateSpec = Omit<V1PodTemplateSpec, 'metadata'> & { metadata?: NullableTimes<ObjectMeta, 'creationTimestamp'> };
export type PodTemplateObj = Obj<Omit<PodTemplate, 'template'> & { template?: PodTemplateSpec }>;

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * Defaults of an embedded PodTemplateSpec. `template`, its `metadata` and `spec` are structs, not
 * pointers, upstream: they are always there, and the template's ObjectMeta is printed with
 * `creationTimestamp: null` unless one was sent.
 */
export function defaultPodTemplateSpec(t: PodTemplateSpec): void {
  if (!isObj(t.metadata)) t.metadata = {};
  if (t.metadata.creationTimestamp === undefined) t.metadata.creationTimestamp = null;
  if (!isObj(t.spec)) t.spec = {} as PodSpec;
  defaultPodSpec(t.spec, false);
}

function defaultPodTemplate(pt: PodTemplateObj): void {
  if (!isObj(pt.template)) pt.template = {};
  defaultPodTemplateSpec(pt.template);
}

export const podTemplateDef = defineKind<PodTemplateObj>({
  group: '',
  version: 'v1',
  kind: 'PodTemplate',
  plural: 'podtemplates',
  singular: 'podtemplate',
  namespaced: true,
  get schema() {
    return schemas.PodTemplate;
  },
  openapiName: 'io.k8s.api.core.v1.PodTemplate',
  defaults: (pt) => defaultPodTemplate(pt),
  prepareForCreate(pt) {
    pt.metadata.generation = 1;
  },
  prepareForUpdate(pt, old) {
    // Any change of the template raises the generation (apiequality.Semantic.DeepEqual).
    const gen = old.metadata.generation ?? 0;
    pt.metadata.generation = semanticEqual(pt.template, old.template) ? gen : gen + 1;
  },
  validate: (pt) => validatePodTemplateSpec(pt.template, 'template'),
  validateUpdate: (pt, old) => validatePodTemplateSpec(pt.template, 'template', old.template?.spec),
  table: {
    columns: [nameColumn(), ...containerColumns(0), column('Pod Labels', 'The labels for the pod template.')],
    row: (pt) => [pt.metadata.name, ...layoutContainerCells(pt.template?.spec?.containers), formatLabels(pt.template?.metadata?.labels)],
  },
});
