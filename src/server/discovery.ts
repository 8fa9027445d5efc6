// Discovery documents (/api, /apis, per group-version resource lists) and aggregated discovery
// (apidiscovery.k8s.io/v2, one round trip for kubectl), all derived from the ResourceDefs and the
// Subresources the server installs (subresource.ts).
import type { ResourceDef } from '../registry/types.js';
import { apiVersionOf } from '../registry/types.js';
import { verbsOf } from './handlers/scope.js';
import { defSubresources, type SubresourceInfo } from './subresource.js';

/**
 * Every subresource discovery lists. A built-in resource's are sorted by name, as upstream's
 * installer lists them (pods/attach, pods/binding, ..., pods/status); a custom resource's keep the
 * CRD discovery controller's order (status, then scale).
 */
export function subresourcesOf(defs: ResourceDef[], others: readonly SubresourceInfo[]): SubresourceInfo[] {
  const custom = new Set(defs.filter((d) => d.custom).map((d) => `${d.group}/${d.version}/${d.plural}`));
  const byResource = new Map<string, SubresourceInfo[]>();
  for (const s of [...defs.flatMap(defSubresources), ...others]) {
    const key = `${s.group}/${s.version}/${s.plural}`;
    let list = byResource.get(key);
    if (!list) byResource.set(key, (list = []));
    list.push(s);
  }
  for (const [key, list] of byResource)
    if (!custom.has(key)) list.sort((a, b) => (a.subresource < b.subresource ? -1 : a.subresource > b.subresource ? 1 : 0));
  return [...byResource.values()].flat();
}

export interface GroupVersion {
  group: string;
  version: string;
  defs: ResourceDef[];
}

export function groupVersions(defs: ResourceDef[]): GroupVersion[] {
  const m = new Map<string, GroupVersion>();
  for (const d of defs) {
    const k = apiVersionOf(d);
    let gv = m.get(k);
    if (!gv) m.set(k, (gv = { group: d.group, version: d.version, defs: [] }));
    gv.defs.push(d);
  }
  return [...m.values()];
}

export function apiVersions(serverAddress: string) {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

export function apiGroupList(gvs: GroupVersion[]) {
  const groups = new Map<string, string[]>();
  for (const gv of gvs) if (gv.group) groups.set(gv.group, [...(groups.get(gv.group) ?? []), gv.version]);
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].map(([name, versions]) => apiGroup(name, versions)),
  };
}

export function apiGroup(name: string, versions: string[]) {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { kind: 'APIGroup', apiVersion: 'v1', name, versions: vs, preferredVersion: vs[0] };
}

export function apiResourceList(gv: GroupVersion, subs: SubresourceInfo[]) {
  const resources: Record<string, unknown>[] = [];
  for (const d of gv.defs) {
    const r: Record<string, unknown> = {
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: verbsOf(d),
    };
    if (d.shortNames?.length) r.shortNames = d.shortNames;
    if (d.categories?.length) r.categories = d.categories;
    resources.push(r);
    for (const s of subs) {
      if (s.plural !== d.plural || s.group !== d.group || s.version !== d.version) continue;
      const sr: Record<string, unknown> = {
        name: `${d.plural}/${s.subresource}`,
        singularName: '',
        namespaced: d.namespaced,
        kind: s.kind,
        verbs: s.verbs,
      };
      if (s.responseGroup !== undefined) {
        sr.group = s.responseGroup;
        sr.version = s.responseVersion;
      }
      resources.push(sr);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: gv.group ? `${gv.group}/${gv.version}` : gv.version, resources };
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList for /api (core) or /apis (named groups). */
export function aggregatedDiscovery(gvs: GroupVersion[], subs: SubresourceInfo[], core: boolean) {
  const byGroup = new Map<string, GroupVersion[]>();
  for (const gv of gvs) {
    if (core !== (gv.group === '')) continue;
    byGroup.set(gv.group, [...(byGroup.get(gv.group) ?? []), gv]);
  }
  const items = [...byGroup].map(([group, list]) => ({
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: list.map((gv) => ({
      version: gv.version,
      resources: gv.defs.map((d) => {
        const r: Record<string, unknown> = {
          resource: d.plural,
          responseKind: { group: d.group, version: d.version, kind: d.kind },
          scope: d.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: d.singular,
          verbs: verbsOf(d),
        };
        if (d.shortNames?.length) r.shortNames = d.shortNames;
        if (d.categories?.length) r.categories = d.categories;
        const srs = subs.filter((s) => s.plural === d.plural && s.group === d.group && s.version === d.version);
        if (srs.length) {
          r.subresources = srs.map((s) => ({
            subresource: s.subresource,
            responseKind: { group: s.responseGroup ?? d.group, version: s.responseVersion ?? d.version, kind: s.kind },
            verbs: s.verbs,
          }));
        }
        return r;
      }),
      freshness: 'Current',
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
