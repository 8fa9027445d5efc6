// kubectl v1.32 drives a real cluster: every common verb, output parsed and asserted.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startTestCluster, writeTemp, type TestCluster } from '../helpers/cluster.js';
import { inCIDR, nthIP } from '../helpers/ranges.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
});
afterAll(async () => {
  await tc?.stop();
});

const svcYaml = (name: string, extra = '') => `apiVersion: v1
kind: Service
metadata:
  name: ${name}
  labels:
    app: demo
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - protocol: TCP
      port: 80
      targetPort: 9376
${extra}`;

describe('kubectl', () => {
  it('lists api-resources from discovery', async () => {
    const r = await tc.kubectl(['api-resources', '--no-headers']);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    const byName = new Map(rows.map((cols) => [cols[0], cols]));
    expect(byName.get('services')).toEqual(['services', 'svc', 'v1', 'true', 'Service']);
    expect(byName.get('namespaces')).toEqual(['namespaces', 'ns', 'v1', 'false', 'Namespace']);
    expect(byName.get('endpointslices')).toEqual(['endpointslices', 'discovery.k8s.io/v1', 'true', 'EndpointSlice']);
    expect(byName.get('leases')).toEqual(['leases', 'coordination.k8s.io/v1', 'true', 'Lease']);
    for (const n of ['pods', 'nodes', 'endpoints', 'configmaps', 'secrets', 'serviceaccounts', 'events']) expect(byName.has(n)).toBe(true);
  });

  it('has the system namespaces, default service account and the kubernetes Service', async () => {
    const ns = await tc.kubectl(['get', 'ns', '-o', 'name']);
    expect(ns.stdout.trim().split('\n').sort()).toEqual([
      'namespace/default',
      'namespace/kube-node-lease',
      'namespace/kube-public',
      'namespace/kube-system',
    ]);
    const svc = await tc.kubectl(['get', 'svc', 'kubernetes', '-o', 'json']);
    const k = JSON.parse(svc.stdout);
    expect(k.spec.clusterIP).toBe(nthIP(tc.cluster.config.serviceCIDR, 1));
    expect(k.spec.ports).toEqual([{ name: 'https', port: 443, protocol: 'TCP', targetPort: tc.cluster.ports.api }]);
    const eps = await tc.kubectl(['get', 'endpointslice', 'kubernetes', '-o', 'json']);
    const slice = JSON.parse(eps.stdout);
    expect(slice.endpoints[0].addresses).toEqual(['127.0.0.1']);
    expect(slice.ports[0].port).toBe(tc.cluster.ports.api);
    // The namespace's default service account is made by the controller.
    const sa = await tc.kubectl([
      'wait',
      '--for=jsonpath={.metadata.name}=default',
      'serviceaccount/default',
      '-n',
      'kube-public',
      '--timeout=10s',
    ]);
    expect(sa.stdout).toContain('condition met');
  });

  it('applies a Service with strict validation and prints upstream table columns', async () => {
    const file = writeTemp(tc.dir, 'svc.yaml', svcYaml('my-service'));
    const ap = await tc.kubectl(['apply', '-f', file]);
    expect(ap.stdout.trim()).toBe('service/my-service created');
    const again = await tc.kubectl(['apply', '-f', file]);
    expect(again.stdout.trim()).toBe('service/my-service unchanged');
    const get = await tc.kubectl(['get', 'svc', 'my-service']);
    const [head, row] = get.stdout.trim().split('\n');
    expect(head!.split(/\s+/)).toEqual(['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE']);
    const cols = row!.split(/\s+/);
    expect(cols[0]).toBe('my-service');
    expect(cols[1]).toBe('ClusterIP');
    expect(inCIDR(tc.cluster.config.serviceCIDR, cols[2]!), `${cols[2]} in ${tc.cluster.config.serviceCIDR}`).toBe(true);
    expect(cols[3]).toBe('<none>');
    expect(cols[4]).toBe('80/TCP');
    expect(cols[5]).toMatch(/^\d+s$/);
    const wide = await tc.kubectl(['get', 'svc', 'my-service', '-o', 'wide']);
    const [wh, wr] = wide.stdout.trim().split('\n');
    expect(wh!.split(/\s+/).at(-1)).toBe('SELECTOR');
    expect(wr!.split(/\s+/).at(-1)).toBe('app.kubernetes.io/name=MyApp');
    const obj = JSON.parse((await tc.kubectl(['get', 'svc', 'my-service', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(obj.spec).toMatchObject({
      type: 'ClusterIP',
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
      ports: [{ protocol: 'TCP', port: 80, targetPort: 9376 }],
    });
    expect(obj.spec.clusterIPs).toEqual([obj.spec.clusterIP]);
    expect(obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain('"my-service"');
    expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(obj.metadata.managedFields[0].manager).toBe('kubectl-client-side-apply');
  });

  it('rejects unknown fields under strict validation', async () => {
    const file = writeTemp(tc.dir, 'bad.yaml', svcYaml('bad-svc', '  bogus: 1\n'));
    const r = await tc.kubectl(['apply', '-f', file], { allowFail: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('unknown field "spec.bogus"');
  });

  it('reports validation errors like upstream', async () => {
    const file = writeTemp(
      tc.dir,
      'invalid.yaml',
      `apiVersion: v1
kind: Service
metadata:
  name: Bad_Name
spec:
  ports:
    - port: 80
`,
    );
    const r = await tc.kubectl(['apply', '-f', file], { allowFail: true });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The Service "Bad_Name" is invalid');
    expect(r.stderr).toContain('metadata.name: Invalid value: "Bad_Name"');
  });

  it('re-applies a changed manifest with a strategic merge patch', async () => {
    const file = writeTemp(
      tc.dir,
      'svc2.yaml',
      svcYaml('my-service').replace(
        '      targetPort: 9376\n',
        '      targetPort: 9376\n    - name: metrics\n      protocol: TCP\n      port: 9090\n',
      ),
    );
    // two ports need names
    const named = writeTemp(
      tc.dir,
      'svc3.yaml',
      svcYaml('my-service').replace('    - protocol: TCP\n      port: 80', '    - name: http\n      protocol: TCP\n      port: 80') + '',
    );
    await tc.kubectl(['apply', '-f', named]);
    const ap = await tc.kubectl(['apply', '-f', file], { allowFail: true });
    expect(ap.code).not.toBe(0);
    expect(ap.stderr).toContain('spec.ports[0].name: Required value');
    const file2 = writeTemp(
      tc.dir,
      'svc4.yaml',
      svcYaml('my-service').replace(
        '    - protocol: TCP\n      port: 80\n      targetPort: 9376\n',
        '    - name: http\n      protocol: TCP\n      port: 80\n      targetPort: 9376\n    - name: metrics\n      protocol: TCP\n      port: 9090\n',
      ),
    );
    const ok = await tc.kubectl(['apply', '-f', file2]);
    expect(ok.stdout.trim()).toBe('service/my-service configured');
    const obj = JSON.parse((await tc.kubectl(['get', 'svc', 'my-service', '-o', 'json'])).stdout);
    expect(obj.spec.ports.map((p: { name: string; port: number }) => `${p.name}:${p.port}`)).toEqual(['http:80', 'metrics:9090']);
  });

  it('patches with every patch type', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: "1"\n' });
    await tc.kubectl(['patch', 'configmap', 'cfg', '--type=merge', '-p', '{"data":{"b":"2"}}']);
    await tc.kubectl(['patch', 'configmap', 'cfg', '--type=json', '-p', '[{"op":"replace","path":"/data/a","value":"10"}]']);
    await tc.kubectl(['patch', 'configmap', 'cfg', '-p', '{"data":{"c":"3","b":null}}']);
    let cm = JSON.parse((await tc.kubectl(['get', 'cm', 'cfg', '-o', 'json'])).stdout);
    expect(cm.data).toEqual({ a: '10', c: '3' });
    const bad = await tc.kubectl(['patch', 'configmap', 'cfg', '--type=json', '-p', '[{"op":"test","path":"/data/a","value":"nope"}]'], {
      allowFail: true,
    });
    expect(bad.code).not.toBe(0);
    // Server-side apply: a second manager conflicts on a field the first owns.
    const ssa = writeTemp(tc.dir, 'cm-ssa.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  k: one\n');
    const a1 = await tc.kubectl(['apply', '--server-side', '--field-manager=alice', '-f', ssa]);
    expect(a1.stdout.trim()).toBe('configmap/ssa serverside-applied');
    const ssa2 = writeTemp(tc.dir, 'cm-ssa2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  k: two\n');
    const c = await tc.kubectl(['apply', '--server-side', '--field-manager=bob', '-f', ssa2], { allowFail: true });
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('conflict with "alice"');
    await tc.kubectl(['apply', '--server-side', '--field-manager=bob', '--force-conflicts', '-f', ssa2]);
    cm = JSON.parse((await tc.kubectl(['get', 'cm', 'ssa', '-o', 'json', '--show-managed-fields'])).stdout);
    expect(cm.data).toEqual({ k: 'two' });
    const managers = cm.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`);
    expect(managers).toContain('bob/Apply');
  });

  it('server-side applies a Deployment twice whose ports name no protocol (keyed by its default TCP)', async () => {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: ssa-ports}
spec:
  selector: {matchLabels: {app: ssa-ports}}
  template:
    metadata: {labels: {app: ssa-ports}}
    spec:
      containers:
      - name: c
        image: registry.k8s.io/pause:3.10
        ports: [{name: http, containerPort: 8080}]
`;
    await tc.kubectl(['apply', '--server-side', '-f', '-'], { input: manifest });
    const again = await tc.kubectl(['apply', '--server-side', '-f', '-'], {
      input: manifest.replace('image: registry.k8s.io/pause:3.10', 'image: registry.k8s.io/pause:3.9'),
    });
    expect(again.stdout.trim()).toBe('deployment.apps/ssa-ports serverside-applied');
    const d = JSON.parse((await tc.kubectl(['get', 'deployment', 'ssa-ports', '-o', 'json'])).stdout);
    expect(d.spec.template.spec.containers[0].ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
  });

  it('labels, annotates, describes and selects', async () => {
    await tc.kubectl(['label', 'svc', 'my-service', 'tier=web']);
    await tc.kubectl(['annotate', 'svc', 'my-service', 'note=hello']);
    const sel = await tc.kubectl(['get', 'svc', '-l', 'tier=web', '-o', 'name']);
    expect(sel.stdout.trim()).toBe('service/my-service');
    const none = await tc.kubectl(['get', 'svc', '-l', 'tier in (db)', '-o', 'name']);
    expect(none.stdout.trim()).toBe('');
    const fs = await tc.kubectl(['get', 'svc', '--field-selector', 'metadata.name=kubernetes', '-o', 'name']);
    expect(fs.stdout.trim()).toBe('service/kubernetes');
    const d = await tc.kubectl(['describe', 'svc', 'my-service']);
    expect(d.stdout).toMatch(/Name:\s+my-service/);
    expect(d.stdout).toMatch(/Labels:\s+app=demo\s*\n\s+tier=web/);
    expect(d.stdout).toMatch(/Annotations:\s+note: hello/);
    expect(d.stdout).toMatch(/Selector:\s+app.kubernetes.io\/name=MyApp/);
    expect(d.stdout).toMatch(/Type:\s+ClusterIP/);
  });

  it('edits with $EDITOR', async () => {
    const editor = join(tc.dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/^  a: \\"10\\"$/  a: edited/; s/^  a: .10.$/  a: edited/" "$1"\n');
    chmodSync(editor, 0o755);
    const r = await tc.kubectl(['edit', 'configmap', 'cfg'], { env: { EDITOR: editor, KUBE_EDITOR: editor } });
    expect(r.stdout).toContain('configmap/cfg edited');
    const cm = JSON.parse((await tc.kubectl(['get', 'cm', 'cfg', '-o', 'json'])).stdout);
    expect(cm.data.a).toBe('edited');
  });

  it("creates with kubectl's typed generators (protobuf request bodies)", async () => {
    expect((await tc.kubectl(['create', 'ns', 'gen'])).stdout.trim()).toBe('namespace/gen created');
    await tc.kubectl(['create', 'configmap', 'c1', '-n', 'gen', '--from-literal=a=1', '--from-literal=b=two']);
    await tc.kubectl(['create', 'secret', 'generic', 's1', '-n', 'gen', '--from-literal=pw=hunter2']);
    await tc.kubectl(['create', 'serviceaccount', 'bot', '-n', 'gen']);
    await tc.kubectl(['create', 'service', 'nodeport', 'web', '-n', 'gen', '--tcp=80:8080']);
    // An image no map knows (and no command): the Pod stays Pending, whatever this host has installed.
    await tc.kubectl(['run', 'nginx', '-n', 'gen', '--image=registry.example/nginx', '--labels=app=web', '--port=8080', '--env=A=1']);
    const list = JSON.parse((await tc.kubectl(['get', 'cm,secret,sa,svc,pod', '-n', 'gen', '-o', 'json'])).stdout).items;
    const by = (kind: string, name: string) => list.find((o: any) => o.kind === kind && o.metadata.name === name);
    expect(by('ConfigMap', 'c1').data).toEqual({ a: '1', b: 'two' });
    expect(Buffer.from(by('Secret', 's1').data.pw, 'base64').toString()).toBe('hunter2');
    expect(by('Secret', 's1').type).toBe('Opaque');
    expect(by('ServiceAccount', 'bot')).toBeTruthy();
    const svc = by('Service', 'web');
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.ports[0]).toMatchObject({ name: '80-8080', port: 80, targetPort: 8080, protocol: 'TCP' });
    const { base, size } = tc.cluster.config.nodePortRange;
    expect(svc.spec.ports[0].nodePort).toBeGreaterThanOrEqual(base);
    expect(svc.spec.ports[0].nodePort).toBeLessThan(base + size);
    const pod = by('Pod', 'nginx');
    expect(pod.metadata.labels).toEqual({ app: 'web' });
    expect(pod.spec.containers[0]).toMatchObject({
      name: 'nginx',
      image: 'registry.example/nginx',
      env: [{ name: 'A', value: '1' }],
      ports: [{ containerPort: 8080, protocol: 'TCP' }],
    });
    expect(pod.status.phase).toBe('Pending');
  });

  it('explains fields from OpenAPI v3', async () => {
    const r = await tc.kubectl(['explain', 'service.spec.ports']);
    expect(r.stdout).toContain('KIND:       Service');
    expect(r.stdout).toMatch(/FIELD:\s+ports <\[\]ServicePort>/);
    expect(r.stdout).toMatch(/targetPort\s+<IntOrString>/);
    expect(r.stdout).toMatch(/port\s+<integer> -required-/);
  });

  it('watches with get -w and waits for deletion', async () => {
    await tc.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\n' });
    const p = spawn(
      'kubectl',
      [
        '--kubeconfig',
        tc.kubeconfigPath,
        '--cache-dir',
        join(tc.dir, 'kube-cache'),
        'get',
        'cm',
        '-w',
        '-o',
        'name',
        '--field-selector',
        'metadata.name=watched',
      ],
      { env: { ...process.env, KUBECONFIG: '' } },
    );
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    await until(() => out.includes('configmap/watched'));
    await tc.kubectl(['label', 'cm', 'watched', 'x=y']);
    await until(() => out.split('\n').filter((l) => l === 'configmap/watched').length >= 2);
    p.kill();
    const w = tc.kubectl(['wait', '--for=delete', 'cm/watched', '--timeout=10s']);
    await tc.kubectl(['delete', 'cm', 'watched']);
    expect((await w).code).toBe(0);
    const gone = await tc.kubectl(['get', 'cm', 'watched'], { allowFail: true });
    expect(gone.stderr.trim()).toBe('Error from server (NotFound): configmaps "watched" not found');
  });

  it('deletes a namespace with its content', async () => {
    await tc.kubectl(['create', 'ns', 'doomed']);
    await tc.kubectl(['create', 'configmap', 'x', '-n', 'doomed']);
    await tc.kubectl(['apply', '-n', 'doomed', '-f', writeTemp(tc.dir, 's.yaml', svcYaml('s1'))]);
    const del = await tc.kubectl(['delete', 'ns', 'doomed', '--timeout=20s']);
    expect(del.stdout.trim()).toBe('namespace "doomed" deleted');
    const gone = await tc.kubectl(['get', 'ns', 'doomed'], { allowFail: true });
    expect(gone.stderr).toContain('namespaces "doomed" not found');
    const left = await tc.kubectl(['get', 'cm,svc', '-n', 'doomed', '-o', 'name']);
    expect(left.stdout.trim()).toBe('');
  });
});
