// The diff under "pod updates may not change fields other than ..." (spec-diff.ts) lays out the
// Go structs after upstream's types.go (go-fields.ts), not the generated schemas' alphabetical
// properties: the table must cover every struct under PodSpec with the schema's fields, and the
// subtrees that were free-form in the hand-written schemas print as the structs they are.
import { describe, it, expect } from 'vitest';
import { schemas as coreV1 } from '../../src/api/generated/core/v1.js';
import type { Schema } from '../../src/apimachinery/schema.js';
import { GO_FIELDS } from '../../src/registry/pod/go-fields.js';
import { podSpecDiff } from '../../src/registry/pod/spec-diff.js';

/** The Go name spec-diff gives a definition: core.X or v1.X (meta). */
const goName = (n: string) =>
  n.startsWith('io.k8s.api.core.v1.')
    ? `core.${n.slice(19)}`
    : n.startsWith('io.k8s.apimachinery.pkg.apis.meta.v1.')
      ? `v1.${n.slice(37)}`
      : n;

/** The JSON names of a table entry, embedded structs expanded. */
function jsonNames(name: string): string[] {
  return GO_FIELDS[name]!.split(' ').flatMap((f) => {
    if (f.startsWith('...')) return jsonNames(`${name.slice(0, name.indexOf('.'))}.${f.slice(3)}`);
    const [go, json] = f.split(':') as [string, string?];
    return [json ?? go.charAt(0).toLowerCase() + go.slice(1)];
  });
}

describe('spec-diff Go layout (go-fields.ts)', () => {
  it('covers every struct under PodSpec, EphemeralContainer and PodSecurityContext with exactly its fields', () => {
    const seen = new Set<Schema>();
    const structs: string[] = [];
    const walk = (s: Schema | undefined): void => {
      if (!s || seen.has(s)) return;
      seen.add(s);
      const name = s['x-tinykube-name'];
      if (name && s.properties) {
        structs.push(name);
        const go = goName(name);
        expect(GO_FIELDS[go], go).toBeDefined();
        expect(jsonNames(go).sort(), go).toEqual(Object.keys(s.properties).sort());
      }
      for (const p of Object.values(s.properties ?? {})) walk(p);
      walk(s.items);
      if (typeof s.additionalProperties === 'object') walk(s.additionalProperties);
    };
    walk(coreV1.PodSpec);
    walk(coreV1.EphemeralContainer);
    walk(coreV1.PodSecurityContext);
    expect(structs.length).toBeGreaterThan(100);
  });

  const base = {
    containers: [{ name: 'c', image: 'busybox' }],
    restartPolicy: 'Always',
    dnsPolicy: 'ClusterFirst',
    terminationGracePeriodSeconds: 30,
    affinity: {
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [
          { topologyKey: 'zone', labelSelector: { matchLabels: { app: 'x' }, matchExpressions: [{ key: 'k', operator: 'Exists' }] } },
        ],
      },
    },
  };

  it('prints affinity as its structs, fields in Go order (MatchLabels before MatchExpressions)', () => {
    const next = structuredClone(base);
    next.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]!.topologyKey = 'host';
    expect(podSpecDiff(base, next).trimEnd().split('\n')).toEqual([
      '  core.PodSpec{',
      '  \t... // 15 identical fields',
      '  \tSubdomain:         "",',
      '  \tSetHostnameAsFQDN: nil,',
      '  \tAffinity: &core.Affinity{',
      '  \t\tNodeAffinity: nil,',
      '  \t\tPodAffinity:  nil,',
      '  \t\tPodAntiAffinity: &core.PodAntiAffinity{',
      '  \t\t\tRequiredDuringSchedulingIgnoredDuringExecution: []core.PodAffinityTerm{',
      '  \t\t\t\t{',
      '  \t\t\t\t\tLabelSelector:     &{MatchLabels: {"app": "x"}, MatchExpressions: {{Key: "k", Operator: "Exists"}}},',
      '  \t\t\t\t\tNamespaces:        nil,',
      '- \t\t\t\t\tTopologyKey:       "zone",',
      '+ \t\t\t\t\tTopologyKey:       "host",',
      '  \t\t\t\t\tNamespaceSelector: nil,',
      '  \t\t\t\t\tMatchLabelKeys:    nil,',
      '  \t\t\t\t\tMismatchLabelKeys: nil,',
      '  \t\t\t\t},',
      '  \t\t\t},',
      '  \t\t\tPreferredDuringSchedulingIgnoredDuringExecution: nil,',
      '  \t\t},',
      '  \t},',
      '  \tSchedulerName: "",',
      '  \tTolerations:   nil,',
      '  \t... // 14 identical fields',
      '  }',
    ]);
  });

  it('prints a volume source as its struct', () => {
    const v = { ...structuredClone(base), volumes: [{ name: 'n', nfs: { server: 's', path: '/x' } as Record<string, unknown> }] };
    const next = structuredClone(v);
    next.volumes[0]!.nfs.readOnly = true;
    expect(podSpecDiff(v, next).trimEnd().split('\n')).toEqual([
      '  core.PodSpec{',
      '  \tVolumes: []core.Volume{',
      '  \t\t{',
      '  \t\t\tName: "n",',
      '  \t\t\tVolumeSource: core.VolumeSource{',
      '  \t\t\t\t... // 4 identical fields',
      '  \t\t\t\tGitRepo: nil,',
      '  \t\t\t\tSecret:  nil,',
      '  \t\t\t\tNFS: &core.NFSVolumeSource{',
      '  \t\t\t\t\tServer:   "s",',
      '  \t\t\t\t\tPath:     "/x",',
      '- \t\t\t\t\tReadOnly: false,',
      '+ \t\t\t\t\tReadOnly: true,',
      '  \t\t\t\t},',
      '  \t\t\t\tISCSI:     nil,',
      '  \t\t\t\tGlusterfs: nil,',
      '  \t\t\t\t... // 21 identical fields',
      '  \t\t\t},',
      '  \t\t},',
      '  \t},',
      '  \tInitContainers: nil,',
      '  \tContainers:     {{Name: "c", Image: "busybox"}},',
      '  \t... // 31 identical fields',
      '  }',
    ]);
  });
});
