// List/watch/deletecollection filtering: `labelSelector` and `fieldSelector` query parameters
// turned into one predicate. Unknown field selector keys are refused with the text upstream's
// field label conversion gives: kinds with their own conversion function (Pods, Nodes, Events,
// Namespaces, Secrets, Services) say `field label not supported: x`, the rest use the default
// `"x" is not a known field selector: only "metadata.name", "metadata.namespace"`.
import type { ResourceDef } from './types.js';
import type { KubeObject } from '../apimachinery/types.js';
import { badRequest } from '../apimachinery/errors.js';
import {
  SelectorError,
  matchFieldRequirements,
  matchRequirements,
  parseFieldSelector,
  parseLabelSelector,
} from '../apimachinery/selectors.js';

/** A kind with its own field label conversion (a custom resource's selectable fields fall back to the default one). */
const ownConversion = (def: ResourceDef) => def.fieldSelectors !== undefined && !def.custom;

function fieldGetter(def: ResourceDef): { allowed: (field: string) => boolean; get: (obj: KubeObject, field: string) => string } {
  const custom = def.fieldSelectors ?? {};
  const hasCustom = ownConversion(def);
  return {
    allowed: (f) => {
      if (f === 'metadata.name') return true;
      // Custom conversions of cluster-scoped kinds (Node, Namespace) do not list metadata.namespace.
      if (f === 'metadata.namespace') return !hasCustom || def.namespaced;
      return Object.prototype.hasOwnProperty.call(custom, f);
    },
    get: (obj, f) => {
      if (f === 'metadata.name') return obj.metadata.name ?? '';
      if (f === 'metadata.namespace') return obj.metadata.namespace ?? '';
      return custom[f]?.(obj) ?? '';
    },
  };
}

/** A predicate for the selectors, or undefined when both are empty. Bad selectors throw 400. */
export function buildMatcher(def: ResourceDef, labelSelector?: string, fieldSelector?: string): ((obj: KubeObject) => boolean) | undefined {
  let labelReqs: ReturnType<typeof parseLabelSelector> = [];
  let fieldReqs: ReturnType<typeof parseFieldSelector> = [];
  try {
    if (labelSelector) labelReqs = parseLabelSelector(labelSelector);
    if (fieldSelector) fieldReqs = parseFieldSelector(fieldSelector);
  } catch (e) {
    if (e instanceof SelectorError) throw badRequest(e.message);
    throw e;
  }
  const fields = fieldGetter(def);
  for (const r of fieldReqs) {
    if (fields.allowed(r.field)) continue;
    throw badRequest(
      ownConversion(def)
        ? `field label not supported: ${r.field}`
        : `${JSON.stringify(r.field)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
    );
  }
  if (!labelReqs.length && !fieldReqs.length) return undefined;
  return (obj) => matchRequirements(labelReqs, obj.metadata.labels) && matchFieldRequirements(fieldReqs, (f) => fields.get(obj, f));
}
