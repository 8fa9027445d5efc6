// Service allocation hooks: ClusterIPs and NodePorts taken, kept and released inside the same
// transaction as the Service write (upstream's BeginCreate/BeginUpdate transactions, done by
// SQLite). A refused write rolls back its allocations with it.
import type { ResourceDef, WriteContext } from '../types.js';
import type { ServiceObj } from './strategy.js';
import { fieldErr, type FieldError } from '../../apimachinery/field.js';
import { invalid } from '../../apimachinery/errors.js';
import { allocateIP, allocateNextIP, ipRange, releaseIP, type IPRange } from '../../allocators/clusterip.js';
import { allocateNextPort, allocatePort, portRange, releasePort, type PortRange } from '../../allocators/nodeport.js';
import { ipFamilyOf } from '../../apimachinery/ipnet.js';
import type { ClusterConfig } from '../../config/cluster-config.js';
import type { Database } from 'better-sqlite3';

type Svc = ServiceObj;

export interface ServiceAllocators {
  ranges: Map<string, IPRange>; // by family: 'IPv4' | 'IPv6'
  primaryFamily: 'IPv4' | 'IPv6';
  ports: PortRange;
}

export function serviceAllocators(config: ClusterConfig): ServiceAllocators {
  const ranges = new Map<string, IPRange>();
  const primary = ipRange(config.serviceCIDR);
  const primaryFamily = primary.cidr.family === 4 ? 'IPv4' : 'IPv6';
  ranges.set(primaryFamily, primary);
  if (config.secondaryServiceCIDR) {
    const sec = ipRange(config.secondaryServiceCIDR);
    ranges.set(sec.cidr.family === 4 ? 'IPv4' : 'IPv6', sec);
  }
  return { ranges, primaryFamily, ports: portRange(config.nodePortRange.base, config.nodePortRange.size) };
}

const owner = (s: Svc) => `${s.metadata.namespace}/${s.metadata.name}`;
const hasClusterIP = (s: Svc) => s.spec?.type !== 'ExternalName' && s.spec?.clusterIP !== 'None';
const needsNodePorts = (s: Svc) =>
  s.spec?.type === 'NodePort' || (s.spec?.type === 'LoadBalancer' && s.spec.allocateLoadBalancerNodePorts !== false);
const needsHealthCheck = (s: Svc) => s.spec?.type === 'LoadBalancer' && s.spec.externalTrafficPolicy === 'Local';

export function ipsOf(s: Svc | undefined): string[] {
  if (!s || !hasClusterIP(s)) return [];
  return (s.spec?.clusterIPs ?? (s.spec?.clusterIP ? [s.spec.clusterIP] : [])).filter((ip) => ip && ip !== 'None');
}

export function nodePortsOf(s: Svc | undefined): number[] {
  if (!s) return [];
  const out = new Set<number>();
  for (const p of s.spec?.ports ?? []) if (p.nodePort) out.add(p.nodePort);
  if (s.spec?.healthCheckNodePort) out.add(s.spec.healthCheckNodePort);
  return [...out];
}

function allocateIPs(db: Database, a: ServiceAllocators, svc: Svc, old: Svc | undefined, errs: FieldError[]): void {
  const spec = (svc.spec ??= {});
  if (spec.type === 'ExternalName') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
    return;
  }
  if (spec.clusterIP === 'None' || spec.clusterIPs?.[0] === 'None') {
    spec.clusterIP = 'None';
    spec.clusterIPs = ['None'];
    return;
  }
  const families = spec.ipFamilies?.length ? spec.ipFamilies : [a.primaryFamily];
  const wanted = spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [];
  const keep = new Set(ipsOf(old));
  const out: string[] = [];
  for (let i = 0; i < families.length; i++) {
    const fam = families[i]!;
    const range = a.ranges.get(fam);
    if (!range) continue; // validation reports families the cluster does not serve
    const ip = wanted[i];
    if (ip) {
      if (keep.has(ip)) {
        out.push(ip);
        continue;
      }
      if (ipFamilyOf(ip) !== fam) continue;
      const r = allocateIP(db, range, ip, owner(svc));
      if (!r.ok) {
        errs.push(fieldErr.invalid('spec.clusterIPs', wanted, r.error));
        return;
      }
      out.push(ip);
    } else {
      const r = allocateNextIP(db, range, owner(svc));
      if (!r.ok) {
        errs.push(fieldErr.invalid('spec.clusterIPs', wanted.length ? wanted : [], r.error));
        return;
      }
      out.push(r.ip);
    }
  }
  if (out.length) {
    spec.clusterIP = out[0];
    spec.clusterIPs = out;
  }
}

function allocatePorts(db: Database, a: ServiceAllocators, svc: Svc, old: Svc | undefined, errs: FieldError[]): void {
  const spec = (svc.spec ??= {});
  const mine = new Set(nodePortsOf(old));
  const ports = spec.ports ?? [];
  if (needsNodePorts(svc) || spec.type === 'LoadBalancer') {
    // Ports with the same number (TCP 53 and UDP 53) share one nodePort, as upstream does.
    const byPortNumber = new Map<number, number>();
    for (const p of ports) if (p.nodePort) byPortNumber.set(p.port, p.nodePort);
    ports.forEach((p, i) => {
      if (p.nodePort) {
        if (mine.has(p.nodePort)) return;
        const r = allocatePort(db, a.ports, p.nodePort, owner(svc));
        if (!r.ok) errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, p.nodePort, r.error));
        else mine.add(p.nodePort);
        return;
      }
      if (!needsNodePorts(svc)) return; // LB without node ports keeps only user-set ones
      const shared = byPortNumber.get(p.port);
      if (shared) {
        p.nodePort = shared;
        return;
      }
      const r = allocateNextPort(db, a.ports, owner(svc));
      if (!r.ok) errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, 0, `failed to allocate a nodePort: ${r.error}`));
      else {
        p.nodePort = r.port;
        byPortNumber.set(p.port, r.port);
        mine.add(r.port);
      }
    });
  }
  if (needsHealthCheck(svc)) {
    const hc = spec.healthCheckNodePort;
    if (hc) {
      if (!mine.has(hc)) {
        const r = allocatePort(db, a.ports, hc, owner(svc));
        if (!r.ok) errs.push(fieldErr.invalid('spec.healthCheckNodePort', hc, r.error));
      }
    } else {
      const r = allocateNextPort(db, a.ports, owner(svc));
      if (!r.ok) errs.push(fieldErr.invalid('spec.healthCheckNodePort', 0, `failed to allocate a nodePort: ${r.error}`));
      else spec.healthCheckNodePort = r.port;
    }
  } else {
    delete spec.healthCheckNodePort;
  }
}

function releaseUnused(db: Database, a: ServiceAllocators, svc: Svc | undefined, old: Svc): void {
  const ips = new Set(ipsOf(svc));
  for (const ip of ipsOf(old)) {
    if (ips.has(ip)) continue;
    const range = a.ranges.get(ipFamilyOf(ip) ?? '');
    if (range) releaseIP(db, range, ip, owner(old));
  }
  const ports = new Set(nodePortsOf(svc));
  for (const p of nodePortsOf(old)) if (!ports.has(p)) releasePort(db, a.ports, p, owner(old));
}

/** Adds allocation hooks to the Service ResourceDef (the allocations table must exist: ensureAllocationTable). */
export function withServiceAllocation(def: ResourceDef, a: ServiceAllocators): ResourceDef {
  const run = (svc: Svc, old: Svc | undefined, ctx: WriteContext) => {
    const db = ctx.tx.sql;
    const errs: FieldError[] = [];
    allocateIPs(db, a, svc, old, errs);
    if (!errs.length) allocatePorts(db, a, svc, old, errs);
    if (errs.length) throw invalid(def.kind, def.group, svc.metadata.name ?? '', errs);
    if (old) releaseUnused(db, a, svc, old);
  };
  return {
    ...def,
    beginCreate(obj, ctx) {
      def.beginCreate?.(obj, ctx);
      run(obj as Svc, undefined, ctx);
    },
    beginUpdate(obj, old, ctx) {
      def.beginUpdate?.(obj, old, ctx);
      run(obj as Svc, old as Svc, ctx);
    },
    afterDelete(obj, ctx) {
      def.afterDelete?.(obj, ctx);
      releaseUnused(ctx.tx.sql, a, undefined, obj as Svc);
    },
  };
}
