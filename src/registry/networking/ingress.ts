// Ingress (networking.k8s.io/v1), after upstream's pkg/registry/networking/ingress strategy: status
// cleared on create and kept by updates of the main resource (the status subresource writes it),
// generation 1 and raised by every spec change, the DefaultIngressClass admission plugin on create,
// ValidateIngressCreate / ValidateIngressUpdate / ValidateIngressStatusUpdate, and printIngress's
// table (CLASS, HOSTS, ADDRESS, PORTS).
import { schemas, type IngressLoadBalancerStatus, type IngressRule } from '../../api/generated/networking/v1.js';
import { semanticEqual } from '../pod/validation.js';
import { defineKind } from '../define.js';
import { age, ageColumn, column, nameColumn } from '../printers.js';
import { admitIngressClass } from './default-ingress-class.js';
import { validateIngressCreate, validateIngressStatusUpdate, validateIngressUpdate, type IngressObj } from './ingress-validation.js';

/** formatHosts: up to three hosts, `*` when no rule has one. */
export function formatHosts(rules: readonly IngressRule[] | undefined): string {
  const all = rules ?? [];
  const hosts: string[] = [];
  let more = false;
  for (const r of all) {
    if (hosts.length === 3) more = true;
    if (!more && r.host) hosts.push(r.host);
  }
  if (!hosts.length) return '*';
  return more ? `${hosts.join(',')} + ${all.length - 3} more...` : hosts.join(',');
}

/** ingressLoadBalancerStatusStringer (server-side tables print wide: nothing is clipped): IPs or hostnames, sorted, unique. */
export function loadBalancerAddresses(lb: IngressLoadBalancerStatus | undefined): string {
  const out = new Set<string>();
  for (const i of lb?.ingress ?? []) {
    if (i.ip) out.add(i.ip);
    else if (i.hostname) out.add(i.hostname);
  }
  return [...out].sort().join(',');
}

export const ingressDef = defineKind<IngressObj>({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'Ingress',
  plural: 'ingresses',
  singular: 'ingress',
  namespaced: true,
  shortNames: ['ing'],
  get schema() {
    return schemas.Ingress;
  },
  openapiName: 'io.k8s.api.networking.v1.Ingress',
  statusSubresource: true,
  admit: (ing, ctx) => admitIngressClass(ing, ctx),
  prepareForCreate(ing) {
    // IngressStatus is a struct upstream, and so is its loadBalancer: both are always printed.
    ing.status = { loadBalancer: {} };
    ing.metadata.generation = 1;
  },
  prepareForUpdate(ing, old) {
    const gen = old.metadata.generation ?? 0;
    ing.metadata.generation = semanticEqual(ing.spec, old.spec) ? gen : gen + 1;
  },
  validate: (ing) => validateIngressCreate(ing),
  validateUpdate: (ing, old) => validateIngressUpdate(ing, old),
  validateStatusUpdate: (ing) => validateIngressStatusUpdate(ing),
  table: {
    columns: [
      nameColumn(),
      column('Class', 'The name of the IngressClass resource that should be used for additional configuration'),
      column('Hosts', 'Hosts that incoming requests are matched against before the ingress rule'),
      column('Address', 'Address is a list containing ingress points for the load-balancer'),
      column('Ports', 'Ports of TLS configurations that open'),
      ageColumn(),
    ],
    row: (ing, now) => [
      ing.metadata.name,
      ing.spec?.ingressClassName ?? '<none>',
      formatHosts(ing.spec?.rules),
      loadBalancerAddresses(ing.status?.loadBalancer),
      ing.spec?.tls?.length ? '80, 443' : '80',
      age(ing, now),
    ],
  },
});
