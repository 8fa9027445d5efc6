// The IngressClass of the built-in ingress controller (src/ingress), made at every start when
// missing, as a distribution's ingress addon installs its class (k3s's traefik, minikube's nginx):
// marked the default, so an Ingress without a class is the controller's (default-ingress-class.ts).
// Deleting it stops the controller serving until the next start; a class of the user's with
// spec.controller tinykube.io/ingress (say `nginx`, which many charts name) is served as well.
import { StatusError } from '../../apimachinery/errors.js';
import type { Registry } from '../generic-store.js';
import type { ResourceDef } from '../types.js';
import { ANNOTATION_IS_DEFAULT_INGRESS_CLASS } from './default-ingress-class.js';
import type { IngressClassObj } from './ingress-validation.js';

/** The built-in controller's name in IngressClass spec.controller. */
export const TINYKUBE_INGRESS_CONTROLLER = 'tinykube.io/ingress';
export const BUILTIN_INGRESS_CLASS = 'tinykube';

export function bootstrapIngressClass(registry: Registry, defs: readonly ResourceDef[]): void {
  const def = defs.find((d) => d.group === 'networking.k8s.io' && d.plural === 'ingressclasses');
  if (!def) return;
  try {
    registry.get(def, '', BUILTIN_INGRESS_CLASS);
    return;
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 404)) throw e;
  }
  const body: IngressClassObj = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name: BUILTIN_INGRESS_CLASS, annotations: { [ANNOTATION_IS_DEFAULT_INGRESS_CLASS]: 'true' } },
    spec: { controller: TINYKUBE_INGRESS_CONTROLLER },
  };
  try {
    registry.create(def, '', body, { fieldManager: 'tinykube' });
  } catch (e) {
    if (!(e instanceof StatusError && e.code === 409)) throw e;
  }
}
