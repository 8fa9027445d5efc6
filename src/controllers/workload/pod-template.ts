// A Pod from a controller's template (upstream pkg/controller GetPodFromTemplate): the template's
// labels, annotations, finalizers and spec, generateName `<controller name>-`, the controller's
// reference, in the controller's namespace.
import type { KubeObject, OwnerReference } from '../../apimachinery/types.js';
import type { PodObj } from '../../registry/pod/strategy.js';
import type { PodTemplateSpec } from '../../registry/podtemplate.js';
import { clone } from '../../apimachinery/meta.js';

/** upstream getPodsPrefix: `<name>-`, or the name alone when `-` would make it too long. */
export const podsPrefix = (controllerName: string): string => (controllerName.length + 1 > 253 ? controllerName : `${controllerName}-`);

export function podFromTemplate(template: PodTemplateSpec | undefined, parent: KubeObject, ref?: OwnerReference): PodObj {
  const meta = template?.metadata ?? {};
  const pod: PodObj = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      namespace: parent.metadata.namespace,
      generateName: podsPrefix(parent.metadata.name!),
      ...(meta.labels ? { labels: { ...meta.labels } } : {}),
      ...(meta.annotations ? { annotations: { ...meta.annotations } } : {}),
      ...(meta.finalizers?.length ? { finalizers: [...meta.finalizers] } : {}),
      ...(ref ? { ownerReferences: [ref] } : {}),
    },
    spec: clone(template?.spec ?? { containers: [] }),
  };
  return pod;
}
