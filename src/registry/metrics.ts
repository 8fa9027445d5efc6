// metrics.k8s.io/v1beta1 (what metrics-server serves, and `kubectl top` reads): NodeMetrics for
// this node and PodMetrics for its running Pods, computed when read from the node agent's samples
// of /proc (src/kubelet/metrics.ts), never stored. Tables as metrics-server prints them.
import { schemas, type NodeMetrics, type PodMetrics } from '../api/generated/metrics/v1beta1.js';
import { defineKind, type Obj } from './define.js';
import { column, nameColumn } from './printers.js';
import { parseQuantity } from '../apimachinery/quantity.js';

type MetricsObj = Obj<Partial<NodeMetrics> & Partial<PodMetrics>>;

/** A quantity's value as a number (usage values are small enough). */
const value = (q: string | number | undefined) => {
  const v = parseQuantity(q ?? '0');
  return v ? Number(v.num) / 10 ** v.den : 0;
};

/** Sum of a resource over containers, printed as metrics-server's table does (nanocores, Ki). */
function total(o: MetricsObj, res: 'cpu' | 'memory'): string {
  const usages = o.usage ? [o.usage] : (o.containers ?? []).map((c) => c.usage);
  const sum = usages.reduce((n, u) => n + value(u[res]), 0);
  return res === 'cpu' ? `${Math.round(sum * 1e9)}n` : `${Math.round(sum / 1024)}Ki`;
}

const table = {
  columns: [
    nameColumn(),
    column('CPU', 'CPU usage'),
    column('Memory', 'Memory usage'),
    column('Window', 'Interval from which metrics were collected'),
  ],
  row: (o: MetricsObj) => [o.metadata.name, total(o, 'cpu'), total(o, 'memory'), o.window ?? ''],
};

export const nodeMetricsDef = defineKind<MetricsObj>({
  group: 'metrics.k8s.io',
  version: 'v1beta1',
  kind: 'NodeMetrics',
  plural: 'nodes',
  singular: '',
  namespaced: false,
  get schema() {
    return schemas.NodeMetrics;
  },
  openapiName: 'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics',
  verbs: ['get', 'list'],
  computed: true,
  table,
});

export const podMetricsDef = defineKind<MetricsObj>({
  group: 'metrics.k8s.io',
  version: 'v1beta1',
  kind: 'PodMetrics',
  plural: 'pods',
  singular: '',
  namespaced: true,
  get schema() {
    return schemas.PodMetrics;
  },
  openapiName: 'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics',
  verbs: ['get', 'list'],
  computed: true,
  table,
});
