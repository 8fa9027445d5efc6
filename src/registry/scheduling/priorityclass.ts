// PriorityClass (scheduling.k8s.io/v1, cluster-scoped), after upstream's
// pkg/registry/scheduling/priorityclass: SetDefaults_PriorityClass (preemptionPolicy
// PreemptLowerPriority), ValidatePriorityClass / ValidatePriorityClassUpdate (the `system-` prefix
// reserved for the two system classes, values above 1e9 reserved for them, value and
// preemptionPolicy immutable), the Priority admission plugin's check that only one class is the
// global default, the REST storage's refusal to delete a system class, and printPriorityClass's
// table. The system classes are created at every start when missing, as the API server's
// `scheduling/bootstrap-system-priority-classes` post-start hook does.
import { schemas, type PriorityClass } from '../../api/generated/scheduling/v1.js';
import { defineKind, type Obj } from '../define.js';
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { validateImmutable } from '../../apimachinery/validation.js';
import { StatusError, forbidden } from '../../apimachinery/errors.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import type { Registry } from '../generic-store.js';
import type { ResourceDef, WriteContext } from '../types.js';

export type PriorityClassObj = Obj<PriorityClass>;

export const PRIORITY_CLASS_GROUP = 'scheduling.k8s.io';
/** Where PriorityClasses are stored (what the Priority admission plugin reads in a write's transaction). */
export const PRIORITY_CLASS_RESOURCE = 'scheduling.k8s.io/priorityclasses';
const GR = { group: PRIORITY_CLASS_GROUP, resource: 'priorityclasses' };

/** upstream HighestUserDefinablePriority: higher values belong to the system classes. */
export const HIGHEST_USER_DEFINABLE_PRIORITY = 1_000_000_000;
/** upstream SystemCriticalPriority: system-cluster-critical; system-node-critical is 1000 above. */
export const SYSTEM_CRITICAL_PRIORITY = 2 * HIGHEST_USER_DEFINABLE_PRIORITY;
const SYSTEM_PRIORITY_CLASS_PREFIX = 'system-';
export const PREEMPTION_POLICIES = ['PreemptLowerPriority', 'Never'];
export const DEFAULT_PREEMPTION_POLICY = 'PreemptLowerPriority';

/** upstream schedulingapiv1.systemPriorityClasses, in its order. */
export const SYSTEM_PRIORITY_CLASSES: readonly { name: string; value: number; description: string }[] = [
  {
    name: 'system-node-critical',
    value: SYSTEM_CRITICAL_PRIORITY + 1000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    name: 'system-cluster-critical',
    value: SYSTEM_CRITICAL_PRIORITY,
    description: 'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

/** upstream IsKnownSystemPriorityClass: undefined when name, value and globalDefault are a system class's, else why not. */
function unknownSystemClass(name: string, value: number, globalDefault: boolean): string | undefined {
  const spc = SYSTEM_PRIORITY_CLASSES.find((c) => c.name === name);
  if (!spc) return `${name} is not a known system priority class`;
  if (spc.value !== value) return `value of ${spc.name} PriorityClass must be ${spc.value}`;
  // The system classes are never the global default.
  if (globalDefault) return `globalDefault of ${spc.name} PriorityClass must be false`;
  return undefined;
}

/** upstream ValidatePreemptionPolicy (shared with Pods). */
function validatePreemptionPolicy(policy: string, f: string): FieldError[] {
  if (PREEMPTION_POLICIES.includes(policy)) return [];
  if (policy === '') return [fieldErr.required(f)];
  return [fieldErr.notSupported(f, policy, PREEMPTION_POLICIES)];
}

/** upstream ValidatePriorityClass (ObjectMeta aside: the generic layer checks it). */
export function validatePriorityClass(pc: PriorityClassObj): FieldError[] {
  const errs: FieldError[] = [];
  const name = pc.metadata.name ?? '';
  const value = pc.value ?? 0;
  if (name.startsWith(SYSTEM_PRIORITY_CLASS_PREFIX)) {
    const why = unknownSystemClass(name, value, pc.globalDefault ?? false);
    if (why)
      errs.push(
        fieldErr.forbidden(
          'metadata.name',
          `priority class names with '${SYSTEM_PRIORITY_CLASS_PREFIX}' prefix are reserved for system use only. error: ${why}`,
        ),
      );
  } else if (value > HIGHEST_USER_DEFINABLE_PRIORITY) {
    errs.push(fieldErr.forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_DEFINABLE_PRIORITY}`));
  }
  if (pc.preemptionPolicy != null) errs.push(...validatePreemptionPolicy(pc.preemptionPolicy, 'preemptionPolicy'));
  return errs;
}

/** upstream ValidatePriorityClassUpdate: value and preemptionPolicy may not change (nothing else is checked again). */
export function validatePriorityClassUpdate(pc: PriorityClassObj, old: PriorityClassObj): FieldError[] {
  const errs: FieldError[] = [];
  if ((pc.value ?? 0) !== (old.value ?? 0)) errs.push(fieldErr.forbidden('value', 'may not be changed in an update.'));
  errs.push(...validateImmutable(pc.preemptionPolicy ?? null, old.preemptionPolicy ?? null, 'preemptionPolicy'));
  return errs;
}

/**
 * upstream getDefaultPriorityClass: the class marked globalDefault; when a race left several, the
 * one of lowest value. Read inside the write's transaction (without one, as in unit tests of a
 * kind, there is no class).
 */
export function defaultPriorityClass(ctx: Pick<WriteContext, 'tx'>): PriorityClassObj | undefined {
  let found: PriorityClassObj | undefined;
  for (const o of (ctx.tx?.list(PRIORITY_CLASS_RESOURCE) ?? []) as PriorityClassObj[]) {
    if (o.globalDefault && (!found || (found.value ?? 0) > (o.value ?? 0))) found = o;
  }
  return found;
}

/**
 * The Priority admission plugin's validation of PriorityClasses: a class may be the global default
 * only while no other is (on create: while none is).
 */
function admitGlobalDefault(pc: PriorityClassObj, ctx: WriteContext, update: boolean): void {
  if (!pc.globalDefault) return;
  const dpc = defaultPriorityClass(ctx);
  if (dpc && (!update || dpc.metadata.name !== pc.metadata.name)) {
    throw forbidden(
      GR,
      pc.metadata.name ?? '',
      `PriorityClass ${dpc.metadata.name} is already marked as default. Only one default can exist`,
    );
  }
}

export const priorityClassDef = defineKind<PriorityClassObj>({
  group: PRIORITY_CLASS_GROUP,
  version: 'v1',
  kind: 'PriorityClass',
  plural: 'priorityclasses',
  singular: 'priorityclass',
  namespaced: false,
  shortNames: ['pc'],
  get schema() {
    return schemas.PriorityClass;
  },
  openapiName: 'io.k8s.api.scheduling.v1.PriorityClass',
  defaults(pc) {
    // value is a plain int32 upstream: absent decodes as 0.
    pc.value ??= 0;
    if (pc.preemptionPolicy == null) pc.preemptionPolicy = DEFAULT_PREEMPTION_POLICY;
  },
  prepareForCreate(pc) {
    pc.metadata.generation = 1;
  },
  validate: (pc) => validatePriorityClass(pc),
  validateUpdate: (pc, old) => validatePriorityClassUpdate(pc, old),
  beginCreate: (pc, ctx) => admitGlobalDefault(pc, ctx, false),
  beginUpdate: (pc, _old, ctx) => admitGlobalDefault(pc, ctx, true),
  admitDelete(name) {
    if (SYSTEM_PRIORITY_CLASSES.some((c) => c.name === name))
      throw forbidden(GR, name, 'this is a system priority class and cannot be deleted');
  },
  table: {
    columns: [
      nameColumn(),
      column(
        'Value',
        'value represents the integer value of this priority class. This is the actual priority that pods receive when they have the name of this class in their pod spec.',
        0,
        'integer',
      ),
      column(
        'Global-Default',
        'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class. Only one PriorityClass can be marked as `globalDefault`. However, if more than one PriorityClasses exists with their `globalDefault` field set to true, the smallest value of such global default PriorityClasses will be used as the default priority.',
        0,
        'boolean',
      ),
      ageColumn(),
      column(
        'PreemptionPolicy',
        'preemptionPolicy is the Policy for preempting pods with lower priority. One of Never, PreemptLowerPriority. Defaults to PreemptLowerPriority if unset.',
      ),
    ],
    row: (pc, now) => [pc.metadata.name, pc.value ?? 0, pc.globalDefault ?? false, age(pc, now), pc.preemptionPolicy ?? ''],
  },
});

/**
 * upstream AddSystemPriorityClasses (the post-start hook): each system class is created when
 * missing; an existing one is left as it is.
 */
export function bootstrapPriorityClasses(registry: Registry, defs: readonly ResourceDef[]): void {
  const def = defs.find((d) => d.group === PRIORITY_CLASS_GROUP && d.plural === 'priorityclasses');
  if (!def) return;
  for (const spc of SYSTEM_PRIORITY_CLASSES) {
    try {
      registry.get(def, '', spc.name);
      continue;
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 404)) throw e;
    }
    const body: PriorityClassObj = {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: spc.name },
      value: spc.value,
      description: spc.description,
    };
    try {
      registry.create(def, '', body, { fieldManager: 'kube-apiserver' });
    } catch (e) {
      if (!(e instanceof StatusError && e.code === 409)) throw e;
    }
  }
}
