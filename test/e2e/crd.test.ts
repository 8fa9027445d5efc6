// CustomResourceDefinitions served as upstream serves them, driven by kubectl v1.32 (and raw
// requests where kubectl hides the response): the CRD's conditions, discovery within the CRD's
// own write, pruning/defaulting/validation with upstream's texts, tables from
// additionalPrinterColumns, the status and scale subresources, several versions with None
// conversion, selectable fields, name conflicts, and deletion (the CRD's objects go first, creates
// are refused meanwhile; a namespace's custom objects go with it).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { api } from '../helpers/http.js';
import { untilPasses } from '../helpers/wait.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

const json = async (args: string[]) => JSON.parse((await tc.kubectl([...args, '-o', 'json'])).stdout);
const fail = async (args: string[], input?: string) => {
  const r = await tc.kubectl(args, { allowFail: true, ...(input ? { input } : {}) });
  expect(r.code).not.toBe(0);
  return r.stderr.trim();
};
const table = async (args: string[]) =>
  (await tc.kubectl(args)).stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split(/\s{2,}/));

const crontabCRD = (extra = '') => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames: [ct]
    categories: [all]
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                cronSpec:
                  type: string
                  pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$'
                image:
                  type: string
                color:
                  type: string
                replicas:
                  type: integer
                  minimum: 1
                  maximum: 10
                  default: 1
            status:
              type: object
              properties:
                replicas:
                  type: integer
                labelSelector:
                  type: string
      selectableFields:
        - jsonPath: .spec.color
      subresources:
        status: {}
        scale:
          specReplicasPath: .spec.replicas
          statusReplicasPath: .status.replicas
          labelSelectorPath: .status.labelSelector
      additionalPrinterColumns:
        - name: Spec
          type: string
          jsonPath: .spec.cronSpec
        - name: Replicas
          type: integer
          jsonPath: .spec.replicas
        - name: Age
          type: date
          jsonPath: .metadata.creationTimestamp
        - name: Image
          type: string
          priority: 1
          jsonPath: .spec.image
${extra}`;

const crontab = (name: string, spec: string) => `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: ${name}
spec:
${spec}`;

describe('CustomResourceDefinitions', () => {
  beforeAll(async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: crontabCRD() });
  });

  it('are accepted and established with upstream’s conditions, and listed in discovery at once', async () => {
    const crd = await json(['get', 'crd', 'crontabs.stable.example.com']);
    expect(crd.metadata.generation).toBe(1);
    expect(crd.status.acceptedNames).toEqual({
      categories: ['all'],
      kind: 'CronTab',
      listKind: 'CronTabList',
      plural: 'crontabs',
      shortNames: ['ct'],
      singular: 'crontab',
    });
    expect(crd.status.storedVersions).toEqual(['v1']);
    expect(
      crd.status.conditions.map((c: { type: string; status: string; reason: string; message: string }) => [
        c.type,
        c.status,
        c.reason,
        c.message,
      ]),
    ).toEqual([
      ['NamesAccepted', 'True', 'NoConflicts', 'no conflicts found'],
      ['Established', 'True', 'InitialNamesAccepted', 'the initial names have been accepted'],
    ]);
    const list = (await api(tc.cluster, 'GET', '/apis/stable.example.com/v1')).json();
    expect(list.resources.map((r: { name: string }) => r.name)).toEqual(['crontabs', 'crontabs/status', 'crontabs/scale']);
    expect(list.resources[0]).toMatchObject({
      kind: 'CronTab',
      namespaced: true,
      shortNames: ['ct'],
      categories: ['all'],
      singularName: 'crontab',
    });
    expect(list.resources[2]).toMatchObject({ kind: 'Scale', group: 'autoscaling', version: 'v1' });
    const group = (await api(tc.cluster, 'GET', '/apis/stable.example.com')).json();
    expect(group.preferredVersion).toEqual({ groupVersion: 'stable.example.com/v1', version: 'v1' });
    const agg = (
      await api(tc.cluster, 'GET', '/apis', { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' })
    ).json();
    const item = agg.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'stable.example.com');
    expect(item.versions[0].resources[0]).toMatchObject({ resource: 'crontabs', scope: 'Namespaced', shortNames: ['ct'] });
    expect((await tc.kubectl(['api-resources', '--api-group=stable.example.com', '--no-headers'])).stdout).toMatch(
      /^crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab$/m,
    );
  });

  it('are documented in OpenAPI v3 for kubectl explain', async () => {
    const index = (await api(tc.cluster, 'GET', '/openapi/v3')).json();
    expect(index.paths['apis/stable.example.com/v1'].serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/stable\.example\.com\/v1\?hash=[0-9A-F]{128}$/,
    );
    const out = (await tc.kubectl(['explain', 'ct.spec.replicas'])).stdout;
    expect(out).toContain('KIND:       CronTab');
    expect(out).toContain('FIELD: replicas <integer>');
  });

  it('serve objects that are pruned, defaulted and validated as upstream’s', async () => {
    // kubectl's default (fieldValidation=Strict): an unknown field is refused.
    expect(await fail(['apply', '-f', '-'], crontab('strict', '  cronSpec: "* * * * */5"\n  extra: x'))).toBe(
      'Error from server (BadRequest): error when creating "STDIN": CronTab in version "v1" cannot be handled as a CronTab: strict decoding error: unknown field "spec.extra"',
    );
    // Warn: stored without it, with a warning.
    const warned = await tc.kubectl(['create', '--validate=warn', '-f', '-'], {
      input: crontab('warned', '  cronSpec: "* * * * */5"\n  extra: x'),
    });
    expect(warned.stderr).toContain('Warning: unknown field "spec.extra"');
    const obj = await json(['get', 'ct', 'warned']);
    expect(obj.spec).toEqual({ cronSpec: '* * * * */5', replicas: 1 });
    expect(obj.metadata.generation).toBe(1);
    expect(await fail(['apply', '-f', '-'], crontab('bad', '  cronSpec: "hourly"\n  replicas: 50'))).toBe(
      'The CronTab "bad" is invalid: \n' +
        '* spec.cronSpec: Invalid value: "hourly": spec.cronSpec in body should match \'^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$\'\n' +
        '* spec.replicas: Invalid value: 50: spec.replicas in body should be less than or equal to 10',
    );
    const typed = await api(tc.cluster, 'POST', '/apis/stable.example.com/v1/namespaces/default/crontabs', {
      body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'typed' }, spec: { replicas: 'two' } },
    });
    expect(typed.status).toBe(422);
    // The scale subresource's own check of the replicas path follows the schema's, as upstream's.
    expect(typed.json().message).toBe(
      'CronTab.stable.example.com "typed" is invalid: [spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string", .spec.replicas: Invalid value: 0: .spec.replicas accessor error: two is of the type string, expected int64]',
    );
  });

  it('print additionalPrinterColumns, find objects by category, short name and selectable field', async () => {
    await tc.kubectl(['apply', '-f', '-'], {
      input: crontab('blue', '  cronSpec: "*/5 * * * *"\n  image: cron:1\n  color: blue\n  replicas: 2'),
    });
    const rows = await table(['get', 'ct', 'blue']);
    expect(rows[0]).toEqual(['NAME', 'SPEC', 'REPLICAS', 'AGE']);
    expect(rows[1]!.slice(0, 3)).toEqual(['blue', '*/5 * * * *', '2']);
    expect(rows[1]![3]).toMatch(/^\d+s$/);
    expect((await table(['get', 'ct', 'blue', '-o', 'wide']))[0]).toEqual(['NAME', 'SPEC', 'REPLICAS', 'AGE', 'IMAGE']);
    expect((await tc.kubectl(['get', 'all', '-o', 'name'])).stdout).toContain('crontab.stable.example.com/blue');
    expect((await tc.kubectl(['get', 'crontabs', '--field-selector', 'spec.color=blue', '-o', 'name'])).stdout.trim()).toBe(
      'crontab.stable.example.com/blue',
    );
    expect(await fail(['get', 'crontabs', '--field-selector', 'spec.image=cron:1'])).toContain(
      '"spec.image" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it('keep status and spec apart through the status subresource, and scale through the scale subresource', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: crontab('scaled', '  cronSpec: "* * * * *"') });
    // A main-resource write cannot set status; the status subresource can, without a new generation.
    await tc.kubectl(['patch', 'ct', 'scaled', '--type=merge', '-p', '{"status":{"replicas":7}}']);
    expect((await json(['get', 'ct', 'scaled'])).status).toBeUndefined();
    await tc.kubectl([
      'patch',
      'ct',
      'scaled',
      '--subresource=status',
      '--type=merge',
      '-p',
      '{"status":{"replicas":1,"labelSelector":"app=cron"}}',
    ]);
    let o = await json(['get', 'ct', 'scaled']);
    expect(o.status).toEqual({ replicas: 1, labelSelector: 'app=cron' });
    expect(o.metadata.generation).toBe(1);
    await tc.kubectl(['scale', 'ct', 'scaled', '--replicas=3']);
    o = await json(['get', 'ct', 'scaled']);
    expect(o.spec.replicas).toBe(3);
    expect(o.metadata.generation).toBe(2);
    const scale = (await api(tc.cluster, 'GET', '/apis/stable.example.com/v1/namespaces/default/crontabs/scaled/scale')).json();
    expect(scale).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { replicas: 1, selector: 'app=cron' },
    });
    expect(await fail(['scale', 'ct', 'scaled', '--replicas=11'])).toContain('spec.replicas in body should be less than or equal to 10');
  });

  it('refuse strategic merge patches and unconditional updates as upstream', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: crontab('patched', '  cronSpec: "* * * * *"') });
    expect(await fail(['patch', 'ct', 'patched', '-p', '{"spec":{"image":"x"}}'])).toBe(
      'error: application/strategic-merge-patch+json is not supported by stable.example.com/v1, Kind=CronTab: the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
    const put = await api(tc.cluster, 'PUT', '/apis/stable.example.com/v1/namespaces/default/crontabs/patched', {
      body: { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'patched' }, spec: {} },
    });
    expect(put.status).toBe(422);
    expect(put.json().message).toBe(
      'crontabs.stable.example.com "patched" is invalid: metadata.resourceVersion: Invalid value: 0x0: must be specified for an update',
    );
    await tc.kubectl(['apply', '--server-side', '-f', '-'], { input: crontab('patched', '  cronSpec: "* * * * *"\n  image: ssa') });
    const o = await json(['get', 'ct', 'patched', '--show-managed-fields']);
    expect(o.spec.image).toBe('ssa');
    expect(o.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`)).toContain(
      'kubectl/Apply',
    );
  });

  it('are garbage collected with their owners and deleted with their namespace', async () => {
    await tc.kubectl(['create', 'ns', 'cr-ns']);
    const cm = await json(['-n', 'cr-ns', 'create', 'configmap', 'owner']);
    await tc.kubectl(['-n', 'cr-ns', 'apply', '-f', '-'], {
      input: `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: owned
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: ${cm.metadata.uid}}]
spec: {}
`,
    });
    await tc.kubectl(['-n', 'cr-ns', 'apply', '-f', '-'], { input: crontab('free', '  image: x') });
    await tc.kubectl(['-n', 'cr-ns', 'delete', 'configmap', 'owner']);
    await untilPasses(async () =>
      expect((await tc.kubectl(['-n', 'cr-ns', 'get', 'ct', '-o', 'name'])).stdout.trim()).toBe('crontab.stable.example.com/free'),
    );
    await tc.kubectl(['delete', 'ns', 'cr-ns', '--wait=true']);
    expect((await tc.kubectl(['get', 'ct', '-A', '-o', 'name'])).stdout).not.toContain('free');
  });
});

describe('several versions', () => {
  const multi = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.multi.example.com
spec:
  group: multi.example.com
  scope: Cluster
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}, shape: {type: string, default: round}}}
    - name: v1beta1
      served: true
      storage: false
      deprecated: true
      deprecationWarning: multi.example.com/v1beta1 Widget is going away
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
`;

  it('share one storage with None conversion; each version prunes and defaults with its own schema', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: multi });
    const created = await tc.kubectl(['create', '-f', '-'], {
      input: 'apiVersion: multi.example.com/v1beta1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n',
    });
    expect(created.stderr).toContain('Warning: multi.example.com/v1beta1 Widget is going away');
    const v1 = (await api(tc.cluster, 'GET', '/apis/multi.example.com/v1/widgets/w')).json();
    expect(v1.apiVersion).toBe('multi.example.com/v1');
    expect(v1.spec).toEqual({ size: 3 });
    const beta = (await api(tc.cluster, 'GET', '/apis/multi.example.com/v1beta1/widgets/w')).json();
    expect(beta.apiVersion).toBe('multi.example.com/v1beta1');
    expect(beta.metadata.uid).toBe(v1.metadata.uid);
    const viaV1 = await tc.kubectl(['create', '-f', '-'], {
      input: 'apiVersion: multi.example.com/v1\nkind: Widget\nmetadata: {name: w2}\nspec: {size: 1}\n',
    });
    expect(viaV1.code).toBe(0);
    expect((await api(tc.cluster, 'GET', '/apis/multi.example.com/v1/widgets/w2')).json().spec).toEqual({ size: 1, shape: 'round' });
    // The preferred version is the first in kube-aware order: v1 before v1beta1.
    expect((await api(tc.cluster, 'GET', '/apis/multi.example.com')).json().versions.map((v: { version: string }) => v.version)).toEqual([
      'v1',
      'v1beta1',
    ]);
  });
});

describe('CRD validation and names', () => {
  it('refuses invalid CRDs with upstream’s 422 texts', async () => {
    const bad = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.bad.example.com
spec:
  group: bad.example.com
  scope: Namespaced
  names: {plural: gadgets, kind: Gadget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          properties:
            spec: {type: object}
`;
    expect(await fail(['apply', '-f', '-'], bad)).toBe(
      'The CustomResourceDefinition "gadgets.bad.example.com" is invalid: spec.validation.openAPIV3Schema.type: Required value: must not be empty at the root',
    );
    const misnamed = bad
      .replace('name: gadgets.bad.example.com', 'name: things.bad.example.com')
      .replace('properties:\n            spec', 'type: object\n          properties:\n            spec');
    expect(await fail(['apply', '-f', '-'], misnamed)).toBe(
      'The CustomResourceDefinition "things.bad.example.com" is invalid: metadata.name: Invalid value: "things.bad.example.com": must be spec.names.plural+"."+spec.group',
    );
  });

  it('does not accept a name another CRD of the group has accepted', async () => {
    const crd = (plural: string, kind: string, short: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.names.example.com
spec:
  group: names.example.com
  scope: Namespaced
  names: {plural: ${plural}, kind: ${kind}, shortNames: [${short}]}
  versions:
    - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
`;
    await tc.kubectl(['apply', '-f', '-'], { input: crd('apples', 'Apple', 'ap') });
    await tc.kubectl(['apply', '-f', '-'], { input: crd('apricots', 'Apricot', 'ap') });
    await untilPasses(async () => {
      const c = await json(['get', 'crd', 'apricots.names.example.com']);
      const names = c.status.conditions.find((x: { type: string }) => x.type === 'NamesAccepted');
      expect([names.status, names.reason, names.message]).toEqual(['False', 'ShortNamesConflict', '"ap" is already in use']);
      expect(c.status.conditions.find((x: { type: string }) => x.type === 'Established')).toMatchObject({
        status: 'False',
        reason: 'NotAccepted',
      });
    });
    expect((await api(tc.cluster, 'GET', '/apis/names.example.com/v1')).json().resources.map((r: { name: string }) => r.name)).toEqual([
      'apples',
    ]);
    // Once the other CRD goes, the name is free and the waiting CRD is established.
    await tc.kubectl(['delete', 'crd', 'apples.names.example.com']);
    await untilPasses(async () => {
      const c = await json(['get', 'crd', 'apricots.names.example.com']);
      expect(c.status.conditions.find((x: { type: string }) => x.type === 'Established').status).toBe('True');
    });
  });
});

describe('deleting a CRD', () => {
  it('deletes its objects first, refusing creates meanwhile, then serves the kind no more', async () => {
    const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gizmos.gone.example.com
spec:
  group: gone.example.com
  scope: Namespaced
  names: {plural: gizmos, kind: Gizmo}
  versions:
    - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
`;
    await tc.kubectl(['apply', '-f', '-'], { input: crd });
    const obj = (name: string, finalizers = '') =>
      `apiVersion: gone.example.com/v1\nkind: Gizmo\nmetadata: {name: ${name}${finalizers ? `, finalizers: [${finalizers}]` : ''}}\n`;
    await tc.kubectl(['apply', '-f', '-'], { input: obj('held', 'example.com/hold') });
    await tc.kubectl(['apply', '-f', '-'], { input: obj('plain') });
    await tc.kubectl(['delete', 'crd', 'gizmos.gone.example.com', '--wait=false']);
    await untilPasses(async () => {
      const c = await json(['get', 'crd', 'gizmos.gone.example.com']);
      expect(c.metadata.finalizers).toEqual(['customresourcecleanup.apiextensions.k8s.io']);
      expect(c.status.conditions.find((x: { type: string }) => x.type === 'Terminating')).toMatchObject({
        status: 'True',
        reason: 'InstanceDeletionInProgress',
        message: 'CustomResource deletion is in progress',
      });
      expect((await tc.kubectl(['get', 'gizmos', '-o', 'name'])).stdout.trim()).toBe('gizmo.gone.example.com/held');
    });
    const refused = await api(tc.cluster, 'POST', '/apis/gone.example.com/v1/namespaces/default/gizmos', {
      body: { apiVersion: 'gone.example.com/v1', kind: 'Gizmo', metadata: { name: 'late' } },
    });
    expect([refused.status, refused.json().reason, refused.json().message]).toEqual([
      405,
      'MethodNotAllowed',
      'create not allowed while custom resource definition is terminating',
    ]);
    await tc.kubectl(['patch', 'gizmo', 'held', '--type=merge', '-p', '{"metadata":{"finalizers":null}}']);
    await untilPasses(async () => {
      expect((await tc.kubectl(['get', 'crd', 'gizmos.gone.example.com'], { allowFail: true })).code).not.toBe(0);
      expect((await api(tc.cluster, 'GET', '/apis/gone.example.com/v1/namespaces/default/gizmos')).status).toBe(404);
    });
    const groups = (await api(tc.cluster, 'GET', '/apis')).json().groups.map((g: { name: string }) => g.name);
    expect(groups).not.toContain('gone.example.com');
  });
});

describe('x-kubernetes-validations', () => {
  const celCRD = (rule: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: quotas.cel.example.com
spec:
  group: cel.example.com
  scope: Namespaced
  names: {plural: quotas, kind: Quota}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-validations:
                - rule: "${rule}"
                  message: min must not exceed max
                - rule: "self.mode == oldSelf.mode"
                  message: mode is immutable
                - rule: "self.name.startsWith('q-')"
                  messageExpression: "'name ' + self.name + ' must start with q-'"
              properties:
                min: {type: integer}
                max: {type: integer}
                mode: {type: string}
                name: {type: string}
`;
  const quota = (spec: string) => `apiVersion: cel.example.com/v1\nkind: Quota\nmetadata: {name: q}\nspec: {${spec}}\n`;

  it('refuses a CRD whose rule does not compile, with cel-go’s text', async () => {
    expect(await fail(['apply', '-f', '-'], celCRD('self.min <= self.nope'))).toBe(
      'The CustomResourceDefinition "quotas.cel.example.com" is invalid: spec.validation.openAPIV3Schema.properties[spec].x-kubernetes-validations[0].rule: Invalid value: apiextensions.ValidationRule{Rule:"self.min <= self.nope", Message:"min must not exceed max", MessageExpression:"", Reason:(*apiextensions.FieldValueErrorReason)(nil), FieldPath:"", OptionalOldSelf:(*bool)(nil)}: compilation failed: ERROR: <input>:1:17: undefined field \'nope\'\n' +
        ' | self.min <= self.nope\n' +
        ' | ................^',
    );
  });

  it('validates custom resources with the rules: messages, messageExpression and transition rules', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: celCRD('self.min <= self.max') });
    expect(await fail(['apply', '-f', '-'], quota('min: 5, max: 1, mode: x, name: bad'))).toBe(
      'The Quota "q" is invalid: \n' +
        '* spec: Invalid value: "object": min must not exceed max\n' +
        '* spec: Invalid value: "object": name bad must start with q-',
    );
    await tc.kubectl(['apply', '-f', '-'], { input: quota('min: 1, max: 5, mode: x, name: q-a') });
    expect(await fail(['patch', 'quota', 'q', '--type=merge', '-p', '{"spec":{"mode":"y"}}'])).toBe(
      'The Quota "q" is invalid: spec: Invalid value: "object": mode is immutable',
    );
    await tc.kubectl(['patch', 'quota', 'q', '--type=merge', '-p', '{"spec":{"max":9}}']);
    expect(JSON.parse((await tc.kubectl(['get', 'quota', 'q', '-o', 'json'])).stdout).spec.max).toBe(9);
  });
});
