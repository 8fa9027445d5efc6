// The parts of PodSpec the hand-written schemas left free-form (affinity and the cloud and network
// volume sources) have upstream's types since the kinds take their schemas from src/api/generated:
// kube-apiserver decodes them into Go structs, so a typo inside one is an unknown field (refused
// by kubectl's default strict validation, a warning with --validate=warn, and never stored), a
// value of the wrong type is a decode error naming the Go field, `kubectl explain` describes
// them, and server-side apply owns their fields one by one. Each test failed while they were
// free-form (accepted and stored as sent; explain showed no fields; one owner for all affinity).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  await tc?.stop();
});

const pod = (name: string, spec: string) => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
spec:
  nodeName: nowhere
  containers:
  - name: c
    image: busybox
${spec}`;

const affinityTypo = (name: string, operator = 'In') =>
  pod(
    name,
    `  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - key: kubernetes.io/os
            operator: ${operator}
            valuess: [linux]
`,
  );

const FIELD = 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].valuess';

describe('affinity and volume sources are typed as upstream', () => {
  it('a typo inside affinity is a strict decoding error for kubectl (strict by default)', async () => {
    const r = await tc.kubectl(['create', '-f', '-'], { input: affinityTypo('strict'), allowFail: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `Error from server (BadRequest): error when creating "STDIN": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "${FIELD}"`,
    );
    const get = await tc.kubectl(['get', 'pod', 'strict'], { allowFail: true });
    expect(get.code).not.toBe(0);
  });

  it('with --validate=warn it is a warning and the field is not stored (nor validated)', async () => {
    const r = await tc.kubectl(['create', '--validate=warn', '-f', '-'], { input: affinityTypo('warned', 'Exists') });
    expect(r.stderr).toContain(`Warning: unknown field "${FIELD}"`);
    const got = JSON.parse((await tc.kubectl(['get', 'pod', 'warned', '-o', 'json'])).stdout);
    expect(got.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchExpressions: [{ key: 'kubernetes.io/os', operator: 'Exists' }] },
    ]);
    // Dropped before validation: `In` without its (misspelt) values is invalid.
    const inv = await tc.kubectl(['create', '--validate=warn', '-f', '-'], { input: affinityTypo('invalid'), allowFail: true });
    expect(inv.stderr).toContain(
      "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
    );
  });

  it('a volume source is checked too: unknown fields and Go types', async () => {
    const nfs = (extra: string) =>
      pod(
        'nfs',
        `  volumes:
  - name: v
    nfs:
      server: srv
      path: /x
${extra}`,
      );
    const typo = await tc.kubectl(['create', '-f', '-'], { input: nfs('      readonly: true\n'), allowFail: true });
    expect(typo.stderr).toContain('strict decoding error: unknown field "spec.volumes[0].nfs.readonly"');
    const type = await tc.kubectl(['create', '-f', '-'], { input: nfs('      readOnly: "yes"\n'), allowFail: true });
    expect(type.stderr).toContain(
      'json: cannot unmarshal string into Go struct field NFSVolumeSource.spec.volumes.nfs.readOnly of type bool',
    );
  });

  it('kubectl explain describes their fields', async () => {
    const out = (await tc.kubectl(['explain', 'pod.spec.affinity.nodeAffinity'])).stdout;
    expect(out).toContain('FIELD: nodeAffinity <NodeAffinity>');
    expect(out).toContain('requiredDuringSchedulingIgnoredDuringExecution\t<NodeSelector>');
    expect((await tc.kubectl(['explain', 'pod.spec.volumes.iscsi.lun'])).stdout).toContain('FIELD: lun <integer>');
  });

  it('server-side apply: two managers own different parts of a template affinity without conflict', async () => {
    const template = (affinity: string) => `apiVersion: v1
kind: PodTemplate
metadata:
  name: t
template:
  spec:
    containers:
    - name: c
      image: busybox
    affinity:
${affinity}`;
    await tc.kubectl(['apply', '--server-side', '--field-manager=a', '-f', '-'], {
      input: template(`      nodeAffinity:
        requiredDuringSchedulingIgnoredDuringExecution:
          nodeSelectorTerms:
          - matchExpressions:
            - {key: a, operator: Exists}
`),
    });
    // Manager b applies only podAntiAffinity (its own containers entry is the same as a's).
    await tc.kubectl(['apply', '--server-side', '--field-manager=b', '-f', '-'], {
      input: template(`      podAntiAffinity:
        preferredDuringSchedulingIgnoredDuringExecution:
        - weight: 10
          podAffinityTerm: {topologyKey: zone}
`),
    });
    const got = JSON.parse((await tc.kubectl(['get', 'podtemplate', 't', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(Object.keys(got.template.spec.affinity).sort()).toEqual(['nodeAffinity', 'podAntiAffinity']);
    const owned = (m: string) =>
      Object.keys(
        got.metadata.managedFields.find((e: { manager: string }) => e.manager === m).fieldsV1['f:template']['f:spec']['f:affinity'],
      );
    expect(owned('a')).toEqual(['f:nodeAffinity']);
    expect(owned('b')).toEqual(['f:podAntiAffinity']);
  });
});
