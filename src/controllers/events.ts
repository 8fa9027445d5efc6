// Recording core/v1 Events about objects, the way upstream's event recorder writes them
// (name `<object>.<hex>`, involvedObject, source component, first/last timestamp, count 1).
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../resources/types.js';
import type { Registry } from '../api/registry.js';
import type { ResourceDef } from '../resources/types.js';
import { rfc3339 } from '../api/meta.js';

export interface EventRecorder {
  (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export function eventRecorder(registry: Registry, eventDef: ResourceDef, component: string, onError: (err: unknown) => void): EventRecorder {
  return (obj, type, reason, message) => {
    const ns = obj.metadata.namespace || 'default';
    const now = new Date();
    const ev: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${obj.metadata.name}.${randomBytes(8).toString('hex')}`, namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
        resourceVersion: obj.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component },
      firstTimestamp: rfc3339(now),
      lastTimestamp: rfc3339(now),
      count: 1,
      type,
      reportingComponent: component,
      reportingInstance: '',
    };
    try {
      registry.create(eventDef, ns, ev, { fieldManager: component });
    } catch (err) {
      onError(err);
    }
  };
}
