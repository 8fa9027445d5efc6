// The Priority admission plugin's Pod mutation at create (upstream plugin/pkg/admission/priority):
// spec.priority comes from the PriorityClass the Pod names, else from the global default class
// (whose name the Pod then carries), else 0; spec.preemptionPolicy from the same class, else
// PreemptLowerPriority. A class that does not exist, or a priority or preemptionPolicy the client
// set that differs from the computed one, is refused with 403 in upstream's words. Classes are
// read in the write's transaction, so a class created just before is seen.
import type { WriteContext } from '../types.js';
import type { PodSpec } from '../../api/generated/core/v1.js';
import type { KubeObject } from '../../apimachinery/types.js';
import { forbidden } from '../../apimachinery/errors.js';
import { DEFAULT_PREEMPTION_POLICY, PRIORITY_CLASS_RESOURCE, defaultPriorityClass, type PriorityClassObj } from './priorityclass.js';

/** upstream DefaultPriorityWhenNoDefaultClassExists. */
const DEFAULT_PRIORITY = 0;
const PODS = { group: '', resource: 'pods' };

export function admitPodPriority(pod: KubeObject & { spec?: PodSpec }, ctx: WriteContext): void {
  const spec = (pod.spec ??= {} as PodSpec);
  const refuse = (why: string) => forbidden(PODS, pod.metadata.name || pod.metadata.generateName || '', why);
  let priority: number;
  let policy: string | undefined;
  if (!spec.priorityClassName) {
    const dpc = defaultPriorityClass(ctx);
    if (dpc) {
      spec.priorityClassName = dpc.metadata.name;
      priority = dpc.value ?? 0;
      policy = dpc.preemptionPolicy ?? undefined;
    } else {
      priority = DEFAULT_PRIORITY;
      policy = DEFAULT_PREEMPTION_POLICY;
    }
  } else {
    const pc = ctx.tx?.get(PRIORITY_CLASS_RESOURCE, '', spec.priorityClassName) as PriorityClassObj | undefined;
    if (!pc) throw refuse(`no PriorityClass with name ${spec.priorityClassName} was found`);
    priority = pc.value ?? 0;
    policy = pc.preemptionPolicy ?? undefined;
  }
  if (spec.priority != null && spec.priority !== priority) {
    throw refuse(
      `the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`,
    );
  }
  spec.priority = priority;
  if (policy !== undefined) {
    if (spec.preemptionPolicy != null && spec.preemptionPolicy !== policy) {
      throw refuse(
        `the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
      );
    }
    spec.preemptionPolicy = policy;
  }
}
