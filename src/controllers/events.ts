// Recording core/v1 Events about objects, the way upstream's event recorder writes them: name
// `<object>.<hex nanoseconds>`, involvedObject, source component, first/last timestamp, and the
// correlator's spam filter, aggregation and counting (event-correlator.ts): a repeated event
// raises the count of the one already recorded instead of adding another.
import type { KubeObject } from '../apimachinery/types.js';
import type { Registry } from '../registry/generic-store.js';
import type { ResourceDef } from '../registry/types.js';
import { rfc3339 } from '../apimachinery/meta.js';
import { StatusError } from '../apimachinery/errors.js';
import { createCorrelator, eventName, type CoreEvent, type CorrelatorOptions } from './event-correlator.js';

export interface EventRecorder {
  (obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export function eventRecorder(
  registry: Registry,
  eventDef: ResourceDef,
  component: string,
  onError: (err: unknown) => void,
  opts: CorrelatorOptions = {},
): EventRecorder {
  const correlator = createCorrelator(opts);
  const clock = opts.now ?? Date.now;
  return (obj, type, reason, message) => {
    const ns = obj.metadata.namespace || 'default';
    const nowMs = clock();
    const now = rfc3339(new Date(nowMs));
    const ev: CoreEvent = {
      metadata: { name: eventName(obj.metadata.name ?? '', nowMs), namespace: ns },
      involvedObject: {
        apiVersion: obj.apiVersion,
        kind: obj.kind,
        name: obj.metadata.name,
        namespace: obj.metadata.namespace,
        uid: obj.metadata.uid,
      },
      reason,
      message,
      source: { component },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      reportingComponent: component,
      reportingInstance: '',
    };
    const { event, update, skip } = correlator.correlate(ev);
    if (skip) return;
    // The resourceVersion of the object when this happened, as upstream's reference carries it.
    const body: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      ...event,
      involvedObject: { ...event.involvedObject, resourceVersion: obj.metadata.resourceVersion },
    };
    try {
      if (update) {
        try {
          // upstream patches count, lastTimestamp and message of the recorded event.
          registry.patch(
            eventDef,
            ns,
            event.metadata.name,
            'merge',
            { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message },
            { fieldManager: component },
          );
          return;
        } catch (err) {
          // Gone meanwhile (expired, deleted): recorded anew under the same name, as upstream.
          if (!(err instanceof StatusError && err.code === 404)) throw err;
        }
      }
      registry.create(eventDef, ns, body, { fieldManager: component });
    } catch (err) {
      onError(err);
    }
  };
}
