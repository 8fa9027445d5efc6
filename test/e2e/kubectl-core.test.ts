// What upstream's kubectl command tests (kubernetes test/cmd/core.sh) check of the kinds tinykube
// serves, driven through kubectl v1.32: pod templates, pods (get forms, describe, delete modes,
// label/annotate/patch/replace), secrets and configmaps, services, namespaces and nodes. Our own
// test, written from the behaviours that script asserts; the first group failed before tinykube
// served PodTemplates, left containerID out of never-created containers and re-ran the Priority
// and DefaultTolerationSeconds admission on Pod updates.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCluster, writeTemp, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';
import { loadOrCreatePKI } from '../../src/pki/certs.js';

let tc: TestCluster;
const NODE = '127.0.0.1';
beforeAll(async () => {
  // core.sh's node is called 127.0.0.1.
  tc = await startTestCluster({ nodeName: NODE });
});
afterAll(async () => {
  await tc?.stop();
});

const k = (args: string[], o: { input?: string; env?: Record<string, string> } = {}) => tc.kubectl(args, o);
const fails = async (args: string[], o: { input?: string; env?: Record<string, string> } = {}) => {
  const r = await tc.kubectl(args, { ...o, allowFail: true });
  expect(r.code, `kubectl ${args.join(' ')} should fail`).not.toBe(0);
  return `${r.stdout}${r.stderr}`;
};
/** kube::test::get_object_assert: `kubectl get … -o go-template=…`. */
const tmpl = async (args: string[], template: string) => (await k(['get', ...args, '-o', `go-template=${template}`])).stdout;
const names = (ns: string, res = 'pods') => tmpl([res, '-n', ns], '{{range.items}}{{.metadata.name}}:{{end}}');
const json = async (args: string[]) => JSON.parse((await k(['get', ...args, '-o', 'json'])).stdout);
const managers = async (args: string[]) => (await k(['get', ...args, '-o', 'jsonpath={.metadata.managedFields[*].manager}'])).stdout;
/** The requests `kubectl -v=6` logs (kube::test::describe_resource_chunk_size_assert reads these). */
const requestLog = async (args: string[]) => (await k([...args, '-v=6'])).stderr;
let nsCount = 0;
const newNamespace = async () => {
  const ns = `core-${++nsCount}`;
  await k(['create', 'namespace', ns]);
  return ns;
};

// Upstream's fixtures, as core.sh uses them.
const VALID_POD = `apiVersion: v1
kind: Pod
metadata:
  name: valid-pod
  labels:
    name: valid-pod
spec:
  containers:
  - name: kubernetes-serve-hostname
    image: registry.k8s.io/serve_hostname
    resources:
      limits:
        cpu: "1"
        memory: 512Mi
`;
const POD_TEMPLATE = JSON.stringify({
  apiVersion: 'v1',
  kind: 'PodTemplate',
  metadata: { name: 'nginx' },
  template: {
    metadata: { labels: { name: 'nginx' }, generateName: 'nginx-' },
    spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80 }] }] },
  },
});
const REDIS_MASTER_SVC = `apiVersion: v1
kind: Service
metadata:
  name: redis-master
  labels: {app: redis, role: master, tier: backend}
spec:
  ports:
  - port: 6379
    targetPort: 6379
  selector: {app: redis, role: master, tier: backend}
`;

describe('run_pod_templates_tests', () => {
  it('creates, prints, describes (in chunks) and deletes a PodTemplate', async () => {
    const ns = await newNamespace();
    expect(await names(ns, 'podtemplates')).toBe('');
    const file = writeTemp(tc.dir, 'podtemplate.json', POD_TEMPLATE);
    expect((await k(['create', '-n', ns, '-f', file])).stdout.trim()).toBe('podtemplate/nginx created');
    expect(await names(ns, 'podtemplates')).toBe('nginx:');
    const table = (await k(['get', 'podtemplates', '-n', ns])).stdout
      .trim()
      .split('\n')
      .map((l) => l.split(/\s{2,}/));
    expect(table).toEqual([
      ['NAME', 'CONTAINERS', 'IMAGES', 'POD LABELS'],
      ['nginx', 'nginx', 'nginx', 'name=nginx'],
    ]);
    expect((await k(['get', 'podtemplates', '-n', ns, '-o', 'yaml'])).stdout).toContain('image: nginx');
    // kubectl describe lists the template and then its events, both in chunks of 500 (or --chunk-size).
    const described = await requestLog(['describe', 'podtemplates', '-n', ns, '--show-events=true']);
    expect(described).toMatch(/podtemplates\?.*limit=500/);
    expect(described).toMatch(/events\?.*limit=500/);
    expect(await requestLog(['describe', 'podtemplates', '-n', ns, '--show-events=false', '--chunk-size=10'])).toMatch(
      /podtemplates\?limit=10/,
    );
    expect((await k(['delete', 'podtemplate', 'nginx', '-n', ns])).stdout.trim()).toBe('podtemplate "nginx" deleted');
    expect(await names(ns, 'podtemplate')).toBe('');
  });

  it("keeps a template's own defaults: no Pod admission, requests or service links; generation follows the template", async () => {
    const ns = await newNamespace();
    const pt = {
      apiVersion: 'v1',
      kind: 'PodTemplate',
      metadata: { name: 'web' },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          serviceAccount: 'builder',
          hostNetwork: true,
          containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } }],
        },
      },
    };
    await k(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(pt) });
    const got = await json(['podtemplate', 'web', '-n', ns]);
    expect(got.metadata.generation).toBe(1);
    // Go prints the template's zero creationTimestamp as null.
    expect(got.template.metadata).toEqual({ creationTimestamp: null, labels: { app: 'web' } });
    expect(got.template.spec).toEqual({
      containers: [
        {
          name: 'web',
          image: 'web:1',
          imagePullPolicy: 'IfNotPresent',
          // SetDefaults_Pod's host port and requests are a Pod's only.
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          resources: { limits: { cpu: '1' } },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      hostNetwork: true,
      dnsPolicy: 'ClusterFirst',
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'builder',
      serviceAccountName: 'builder',
      terminationGracePeriodSeconds: 30,
    });
    await k(['label', 'podtemplate', 'web', '-n', ns, 'tier=front']);
    expect((await json(['podtemplate', 'web', '-n', ns])).metadata.generation).toBe(1);
    await k(['patch', 'podtemplate', 'web', '-n', ns, '-p', '{"template":{"spec":{"containers":[{"name":"web","image":"web:2"}]}}}']);
    const patched = await json(['podtemplate', 'web', '-n', ns]);
    expect(patched.metadata.generation).toBe(2);
    expect(patched.template.spec.containers[0].image).toBe('web:2');
  });

  it("validates the template as upstream's ValidatePodTemplateSpec", async () => {
    const ns = await newNamespace();
    const bad = {
      apiVersion: 'v1',
      kind: 'PodTemplate',
      metadata: { name: 'bad' },
      template: {
        metadata: { labels: { 'bad key': 'x' } },
        spec: { restartPolicy: 'Sometimes', containers: [{ name: 'c', image: 'c' }], ephemeralContainers: [{ name: 'e', image: 'e' }] },
      },
    };
    const out = await fails(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(bad) });
    expect(out).toContain('The PodTemplate "bad" is invalid');
    expect(out).toContain('template.labels: Invalid value: "bad key": name part must consist of alphanumeric characters');
    expect(out).toContain('template.spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"');
    expect(out).toContain('template.spec.ephemeralContainers: Forbidden: ephemeral containers not allowed in pod template');
    const empty = await fails(['create', '-n', ns, '-f', '-'], {
      input: JSON.stringify({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'empty' } }),
    });
    expect(empty).toContain('The PodTemplate "empty" is invalid: template.spec.containers: Required value');
  });
});

describe('run_pod_tests', () => {
  it('a container that was never created has no container ID', async () => {
    const ns = await newNamespace();
    await k(['create', '-n', ns, '-f', writeTemp(tc.dir, 'valid-pod.yaml', VALID_POD)]);
    // Its image (serve_hostname) is in no image map and it has no command: it waits as in a
    // cluster that cannot pull the image.
    await until(async () =>
      /^(ErrImagePull|ImagePullBackOff)$/.test(
        (await json(['pod', 'valid-pod', '-n', ns])).status?.containerStatuses?.[0]?.state?.waiting?.reason,
      ),
    );
    const status = (await json(['pod', 'valid-pod', '-n', ns])).status.containerStatuses[0];
    expect(status).not.toHaveProperty('containerID');
    expect((await k(['describe', 'pod', 'valid-pod', '-n', ns])).stdout).toMatch(/^ {4}Container ID:\s*$/m);
  });

  it('replace -f of a Pod manifest keeps what admission gave the Pod on create (save-config too)', async () => {
    const ns = await newNamespace();
    const manifest = (label: string) => `apiVersion: v1
kind: Pod
metadata:
  name: pinned
  labels: {name: ${label}}
spec:
  nodeName: ${NODE}
  serviceAccountName: default
  automountServiceAccountToken: false
  containers:
  - name: c
    image: c
`;
    await k(['create', '-n', ns, '-f', writeTemp(tc.dir, 'pinned.yaml', manifest('one'))]);
    const file = writeTemp(tc.dir, 'pinned.yaml', manifest('two'));
    expect((await k(['replace', '-n', ns, '-f', file, '--save-config'])).stdout.trim()).toBe('pod/pinned replaced');
    const pod = await json(['pod', 'pinned', '-n', ns]);
    expect(pod.metadata.labels).toEqual({ name: 'two' });
    expect(pod.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"two"');
    expect(pod.spec).toMatchObject({ priority: 0, preemptionPolicy: 'PreemptLowerPriority' });
    expect(pod.spec.tolerations.map((t: { key: string }) => t.key)).toEqual([
      'node.kubernetes.io/not-ready',
      'node.kubernetes.io/unreachable',
    ]);
  });

  it('gets, describes and deletes valid-pod the ways core.sh does', async () => {
    const ns = await newNamespace();
    const file = writeTemp(tc.dir, 'valid-pod.yaml', VALID_POD);
    await k(['create', '-n', ns, '-f', file]);
    for (const form of [['pod', 'valid-pod'], ['pod/valid-pod'], ['pods/valid-pod']]) {
      expect(await tmpl([...form, '-n', ns], '{{.metadata.name}}')).toBe('valid-pod');
      expect((await k(['get', ...form, '-n', ns, '-o', 'jsonpath={.metadata.name}'])).stdout).toBe('valid-pod');
    }
    expect(await managers(['--show-managed-fields', '-n', ns, '-f', file])).toContain('kubectl-create');
    const described = (await k(['describe', 'pods', 'valid-pod', '-n', ns])).stdout;
    for (const s of ['Name:', 'Image:', 'Node:', 'Labels:', 'Status:', 'Events:']) expect(described).toContain(s);
    expect((await k(['describe', 'pods', '-n', ns, '--show-events=false'])).stdout).not.toMatch(/Events:|No events\./);
    const chunks = await requestLog(['describe', 'pods', '-n', ns, '--show-events=true']);
    expect(chunks).toMatch(/pods\?.*limit=500/);
    expect(chunks).toMatch(/events\?.*limit=500/);
    expect(await requestLog(['describe', 'pods', '-n', ns, '--show-events=false', '--chunk-size=10'])).toMatch(/pods\?limit=10/);
    // Field selectors, then deletions that must not happen.
    expect((await k(['get', 'pods', '-n', ns, '--field-selector', 'metadata.name=valid-pod'])).stdout).toContain('valid-pod');
    const phase = await tmpl(['pod', 'valid-pod', '-n', ns], '{{ .status.phase }}');
    expect((await k(['get', 'pods', '-n', ns, '--field-selector', `status.phase=${phase}`])).stdout).toContain('valid-pod');
    expect(await fails(['delete', 'pods', '-n', ns])).toContain('resource(s) were provided, but no name was specified');
    expect(await fails(['delete', '--all', 'pods', '-n', ns, '-l', 'name in (valid-pod)'])).toContain(
      "setting 'all' parameter but found a non empty selector",
    );
    expect(await names(ns)).toBe('valid-pod:');
    // Forced, --now, and --grace-period=0 without --force (kubectl waits for it).
    await k(['delete', 'pod', 'valid-pod', '-n', ns, '--grace-period=0', '--force']);
    expect(await names(ns)).toBe('');
    await k(['create', '-n', ns, '-f', file]);
    await k(['delete', 'pod', 'valid-pod', '-n', ns, '--now']);
    expect(await names(ns)).toBe('');
    await k(['create', '-n', ns, '-f', file]);
    await k(['delete', 'pod', 'valid-pod', '-n', ns, '--grace-period=0']);
    expect(await names(ns)).toBe('');
    // A dumped Pod (minus its namespace) creates again elsewhere.
    await k(['create', '-n', ns, '-f', file]);
    const dump = (await k(['get', 'pod', 'valid-pod', '-n', ns, '-o', 'yaml'])).stdout.replace(/^\s*namespace:.*$/m, '');
    const other = await newNamespace();
    await k(['create', '-n', other, '-f', '-'], { input: dump });
    expect(await names(other)).toBe('valid-pod:');
    await k(['delete', 'pods', '-n', other, '-l', 'name in (valid-pod)', '--grace-period=0', '--force']);
    expect(await names(other)).toBe('');
  });

  it('labels and annotates (dry runs change nothing, empty values, --record)', async () => {
    const ns = await newNamespace();
    await k(['create', '-n', ns, '-f', writeTemp(tc.dir, 'valid-pod.yaml', VALID_POD)]);
    const labels = () => tmpl(['pod', 'valid-pod', '-n', ns], '{{range.metadata.labels}}{{.}}:{{end}}');
    expect((await k(['label', 'pods', 'valid-pod', '-n', ns, 'new-name=new-valid-pod', '--dry-run=server'])).stdout.trim()).toBe(
      'pod/valid-pod labeled (server dry run)',
    );
    await k(['label', 'pods', 'valid-pod', '-n', ns, 'new-name=new-valid-pod', '--dry-run=client']);
    expect(await labels()).toBe('valid-pod:');
    await k(['label', 'pods', 'valid-pod', '-n', ns, 'new-name=new-valid-pod']);
    expect(await labels()).toBe('valid-pod:new-valid-pod:');
    await k(['label', 'pods', 'valid-pod', '-n', ns, 'emptylabel=']);
    expect(await tmpl(['pod', 'valid-pod', '-n', ns], '{{.metadata.labels.emptylabel}}')).toBe('');
    await k(['annotate', 'pods', 'valid-pod', '-n', ns, 'emptyannotation=', '--dry-run=server']);
    expect(await tmpl(['pod', 'valid-pod', '-n', ns], '{{.metadata.annotations.emptyannotation}}')).toBe('<no value>');
    await k(['annotate', 'pods', 'valid-pod', '-n', ns, 'emptyannotation=']);
    expect(await tmpl(['pod', 'valid-pod', '-n', ns], '{{.metadata.annotations.emptyannotation}}')).toBe('');
    expect(await managers(['pod', 'valid-pod', '-n', ns])).toContain('kubectl-annotate');
    await k(['label', 'pods', 'valid-pod', '-n', ns, 'record-change=true', '--record=true']);
    expect(await tmpl(['pod', 'valid-pod', '-n', ns], '{{range.metadata.annotations}}{{.}}:{{end}}')).toMatch(/--record=true/);
    expect(await managers(['pod', 'valid-pod', '-n', ns])).toContain('kubectl-label');
    expect(await fails(['label', 'pods', 'valid-pod', '-n', ns, 'name=valid-pod-super-sayan'])).toContain(
      "'name' already has a value (valid-pod), and --overwrite is false",
    );
    await k(['label', '--overwrite', 'pods', '--all', '-n', ns, 'name=valid-pod-super-sayan']);
    expect(await tmpl(['pod', 'valid-pod', '-n', ns], '{{.metadata.labels.name}}')).toBe('valid-pod-super-sayan');
  });

  it('patches: precision, no-op, types, YAML, resourceVersion preconditions; replace --force; edit', async () => {
    const ns = await newNamespace();
    const precision = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'pod-with-precision' },
      spec: {
        activeDeadlineSeconds: 2147483647,
        containers: [{ name: 'kubernetes-pause', image: 'registry.k8s.io/pause:3.5' }],
        restartPolicy: 'Never',
        securityContext: { supplementalGroups: [0, 1000030003, 2147483647] },
      },
    };
    await k(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(precision) });
    await k(['patch', 'pod', 'pod-with-precision', '-n', ns, '-p', '{"metadata":{"annotations":{"patchkey": "patchvalue"}}}']);
    const p = await json(['pod', 'pod-with-precision', '-n', ns]);
    expect(p.metadata.annotations.patchkey).toBe('patchvalue');
    expect(p.spec.activeDeadlineSeconds).toBe(2147483647);
    expect(p.spec.securityContext.supplementalGroups).toEqual([0, 1000030003, 2147483647]);

    await k(['create', '-n', ns, '-f', writeTemp(tc.dir, 'valid-pod.yaml', VALID_POD)]);
    const image = () => tmpl(['pod', 'valid-pod', '-n', ns], '{{(index .spec.containers 0).image}}');
    expect((await k(['patch', 'pod', 'valid-pod', '-n', ns, '-p', '{"metadata":{"labels":{"name":"valid-pod"}}}'])).stdout).toContain(
      'patched (no change)',
    );
    await k([
      'patch',
      'pod',
      'valid-pod',
      '-n',
      ns,
      '--record',
      '-p',
      '{"spec":{"containers":[{"name": "kubernetes-serve-hostname", "image": "nginx"}]}}',
    ]);
    expect(await image()).toBe('nginx');
    expect(await tmpl(['pod', 'valid-pod', '-n', ns], '{{range.metadata.annotations}}{{.}}:{{end}}')).toMatch(
      /kubectl patch pod valid-pod/,
    );
    await k([
      'patch',
      'pod',
      'valid-pod',
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op": "replace", "path": "/spec/containers/0/image", "value":"nginx2"}]',
    ]);
    expect(await image()).toBe('nginx2');
    await k([
      'patch',
      'pod',
      'valid-pod',
      '-n',
      ns,
      '--dry-run=server',
      '-p',
      '{"spec":{"containers":[{"name": "kubernetes-serve-hostname", "image": "not-nginx"}]}}',
    ]);
    expect(await image()).toBe('nginx2');
    await k([
      'patch',
      'pod',
      'valid-pod',
      '-n',
      ns,
      '-p',
      'spec:\n  containers:\n  - name: kubernetes-serve-hostname\n    image: changed-with-yaml\n',
    ]);
    expect(await image()).toBe('changed-with-yaml');
    expect(await managers(['pod', 'valid-pod', '-n', ns])).toContain('kubectl-patch');
    // resourceVersion in a patch is a precondition.
    const rv = await tmpl(['pod', 'valid-pod', '-n', ns], '{{ .metadata.resourceVersion }}');
    const withRV = (v: string) =>
      JSON.stringify({ spec: { containers: [{ name: 'kubernetes-serve-hostname', image: 'nginx' }] }, metadata: { resourceVersion: v } });
    await k(['patch', 'pod', 'valid-pod', '-n', ns, '-p', withRV(rv)]);
    expect(await image()).toBe('nginx');
    const stale = String(Number(await tmpl(['pod', 'valid-pod', '-n', ns], '{{ .metadata.resourceVersion }}')) + 100);
    expect(await fails(['patch', 'pod', 'valid-pod', '-n', ns, '-p', withRV(stale)])).toContain(
      'please apply your changes to the latest version and try again',
    );
    // replace --force recreates with another container name; --grace-period and --timeout need --force.
    const renamed = (await k(['get', 'pod', 'valid-pod', '-n', ns, '-o', 'json'])).stdout.replaceAll(
      '"kubernetes-serve-hostname"',
      '"replaced-k8s-serve-hostname"',
    );
    const renamedFile = writeTemp(tc.dir, 'valid-pod-renamed.json', renamed);
    await k(['replace', '-n', ns, '--force', '-f', renamedFile]);
    expect(await tmpl(['pod', 'valid-pod', '-n', ns], '{{(index .spec.containers 0).name}}')).toBe('replaced-k8s-serve-hostname');
    expect(await managers(['pod', 'valid-pod', '-n', ns])).toContain('kubectl-replace');
    expect(await fails(['replace', '-n', ns, '--grace-period=1', '-f', renamedFile])).toContain(
      '--grace-period must have --force specified',
    );
    expect(await fails(['replace', '-n', ns, '--timeout=1s', '-f', renamedFile])).toContain('--timeout must have --force specified');
    // kubectl edit with a scripted editor.
    const editor = writeTemp(
      tc.dir,
      'editor.sh',
      '#!/usr/bin/env bash\nsed -i "s/image: nginx/image: k8s.gcr.io\\/serve_hostname/g" "$1"\n',
    );
    chmodSync(editor, 0o755);
    expect((await k(['edit', 'pods/valid-pod', '-n', ns, '--output-patch=true'], { env: { EDITOR: editor } })).stdout).toContain('Patch:');
    expect(await image()).toBe('k8s.gcr.io/serve_hostname');
    expect(await managers(['pod', 'valid-pod', '-n', ns])).toContain('kubectl-edit');
  });

  it('create, replace and apply: only apply and --save-config write last-applied-configuration', async () => {
    const ns = await newNamespace();
    const pod = (label: string, image: string) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: test-pod\n  labels:\n    name: ${label}\nspec:\n  containers:\n  - name: kubernetes-pause\n    image: ${image}\n`;
    await k(['create', '-n', ns, '-f', writeTemp(tc.dir, 'pod.yaml', pod('test-pod-label', 'k8s.gcr.io/pause:2.0'))]);
    const yaml = async () => (await k(['get', 'pods', 'test-pod', '-n', ns, '-o', 'yaml'])).stdout;
    expect(await yaml()).not.toContain('last-applied-configuration');
    await k([
      'replace',
      '-n',
      ns,
      '-f',
      writeTemp(tc.dir, 'pod-replace.yaml', (await yaml()).replaceAll('test-pod-label', 'test-pod-replaced')),
    ]);
    expect(await tmpl(['pods', 'test-pod', '-n', ns], '{{.metadata.labels.name}}')).toBe('test-pod-replaced');
    expect(await yaml()).not.toContain('last-applied-configuration');
    await k(['apply', '-n', ns, '-f', writeTemp(tc.dir, 'pod-apply.yaml', pod('test-pod-applied', 'k8s.gcr.io/pause:3.4.1'))]);
    expect(await tmpl(['pods', 'test-pod', '-n', ns], '{{.metadata.labels.name}}')).toBe('test-pod-applied');
    expect(await yaml()).toContain('last-applied-configuration');
  });
});

describe('run_secrets_test, run_create_secret_tests, run_configmap_tests', () => {
  it('creates generic, docker-registry, tls and stringData secrets', async () => {
    const ns = await newNamespace();
    await k(['create', 'secret', 'generic', 'test-secret', '--from-literal=key1=value1', '--type=test-type', '-n', ns]);
    expect(await tmpl(['secret/test-secret', '-n', ns], '{{.type}}')).toBe('test-type');
    expect((await k(['get', 'secret/test-secret', '-n', ns, '-o', 'yaml'])).stdout).toContain('key1: dmFsdWUx');
    const chunks = await requestLog(['describe', 'secrets', '-n', ns, '--show-events=true']);
    expect(chunks).toMatch(/secrets\?.*limit=500/);
    await k(['delete', 'secret', 'test-secret', '-n', ns]);
    await k([
      'create',
      'secret',
      'docker-registry',
      'test-secret',
      '--docker-username=test-user',
      '--docker-password=test-password',
      '--docker-email=test-user@test.com',
      '-n',
      ns,
    ]);
    expect(await tmpl(['secret/test-secret', '-n', ns], '{{.type}}')).toBe('kubernetes.io/dockerconfigjson');
    expect((await k(['get', 'secret/test-secret', '-n', ns, '-o', 'yaml'])).stdout).toContain(
      '.dockerconfigjson: eyJhdXRocyI6eyJodHRwczovL2luZGV4LmRvY2tlci5pby92MS8iOnsidXNlcm5hbWUiOiJ0ZXN0LXVzZXIiLCJwYXNzd29yZCI6InRlc3QtcGFzc3dvcmQiLCJlbWFpbCI6InRlc3QtdXNlckB0ZXN0LmNvbSIsImF1dGgiOiJkR1Z6ZEMxMWMyVnlPblJsYzNRdGNHRnpjM2R2Y21RPSJ9fX0=',
    );
    await k(['delete', 'secret', 'test-secret', '-n', ns]);
    const pki = await loadOrCreatePKI(undefined, { ips: ['127.0.0.1'], dns: ['core.test'] });
    const cert = writeTemp(tc.dir, 'tls.crt', pki.certPem);
    const key = writeTemp(tc.dir, 'tls.key', pki.keyPem);
    await k(['create', 'secret', 'tls', 'test-secret', '-n', ns, `--key=${key}`, `--cert=${cert}`]);
    expect(await tmpl(['secret/test-secret', '-n', ns], '{{.type}}')).toBe('kubernetes.io/tls');
    await k(['delete', 'secret', 'test-secret', '-n', ns]);
    // The server checks a tls secret's keys.
    const tls = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls' }, type: 'kubernetes.io/tls', data: { 'tls.crt': '' } };
    expect(await fails(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(tls) })).toContain('data[tls.key]: Required value');
    const stringData = {
      kind: 'Secret',
      apiVersion: 'v1',
      metadata: { name: 'secret-string-data' },
      data: { k1: 'djE=', k2: '' },
      stringData: { k2: 'v2' },
    };
    await k(['create', '-n', ns, '-f', '-'], { input: JSON.stringify(stringData) });
    const s = await json(['secret/secret-string-data', '-n', ns]);
    expect(s.data).toEqual({ k1: 'djE=', k2: 'djI=' });
    expect(s).not.toHaveProperty('stringData');
    expect(
      (
        await k([
          'create',
          'secret',
          'generic',
          'out',
          '-n',
          ns,
          '--from-literal=key1=value1',
          '--output=go-template',
          '--template={{.metadata.name}}:',
        ])
      ).stdout,
    ).toBe('out:');
  });

  it('creates, replaces and deletes through --raw', async () => {
    const cm = (await k(['create', 'configmap', 'tester-update-cm', '-o', 'json', '--dry-run=client'])).stdout;
    await k(['create', '--raw', '/api/v1/namespaces/default/configmaps', '-f', '-'], { input: cm });
    const withData = (await k(['create', 'configmap', 'tester-update-cm', '--from-literal=key1=config1', '-o', 'json', '--dry-run=client']))
      .stdout;
    expect(
      (await k(['replace', '--raw', '/api/v1/namespaces/default/configmaps/tester-update-cm', '-f', '-'], { input: withData })).stdout,
    ).toContain('"uid"');
    expect((await k(['get', '--raw', '/api/v1/namespaces/default/configmaps/tester-update-cm'])).stdout).toContain('config1');
    await k(['delete', '--raw', '/api/v1/namespaces/default/configmaps/tester-update-cm']);
    expect(await fails(['get', 'configmap', 'tester-update-cm'])).toContain('configmaps "tester-update-cm" not found');
  });

  it('keeps binary files in binaryData', async () => {
    const ns = await newNamespace();
    const bin = join(tc.dir, 'random.bin');
    writeFileSync(bin, Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 151 + 7) % 256)));
    await k(['create', 'configmap', 'test-binary-configmap', `--from-file=${bin}`, '-n', ns]);
    expect((await k(['get', 'configmap/test-binary-configmap', '-n', ns, '-o', 'yaml'])).stdout).toContain('binaryData');
    expect(await requestLog(['describe', 'configmaps', '-n', ns, '--show-events=false', '--chunk-size=10'])).toMatch(
      /configmaps\?limit=10/,
    );
  });
});

describe('run_service_tests', () => {
  it('describes a Service, sets its selector (with resourceVersion preconditions), exposes a Pod', async () => {
    const ns = await newNamespace();
    const file = writeTemp(tc.dir, 'redis-master-service.yaml', REDIS_MASTER_SVC);
    await k(['create', '-n', ns, '-f', file]);
    const described = (await k(['describe', 'services', 'redis-master', '-n', ns])).stdout;
    for (const s of ['Name:', 'Labels:', 'Selector:', 'IP:', 'Port:', 'Endpoints:', 'Session Affinity:', 'Events:'])
      expect(described).toContain(s);
    const selector = () => tmpl(['services', 'redis-master', '-n', ns], '{{range.spec.selector}}{{.}}:{{end}}');
    expect(await selector()).toBe('redis:master:backend:');
    await k(['set', 'selector', '-n', ns, '-f', file, 'role=padawan']);
    expect(await selector()).toBe('padawan:');
    await k(['set', 'selector', 'services', 'redis-master', '-n', ns, 'role=master', '--dry-run=server', '-o', 'yaml']);
    expect(await selector()).toBe('padawan:');
    expect(await managers(['services', 'redis-master', '-n', ns])).toContain('kubectl-set');
    const rv = (await k(['get', 'services', 'redis-master', '-n', ns, '-o', 'jsonpath={.metadata.resourceVersion}'])).stdout;
    await k(['set', 'selector', 'services', 'redis-master', '-n', ns, 'rvtest1=true', `--resource-version=${rv}`]);
    expect(await fails(['set', 'selector', 'services', 'redis-master', '-n', ns, 'rvtest1=true', '--resource-version=1'])).toContain(
      'Conflict',
    );
    // A dumped Service creates again; a JSON one replaces itself unchanged.
    const dump = (await k(['get', 'service', 'redis-master', '-n', ns, '-o', 'json'])).stdout;
    await k(['delete', 'service', 'redis-master', '-n', ns]);
    await k(['create', '-n', ns, '-f', '-'], { input: dump });
    expect(await names(ns, 'services')).toBe('redis-master:');
    await k(['replace', '-n', ns, '-f', '-'], { input: (await k(['get', 'service', 'redis-master', '-n', ns, '-o', 'json'])).stdout });
    await k(['create', 'service', 'externalname', 'beep-boop', '--external-name', 'bar.com', '-n', ns, '--dry-run=server']);
    await k(['create', 'service', 'externalname', 'beep-boop', '--external-name', 'bar.com', '-n', ns]);
    expect(await names(ns, 'services')).toBe('beep-boop:redis-master:');
    await k(['run', 'testmetadata', '--image=nginx', '--port=80', '--expose', '-n', ns]);
    expect(await tmpl(['service', 'testmetadata', '-n', ns], '{{(index .spec.ports 0).port}}')).toBe('80');
    expect(await managers(['pod', 'testmetadata', '-n', ns])).toContain('kubectl-run');
    await k([
      'expose',
      'pod',
      'testmetadata',
      '-n',
      ns,
      '--port=1000',
      '--target-port=80',
      '--type=NodePort',
      '--name=exposemetadata',
      '--overrides={ "metadata": { "annotations": { "zone-context": "work" } } } ',
    ]);
    expect(await tmpl(['service', 'exposemetadata', '-n', ns], '{{.metadata.annotations}}')).toBe('map[zone-context:work]');
    expect(await managers(['service', 'exposemetadata', '-n', ns])).toContain('kubectl-expose');
  });
});

describe('run_namespace_tests, run_nodes_tests', () => {
  it('waits for a namespace to go, refuses a name across all namespaces', async () => {
    expect(await fails(['get', 'ns/my-namespace'])).toContain(' not found');
    await k(['create', 'namespace', 'my-namespace', '--dry-run=server']);
    expect(await fails(['get', 'ns/my-namespace'])).toContain(' not found');
    await k(['create', 'namespace', 'my-namespace']);
    expect(await requestLog(['describe', 'namespaces', '--show-events=false', '--chunk-size=10'])).toMatch(/namespaces\?limit=10/);
    await k(['delete', 'namespace', 'my-namespace', '--wait=false']);
    await k(['wait', '--for=delete', 'ns/my-namespace', '--timeout=20s']);
    expect(await fails(['get', 'ns/my-namespace'])).toContain(' not found');
    const ns = await newNamespace();
    await k(['create', '-n', ns, '-f', writeTemp(tc.dir, 'valid-pod.yaml', VALID_POD)]);
    expect(await fails(['get', 'pod', 'valid-pod', '--all-namespaces'])).toContain(
      'a resource cannot be retrieved by name across all namespaces',
    );
  });

  it('describes the node, marks it unschedulable by patch, answers a TokenReview', async () => {
    expect(await tmpl(['nodes'], '{{range.items}}{{.metadata.name}}:{{end}}')).toBe(`${NODE}:`);
    const described = (await k(['describe', 'nodes', NODE])).stdout;
    for (const s of ['Name:', 'Labels:', 'CreationTimestamp:', 'Conditions:', 'Addresses:', 'Capacity:', 'Pods:', 'Events:'])
      expect(described).toContain(s);
    const chunks = await requestLog(['describe', 'nodes', '--show-events=true']);
    for (const r of ['nodes', 'pods', 'events']) expect(chunks).toMatch(new RegExp(`${r}\\?.*limit=500`));
    const unschedulable = () => tmpl(['nodes', NODE], '{{.spec.unschedulable}}');
    expect(await unschedulable()).toBe('<no value>');
    await k(['patch', 'nodes', NODE, '-p', '{"spec":{"unschedulable":true}}']);
    expect(await unschedulable()).toBe('true');
    await k(['patch', 'nodes', NODE, '-p', '{"spec":{"unschedulable":null}}']);
    expect(await unschedulable()).toBe('<no value>');
    const review = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: 'test-token' } });
    expect((await k(['create', '-f', '-', '--validate=false'], { input: review })).stdout.trim()).toBe(
      'tokenreview.authentication.k8s.io/<unknown> created',
    );
  });
});
