// NetworkPolicy (networking.k8s.io/v1), after upstream's pkg/registry/networking/networkpolicy
// strategy and pkg/apis/networking/v1/defaults.go: ports default to protocol TCP, policyTypes to
// [Ingress] (plus Egress when egress rules are given); generation 1 and raised by every spec
// change; ValidateNetworkPolicy / ValidateNetworkPolicyUpdate; printNetworkPolicy's table. It is
// stored and validated here; enforcement is the data path's (service proxy, ingress).
import { schemas } from '../../api/generated/networking/v1.js';
import { semanticEqual } from '../pod/validation.js';
import { formatLabelSelector } from '../../apimachinery/selectors.js';
import { asObject, defineKind, objectsIn } from '../define.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import { validateNetworkPolicy, validateNetworkPolicyUpdate, type NetworkPolicyObj } from './networkpolicy-validation.js';

/** SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort. */
export function defaultNetworkPolicy(np: NetworkPolicyObj): void {
  const spec = asObject(np.spec);
  if (!spec) return;
  for (const rule of [...objectsIn(spec.ingress), ...objectsIn(spec.egress)])
    for (const port of objectsIn(rule.ports)) if (port.protocol === undefined || port.protocol === null) port.protocol = 'TCP';
  if (!spec.policyTypes?.length) spec.policyTypes = spec.egress?.length ? ['Ingress', 'Egress'] : ['Ingress'];
}

export const networkPolicyDef = defineKind<NetworkPolicyObj>({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  singular: 'networkpolicy',
  namespaced: true,
  shortNames: ['netpol'],
  get schema() {
    return schemas.NetworkPolicy;
  },
  openapiName: 'io.k8s.api.networking.v1.NetworkPolicy',
  defaults: (np) => defaultNetworkPolicy(np),
  prepareForCreate(np) {
    np.metadata.generation = 1;
  },
  prepareForUpdate(np, old) {
    const gen = old.metadata.generation ?? 0;
    np.metadata.generation = semanticEqual(np.spec, old.spec) ? gen : gen + 1;
  },
  validate: (np) => validateNetworkPolicy(np),
  validateUpdate: (np, old) => validateNetworkPolicyUpdate(np, old),
  table: {
    columns: [
      nameColumn(),
      column(
        'Pod-Selector',
        'Selects the pods to which this NetworkPolicy object applies.  The array of ingress rules is applied to any pods selected by this field. Multiple network policies can select the same set of pods.  In this case, the ingress rules for each are combined additively. This field is NOT optional and follows standard label selector semantics. An empty podSelector matches all pods in this namespace.',
      ),
      ageColumn(),
    ],
    row: (np, now) => [np.metadata.name, formatLabelSelector(np.spec?.podSelector), age(np, now)],
  },
});
