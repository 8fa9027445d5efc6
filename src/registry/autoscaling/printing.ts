// The HorizontalPodAutoscaler table (upstream pkg/printers/internalversion printers.go
// printHorizontalPodAutoscaler and formatHPAMetrics): reference, targets, min/max Pods, replicas.
import type { MetricSpec, MetricStatus } from '../../api/generated/autoscaling/v2.js';
import type { Quantity as Q } from '../../api/generated/resource.js';
import { parseQuantity, quantityString } from '../../apimachinery/quantity.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import type { HpaObj } from './horizontalpodautoscaler.js';

const isSet = <T>(v: T | null | undefined): v is T => v !== undefined && v !== null;

const milliText = (q: Q | undefined) => {
  const p = parseQuantity(q ?? '0');
  return p ? quantityString(p) : String(q);
};

/** formatHPAMetrics. */
export function formatHpaMetrics(specs: MetricSpec[] | undefined, statuses: MetricStatus[] | undefined): string {
  if (!specs?.length) return '<none>';
  const list: string[] = [];
  specs.forEach((spec, i) => {
    const st = statuses?.[i];
    switch (spec.type) {
      case 'External': {
        const t = spec.external?.target;
        if (isSet(t?.averageValue)) {
          const cur = isSet(st?.external?.current?.averageValue) ? milliText(st.external.current.averageValue) : '<unknown>';
          list.push(`${cur}/${milliText(t.averageValue)} (avg)`);
        } else list.push(`${st?.external ? milliText(st.external.current?.value) : '<unknown>'}/${milliText(t?.value)}`);
        break;
      }
      case 'Pods':
        list.push(`${st?.pods ? milliText(st.pods.current?.averageValue) : '<unknown>'}/${milliText(spec.pods?.target?.averageValue)}`);
        break;
      case 'Object': {
        const t = spec.object?.target;
        if (isSet(t?.averageValue)) {
          const cur = isSet(st?.object?.current?.averageValue) ? milliText(st.object.current.averageValue) : '<unknown>';
          list.push(`${cur}/${milliText(t.averageValue)} (avg)`);
        } else list.push(`${st?.object ? milliText(st.object.current?.value) : '<unknown>'}/${milliText(t?.value)}`);
        break;
      }
      case 'Resource':
      case 'ContainerResource': {
        const src = spec.type === 'Resource' ? spec.resource : spec.containerResource;
        const cur = spec.type === 'Resource' ? st?.resource : st?.containerResource;
        const name = src?.name ?? '';
        if (isSet(src?.target?.averageValue)) {
          list.push(`${name}: ${cur ? milliText(cur.current?.averageValue) : '<unknown>'}/${milliText(src.target.averageValue)}`);
        } else {
          const c = isSet(cur?.current?.averageUtilization) ? `${cur.current.averageUtilization}%` : '<unknown>';
          const t = isSet(src?.target?.averageUtilization) ? `${src.target.averageUtilization}%` : '<auto>';
          list.push(`${name}: ${c}/${t}`);
        }
        break;
      }
      default:
        list.push('<unknown type>');
    }
  });
  if (list.length > 2) return `${list.slice(0, 2).join(', ')} + ${list.length - 2} more...`;
  return list.join(', ');
}

export const HPA_COLUMNS = [
  nameColumn(),
  column(
    'Reference',
    'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be collected, as well as to actually change the replica count.',
  ),
  column(
    'Targets',
    'metrics contains the specifications for which to use to calculate the desired replica count (the maximum replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio between the target value and the current value by the current number of pods.  Ergo, metrics used must decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more information about how each type of metric must respond. If not set, the default metric will be set to 80% average CPU utilization.',
  ),
  column(
    'MinPods',
    'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one Object or External metric is configured.  Scaling is active as long as at least one metric value is available.',
  ),
  column(
    'MaxPods',
    'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be less that minReplicas.',
  ),
  column('Replicas', 'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the autoscaler.'),
  ageColumn(),
];

export function hpaRow(h: HpaObj, now: Date): unknown[] {
  const spec = h.spec;
  return [
    h.metadata.name,
    `${spec?.scaleTargetRef?.kind ?? ''}/${spec?.scaleTargetRef?.name ?? ''}`,
    formatHpaMetrics(spec?.metrics, h.status?.currentMetrics),
    isSet(spec?.minReplicas) ? String(spec.minReplicas) : '<unset>',
    spec?.maxReplicas ?? 0,
    h.status?.currentReplicas ?? 0,
    age(h, now),
  ];
}
