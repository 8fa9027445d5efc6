// Upstream's DefaultIngressClass admission plugin
// (plugin/pkg/admission/network/defaultingressclass): an Ingress created without a class, neither
// spec.ingressClassName nor the deprecated kubernetes.io/ingress.class annotation, gets the
// cluster's default IngressClass, the one annotated ingressclass.kubernetes.io/is-default-class:
// "true". With several defaults the newest wins (ties: the first name), as upstream chooses.
import type { WriteContext } from '../types.js';
import { ANNOTATION_INGRESS_CLASS, type IngressClassObj, type IngressObj } from './ingress-validation.js';

export const ANNOTATION_IS_DEFAULT_INGRESS_CLASS = 'ingressclass.kubernetes.io/is-default-class';
/** Where IngressClasses are stored (the registry's storage key of networking.k8s.io ingressclasses). */
export const INGRESS_CLASS_RESOURCE = 'networking.k8s.io/ingressclasses';

const created = (ic: IngressClassObj): number => {
  const t = Date.parse(ic.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
};

/** getDefaultClass: the default IngressClass among these, or undefined when none is marked. */
export function defaultIngressClass(classes: readonly IngressClassObj[]): IngressClassObj | undefined {
  let best: IngressClassObj | undefined;
  for (const ic of classes) {
    if (ic.metadata.annotations?.[ANNOTATION_IS_DEFAULT_INGRESS_CLASS] !== 'true') continue;
    if (!best) best = ic;
    else {
      const a = created(ic);
      const b = created(best);
      if (a > b || (a === b && (ic.metadata.name ?? '') < (best.metadata.name ?? ''))) best = ic;
    }
  }
  return best;
}

/** The plugin's Admit on create: fills spec.ingressClassName from the IngressClasses in the write's transaction. */
export function admitIngressClass(ing: IngressObj, ctx: WriteContext): void {
  if (ing.spec?.ingressClassName !== undefined && ing.spec.ingressClassName !== null) return;
  if (ing.metadata.annotations?.[ANNOTATION_INGRESS_CLASS] !== undefined) return;
  // Without a store (unit tests of the kind) there is nothing to read.
  if (!ctx.tx) return;
  const def = defaultIngressClass(ctx.tx.list(INGRESS_CLASS_RESOURCE) as IngressClassObj[]);
  if (!def?.metadata.name) return;
  ing.spec = { ...ing.spec, ingressClassName: def.metadata.name };
}
