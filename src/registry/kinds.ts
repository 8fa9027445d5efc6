// Every kind tinykube serves. The REST layer, discovery, OpenAPI and controllers iterate this
// list; nothing else names kinds.
import type { ResourceDef } from './types.js';
import { namespaceDef } from './namespace.js';
import { configMapDef } from './configmap.js';
import { secretDef } from './secret.js';
import { serviceAccountDef } from './serviceaccount.js';
import { serviceDef } from './service/strategy.js';
import { endpointsDef } from './endpoints.js';
import { podDef } from './pod/strategy.js';
import { podTemplateDef } from './podtemplate.js';
import { nodeDef } from './node.js';
import { coreEventDef, eventsV1EventDef } from './event.js';
import { endpointSliceDef } from './endpointslice.js';
import { leaseDef } from './lease.js';
import { reviewDefs } from './reviews.js';
import { nodeMetricsDef, podMetricsDef } from './metrics.js';

/** A fresh array of all defs (callers may wrap entries, e.g. with service allocation hooks). */
export function allResourceDefs(): ResourceDef[] {
  return [
    namespaceDef,
    configMapDef,
    secretDef,
    serviceAccountDef,
    serviceDef,
    endpointsDef,
    podDef,
    podTemplateDef,
    nodeDef,
    coreEventDef,
    eventsV1EventDef,
    endpointSliceDef,
    leaseDef,
    ...reviewDefs,
    nodeMetricsDef,
    podMetricsDef,
  ];
}

export function findDef(defs: readonly ResourceDef[], group: string, plural: string): ResourceDef | undefined {
  return defs.find((d) => d.group === group && d.plural === plural);
}

/** The def of group/plural; throws when there is none (a wiring mistake, never a request's). */
export function requireDef(defs: readonly ResourceDef[], group: string, plural: string): ResourceDef {
  const d = findDef(defs, group, plural);
  if (!d) throw new Error(`no resource ${plural}${group ? `.${group}` : ''}`);
  return d;
}
