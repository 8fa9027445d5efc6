// IngressClass (networking.k8s.io/v1, cluster-scoped), after upstream's
// pkg/registry/networking/ingressclass strategy: SetDefaults_IngressClass (parameters.scope
// Cluster), generation 1 and raised by every spec change, ValidateIngressClass /
// ValidateIngressClassUpdate (the controller is immutable) and printIngressClass's table.
import { schemas } from '../../api/generated/networking/v1.js';
import { semanticEqual } from '../pod/validation.js';
import { asObject, defineKind } from '../define.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import { validateIngressClass, validateIngressClassUpdate, type IngressClassObj } from './ingress-validation.js';

/** The PARAMETERS cell: `Kind.apiGroup/name`, `<none>` without parameters. */
function parametersCell(ic: IngressClassObj): string {
  const p = ic.spec?.parameters;
  if (!p) return '<none>';
  return `${p.kind}${p.apiGroup !== undefined && p.apiGroup !== null ? `.${p.apiGroup}` : ''}/${p.name}`;
}

export const ingressClassDef = defineKind<IngressClassObj>({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'IngressClass',
  plural: 'ingressclasses',
  singular: 'ingressclass',
  namespaced: false,
  get schema() {
    return schemas.IngressClass;
  },
  openapiName: 'io.k8s.api.networking.v1.IngressClass',
  defaults(ic) {
    const params = asObject(asObject(ic.spec)?.parameters);
    if (params && (params.scope === undefined || params.scope === null)) params.scope = 'Cluster';
  },
  prepareForCreate(ic) {
    ic.metadata.generation = 1;
  },
  prepareForUpdate(ic, old) {
    const gen = old.metadata.generation ?? 0;
    ic.metadata.generation = semanticEqual(ic.spec, old.spec) ? gen : gen + 1;
  },
  validate: (ic) => validateIngressClass(ic),
  validateUpdate: (ic, old) => validateIngressClassUpdate(ic, old),
  table: {
    columns: [
      nameColumn(),
      column('Controller', 'Controller that is responsible for handling this class'),
      column('Parameters', 'A reference to a resource with additional parameters'),
      ageColumn(),
    ],
    row: (ic, now) => [ic.metadata.name, ic.spec?.controller ?? '', parametersCell(ic), age(ic, now)],
  },
});
