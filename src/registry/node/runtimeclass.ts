// RuntimeClass (node.k8s.io/v1, cluster-scoped), after upstream's pkg/registry/node/runtimeclass:
// ValidateRuntimeClass (handler a DNS label, overhead and scheduling's tolerations judged as a
// Pod's, nodeSelector as labels, no duplicate tolerations), ValidateRuntimeClassUpdate (handler
// immutable) and printRuntimeClass's table. tinykube's node agent has one runtime: classes are
// stored and served for manifests and charts that ship them.
import { schemas, type RuntimeClass } from '../../api/generated/node/v1.js';
import type { PodSpec, Toleration } from '../../api/generated/core/v1.js';
import { defineKind, objectsIn, type Obj } from '../define.js';
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { isDNS1123Label, validateImmutable, validateLabels } from '../../apimachinery/validation.js';
import { validatePodSpec } from '../pod/strategy.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';

export type RuntimeClassObj = Obj<RuntimeClass>;

/**
 * Upstream reuses the Pod's checks of resource requirements (overhead.podFixed as limits) and of
 * tolerations: the same checks here, through a Pod spec holding only those fields, their errors
 * moved to the RuntimeClass's paths.
 */
function podChecks(overhead: Record<string, unknown> | undefined, tolerations: Toleration[]): FieldError[] {
  const spec = { containers: [], tolerations, ...(overhead ? { overhead } : {}) } as unknown as PodSpec;
  const moved: [string, string][] = [
    ['spec.tolerations', 'scheduling.tolerations'],
    ['spec.overhead', 'overhead'],
  ];
  const out: FieldError[] = [];
  for (const e of validatePodSpec(spec)) {
    const m = moved.find(([from]) => e.field === from || e.field.startsWith(`${from}.`) || e.field.startsWith(`${from}[`));
    if (m) out.push({ ...e, field: m[1] + e.field.slice(m[0].length) });
  }
  return out;
}

/** upstream ValidateRuntimeClass (ObjectMeta aside: the generic layer checks it). */
export function validateRuntimeClass(rc: RuntimeClassObj): FieldError[] {
  const errs: FieldError[] = [];
  const handler = rc.handler ?? '';
  for (const m of isDNS1123Label(handler)) errs.push(fieldErr.invalid('handler', handler, m));
  const sched = rc.scheduling ?? undefined;
  const tolerations = objectsIn(sched?.tolerations);
  errs.push(...podChecks(rc.overhead?.podFixed ?? undefined, tolerations));
  if (sched?.nodeSelector) errs.push(...validateLabels(sched.nodeSelector, 'scheduling.nodeSelector'));
  // Tolerations are unique by key, operator, value and effect (upstream's list keys).
  const seen = new Set<string>();
  tolerations.forEach((t, i) => {
    const k = JSON.stringify([t.key ?? '', t.operator ?? '', t.value ?? '', t.effect ?? '']);
    if (seen.has(k)) errs.push(fieldErr.duplicate(`scheduling.tolerations[${i}]`, t));
    seen.add(k);
  });
  return errs;
}

/** The strategy's ValidateUpdate: the object again, and ValidateRuntimeClassUpdate's immutable handler. */
export function validateRuntimeClassUpdate(rc: RuntimeClassObj, old: RuntimeClassObj): FieldError[] {
  return [...validateRuntimeClass(rc), ...validateImmutable(rc.handler ?? '', old.handler ?? '', 'handler')];
}

export const runtimeClassDef = defineKind<RuntimeClassObj>({
  group: 'node.k8s.io',
  version: 'v1',
  kind: 'RuntimeClass',
  plural: 'runtimeclasses',
  singular: 'runtimeclass',
  namespaced: false,
  get schema() {
    return schemas.RuntimeClass;
  },
  openapiName: 'io.k8s.api.node.v1.RuntimeClass',
  defaults(rc) {
    // handler is a plain string upstream: absent decodes as "" (then refused by validation).
    rc.handler ??= '';
  },
  validate: (rc) => validateRuntimeClass(rc),
  validateUpdate: (rc, old) => validateRuntimeClassUpdate(rc, old),
  table: {
    // upstream's Handler column describes itself with ObjectMeta's (missing) `handler` doc: empty.
    columns: [nameColumn(), column('Handler', ''), ageColumn()],
    row: (rc, now) => [rc.metadata.name, rc.handler ?? '', age(rc, now)],
  },
});
