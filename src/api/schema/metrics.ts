// metrics.k8s.io/v1beta1 NodeMetrics and PodMetrics (k8s.io/metrics, as metrics-server serves them).
import type { Static } from '@sinclair/typebox';
import { Named, Field, Str, Time, Opt, ResourceList, List, typeMeta } from './common.js';
import { ObjectMetaSchema } from './meta.js';

export const NodeMetricsSchema = Named(
  'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics',
  'NodeMetrics sets resource usage metrics of a node.',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    timestamp: Time(
      'The following fields define time interval from which metrics were collected from the interval [Timestamp-Window, Timestamp].',
    ),
    window: Str('Window is the length of the interval the usage was measured over.'),
    usage: ResourceList('The memory usage is the memory working set.'),
  },
);
export type NodeMetrics = Static<typeof NodeMetricsSchema>;

export const ContainerMetricsSchema = Named(
  'io.k8s.metrics.pkg.apis.metrics.v1beta1.ContainerMetrics',
  'ContainerMetrics sets resource usage metrics of a container.',
  {
    name: Str('Container name corresponding to the one from pod.spec.containers.'),
    usage: ResourceList('The memory usage is the memory working set.'),
  },
);

export const PodMetricsSchema = Named(
  'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics',
  'PodMetrics sets resource usage metrics of a pod.',
  {
    ...typeMeta(),
    metadata: Opt(Field(ObjectMetaSchema, "Standard object's metadata.")),
    timestamp: Time(
      'The following fields define time interval from which metrics were collected from the interval [Timestamp-Window, Timestamp].',
    ),
    window: Str('Window is the length of the interval the usage was measured over.'),
    containers: List(ContainerMetricsSchema, 'Metrics for all containers are collected within the same time window.'),
  },
);
export type PodMetrics = Static<typeof PodMetricsSchema>;
