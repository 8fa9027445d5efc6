// Endpoints (core/v1, legacy): upstream ValidateEndpoints and printEndpoints. PUT creates a
// missing object (AllowCreateOnUpdate), as the endpoints controller and old clients expect.
import { schemas, type EndpointAddress, type Endpoints } from '../api/generated/core/v1.js';
import { defineKind, type Obj } from './define.js';
import { fieldErr, type FieldError } from '../apimachinery/field.js';
import {
  isValidPortNum,
  nameIsDNSSubdomain,
  validateDNS1123Label,
  validateIP,
  validateNonSpecialIP,
  validateProtocol,
  validateQualifiedName,
} from '../apimachinery/validation.js';
import { clusterOwnedAddress } from '../config/cluster-config.js';
import { age, ageColumn, column, nameColumn } from './printers.js';
import type { ClusterConfig } from '../config/cluster-config.js';

export type { EndpointAddress, EndpointPort, EndpointSubset } from '../api/generated/core/v1.js';
export type EndpointsObj = Obj<Endpoints>;

function validateAddress(a: EndpointAddress, base: string, own: (ip: string) => boolean): FieldError[] {
  const errs: FieldError[] = [...validateIP(a.ip ?? '', `${base}.ip`)];
  if (a.hostname) errs.push(...validateDNS1123Label(a.hostname, `${base}.hostname`));
  if (a.nodeName !== undefined)
    for (const m of nameIsDNSSubdomain(a.nodeName, false)) errs.push(fieldErr.invalid(`${base}.nodeName`, a.nodeName, m));
  errs.push(...validateNonSpecialIP(a.ip ?? '', `${base}.ip`, own));
  return errs;
}

export function validateEndpoints(ep: EndpointsObj, config?: ClusterConfig): FieldError[] {
  const errs: FieldError[] = [];
  const own = clusterOwnedAddress(config);
  (ep.subsets ?? []).forEach((ss, i) => {
    const base = `subsets[${i}]`;
    if (!ss.addresses?.length && !ss.notReadyAddresses?.length)
      errs.push(fieldErr.required(base, 'must specify `addresses` or `notReadyAddresses`'));
    (ss.addresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, `${base}.addresses[${j}]`, own)));
    (ss.notReadyAddresses ?? []).forEach((a, j) => errs.push(...validateAddress(a, `${base}.notReadyAddresses[${j}]`, own)));
    const ports = ss.ports ?? [];
    ports.forEach((p, j) => {
      const pb = `${base}.ports[${j}]`;
      if (ports.length > 1 && !p.name) errs.push(fieldErr.required(`${pb}.name`));
      else if (p.name) errs.push(...validateDNS1123Label(p.name, `${pb}.name`));
      for (const m of isValidPortNum(p.port)) errs.push(fieldErr.invalid(`${pb}.port`, p.port, m));
      errs.push(...validateProtocol(p.protocol, `${pb}.protocol`));
      if (p.appProtocol !== undefined) errs.push(...validateQualifiedName(p.appProtocol, `${pb}.appProtocol`));
    });
  });
  return errs;
}

const joinHostPort = (ip: string, port: number) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** upstream formatEndpoints: first three `ip:port`, then `+ N more...`; `<none>` without subsets. */
export function formatEndpoints(ep: EndpointsObj): string {
  const subsets = ep.subsets ?? [];
  if (!subsets.length) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  let more = false;
  for (const ss of subsets) {
    const addrs = ss.addresses ?? [];
    if (!ss.ports?.length) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(a.ip);
      }
      continue;
    }
    for (const p of ss.ports) {
      count += addrs.length;
      for (const a of addrs) {
        if (list.length === max) {
          more = true;
          break;
        }
        list.push(joinHostPort(a.ip, p.port));
      }
    }
  }
  const s = list.join(',');
  return more ? `${s} + ${count - max} more...` : s;
}

export const endpointsDef = defineKind<EndpointsObj>({
  group: '',
  version: 'v1',
  kind: 'Endpoints',
  plural: 'endpoints',
  singular: 'endpoints',
  namespaced: true,
  shortNames: ['ep'],
  get schema() {
    return schemas.Endpoints;
  },
  openapiName: 'io.k8s.api.core.v1.Endpoints',
  allowCreateOnUpdate: true,
  defaults(ep) {
    for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) p.protocol ||= 'TCP';
  },
  validate: (ep, ctx) => validateEndpoints(ep, ctx.config),
  validateUpdate: (ep, _old, ctx) => validateEndpoints(ep, ctx.config),
  table: {
    columns: [nameColumn(), column('Endpoints', 'The set of all endpoints is the union of all subsets.'), ageColumn()],
    row: (ep, now) => [ep.metadata.name, formatEndpoints(ep), age(ep, now)],
  },
});
