// Discovery of aggregated group versions, as upstream's aggregator serves it: /apis lists their
// groups (handler_apis.go), /apis/<group> is made from the group's APIServices (apiGroupHandler:
// versions by versionPriority, then kube-like version order; the first is preferred), and the
// aggregated discovery document (apidiscovery.k8s.io/v2) carries each available group version's
// resources, fetched from its server's /apis/<group>/<version> APIResourceList and converted as
// upstream's discovery manager converts a server without aggregated discovery.
import type { APIServiceObj } from '../../registry/apiregistration/apiservice.js';

interface APIResource {
  name: string;
  singularName?: string;
  namespaced?: boolean;
  group?: string;
  version?: string;
  kind: string;
  verbs?: string[];
  shortNames?: string[];
  categories?: string[];
}

export interface APIResourceList {
  kind?: string;
  groupVersion?: string;
  resources?: APIResource[];
}

/** upstream version.CompareKubeAwareVersionStrings as a sort: GA > beta > alpha, higher numbers first, others after, alphabetically. */
export function compareKubeVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return undefined;
    return { major: Number(m[1]), stage: m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2, minor: m[3] ? Number(m[3]) : 0 };
  };
  const pa = parse(a);
  const pb = parse(b);
  if (pa && !pb) return -1;
  if (!pa && pb) return 1;
  if (!pa || !pb) return a < b ? -1 : a > b ? 1 : 0;
  if (pa.stage !== pb.stage) return pb.stage - pa.stage;
  if (pa.major !== pb.major) return pb.major - pa.major;
  return pb.minor - pa.minor;
}

/** A group's APIServices in upstream's version order (versionPriority descending, then kube-like versions). */
export function sortGroupVersions(services: readonly APIServiceObj[]): APIServiceObj[] {
  return [...services].sort(
    (a, b) =>
      (b.spec?.versionPriority ?? 0) - (a.spec?.versionPriority ?? 0) || compareKubeVersions(a.spec?.version ?? '', b.spec?.version ?? ''),
  );
}

/** The APIGroup of an aggregated group (apiGroupHandler). */
export function aggregatedAPIGroup(group: string, services: readonly APIServiceObj[]) {
  const versions = sortGroupVersions(services).map((s) => ({ groupVersion: `${group}/${s.spec!.version}`, version: s.spec!.version! }));
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions, preferredVersion: versions[0] };
}

/** One group version of an APIGroupDiscoveryList item, from a server's APIResourceList. */
export function versionDiscovery(group: string, version: string, list: APIResourceList) {
  const all = list.resources ?? [];
  const resources = all
    .filter((r) => r && typeof r.name === 'string' && !r.name.includes('/'))
    .map((r) => {
      const out: Record<string, unknown> = {
        resource: r.name,
        responseKind: { group: r.group ?? group, version: r.version ?? version, kind: r.kind },
        scope: r.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: r.singularName ?? '',
        verbs: r.verbs ?? [],
      };
      if (r.shortNames?.length) out.shortNames = r.shortNames;
      if (r.categories?.length) out.categories = r.categories;
      const subs = all.filter((s) => s && typeof s.name === 'string' && s.name.startsWith(`${r.name}/`));
      if (subs.length)
        out.subresources = subs.map((s) => ({
          subresource: s.name.slice(r.name.length + 1),
          responseKind: { group: s.group ?? group, version: s.version ?? version, kind: s.kind },
          verbs: s.verbs ?? [],
        }));
      return out;
    });
  return { version, resources, freshness: 'Current' };
}
