// Pod volumes and the Pod's own filesystem view: configMap, secret, downwardAPI, projected,
// emptyDir and hostPath volumes at their mountPath (a private mount namespace per container),
// the Pod's /etc/hosts, resolv.conf and hostname, updates of mounted ConfigMaps, FailedMount while
// a referenced object is missing, and the two fallbacks (user namespace, no namespace at all).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
let hostDir: string;
beforeAll(async () => {
  tc = await startTestCluster({ podBackoff: { initialMs: 300, maxMs: 2000 } });
  hostDir = mkdtempSync(join(tmpdir(), 'tinykube-hostpath-'));
  writeFileSync(join(hostDir, 'marker'), 'from-host');
});
afterAll(async () => {
  await tc?.stop();
  rmSync(hostDir, { recursive: true, force: true });
});

const apply = (yaml: string) => tc.kubectl(['apply', '-f', '-'], { input: yaml });
const pod = async (name: string) => JSON.parse((await tc.kubectl(['get', 'pod', name, '-o', 'json'])).stdout);
const logs = async (name: string, c?: string) => (await tc.kubectl(['logs', name, ...(c ? ['-c', c] : [])])).stdout;
const logsUntil = (name: string, marker: string, c?: string) =>
  until(async () => {
    const l = await logs(name, c).catch(() => '');
    return l.includes(marker) ? l : undefined;
  });
const events = async (name: string) =>
  JSON.parse((await tc.kubectl(['get', 'events', '--field-selector', `involvedObject.name=${name}`, '-o', 'json'])).stdout).items as {
    reason: string;
    message: string;
    type: string;
  }[];

describe('volumes at their mountPath', () => {
  it('configMap (all keys, items with paths, subPath file), secret, downwardAPI, emptyDir shared with an init container, hostPath', async () => {
    await apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: app-config}
data:
  app.properties: "color=blue\\n"
  greeting: hello
---
apiVersion: v1
kind: Secret
metadata: {name: app-secret}
stringData:
  password: s3cret
---
apiVersion: v1
kind: Pod
metadata:
  name: vols
  labels: {app: vols, tier: backend}
spec:
  restartPolicy: Never
  initContainers:
  - name: seed
    image: local/sh
    command: [sh, -c, "echo seeded > /work/seed.txt"]
    volumeMounts: [{name: scratch, mountPath: /work}]
  containers:
  - name: main
    image: local/sh
    command:
    - sh
    - -c
    - |
      echo "cfg=$(cat /etc/app/app.properties)"
      echo "items=$(cat /etc/items/conf/greeting.txt)"
      echo "sub=$(cat /opt/greeting)"
      echo "secret=$(cat /etc/secret/password)"
      echo "secretmode=$(stat -c %a /etc/secret/..data/password)"
      echo "labels=$(cat /etc/podinfo/labels | tr '\\n' ' ')"
      echo "name=$(cat /etc/podinfo/name)"
      echo "seed=$(cat /work/seed.txt)"
      echo "host=$(cat /host/marker)"
      echo written > /host/from-pod
      touch /etc/app/nope 2>/dev/null && echo cfg-writable || echo cfg-readonly
      echo done
    volumeMounts:
    - {name: cfg, mountPath: /etc/app}
    - {name: items, mountPath: /etc/items}
    - {name: cfg, mountPath: /opt/greeting, subPath: greeting}
    - {name: secret, mountPath: /etc/secret}
    - {name: podinfo, mountPath: /etc/podinfo}
    - {name: scratch, mountPath: /work}
    - {name: host, mountPath: /host}
  volumes:
  - {name: cfg, configMap: {name: app-config}}
  - name: items
    configMap:
      name: app-config
      items: [{key: greeting, path: conf/greeting.txt}]
  - name: secret
    secret: {secretName: app-secret, defaultMode: 0400}
  - name: podinfo
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: name, fieldRef: {fieldPath: metadata.name}}
  - {name: scratch, emptyDir: {}}
  - {name: host, hostPath: {path: ${hostDir}, type: Directory}}
`);
    const out = await logsUntil('vols', 'done', 'main');
    expect(out).toContain('cfg=color=blue');
    expect(out).toContain('items=hello');
    expect(out).toContain('sub=hello');
    expect(out).toContain('secret=s3cret');
    expect(out).toContain('secretmode=400');
    expect(out).toContain('labels=app="vols" tier="backend"');
    expect(out).toContain('name=vols');
    expect(out).toContain('seed=seeded');
    expect(out).toContain('host=from-host');
    expect(out).toContain('cfg-readonly');
    expect(readFileSync(join(hostDir, 'from-pod'), 'utf8')).toBe('written\n');
    // Nothing of the Pod's mounts is visible on the host.
    expect(existsSync('/etc/app')).toBe(false);
    expect(existsSync('/etc/podinfo')).toBe(false);
  });

  it('subPathExpr expands the container environment; emptyDir medium Memory is a tmpfs', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: subexpr}
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: local/sh
    command: [sh, -c, "echo mine > /mine/f; ls /all; echo \\"fs=$(stat -f -c %T /cache)\\"; echo done"]
    env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
    volumeMounts:
    - {name: data, mountPath: /mine, subPathExpr: $(POD_NAME)}
    - {name: data, mountPath: /all}
    - {name: cache, mountPath: /cache}
  volumes:
  - {name: data, emptyDir: {}}
  - {name: cache, emptyDir: {medium: Memory}}
`);
    const out = await logsUntil('subexpr', 'done');
    expect(out).toBe('subexpr\nfs=tmpfs\ndone\n');
  });

  it('updates a mounted ConfigMap in place (atomic ..data swap), without a restart', async () => {
    await apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: live}
data: {mode: one}
---
apiVersion: v1
kind: Pod
metadata: {name: watcher}
spec:
  containers:
  - name: main
    image: local/sh
    command: [sh, -c, "while true; do echo \\"mode=$(cat /cfg/mode)\\"; sleep 0.1; done"]
    volumeMounts: [{name: live, mountPath: /cfg}]
  volumes: [{name: live, configMap: {name: live}}]
`);
    await logsUntil('watcher', 'mode=one');
    await tc.kubectl(['patch', 'configmap', 'live', '-p', '{"data":{"mode":"two"}}']);
    await logsUntil('watcher', 'mode=two');
    expect((await pod('watcher')).status.containerStatuses[0].restartCount).toBe(0);
  });

  it('kubectl describe pod shows the IP, conditions, mounts, volumes and events', async () => {
    const d = (await tc.kubectl(['describe', 'pod', 'watcher'])).stdout;
    const ip = (await pod('watcher')).status.podIP;
    expect(d).toMatch(new RegExp(`^IP:\\s+${ip.replace(/\./g, '\\.')}$`, 'm'));
    expect(d).toMatch(/^Status:\s+Running$/m);
    expect(d).toMatch(/^\s+Ready\s+True\s*$/m);
    expect(d).toMatch(/\/cfg from live \(rw\)/);
    expect(d).toMatch(/\/var\/run\/secrets\/kubernetes\.io\/serviceaccount from kube-api-access-[a-z0-9]{5} \(ro\)/);
    expect(d).toMatch(/Type:\s+ConfigMap \(a volume populated by a ConfigMap\)/);
    expect(d).toMatch(/Type:\s+Projected \(a volume that contains injected data from multiple sources\)/);
    expect(d).toMatch(/Normal\s+Started\s+\S+\s+kubelet\s+Started container main/);
  });

  it('waits in ContainerCreating with FailedMount while a ConfigMap is missing, and starts once it exists', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: needs-cfg}
spec:
  containers:
  - name: main
    image: local/sh
    command: [sh, -c, "cat /cfg/key; echo; sleep 1000"]
    volumeMounts: [{name: c, mountPath: /cfg}]
  volumes: [{name: c, configMap: {name: later}}]
`);
    const ev = await until(async () => (await events('needs-cfg')).find((e) => e.reason === 'FailedMount'));
    expect(ev.type).toBe('Warning');
    expect(ev.message).toBe('MountVolume.SetUp failed for volume "c" : configmap "later" not found');
    const p = await pod('needs-cfg');
    expect(p.status.phase).toBe('Pending');
    expect(p.status.containerStatuses[0].state.waiting.reason).toBe('ContainerCreating');
    expect((await tc.kubectl(['get', 'pod', 'needs-cfg', '--no-headers'])).stdout.split(/\s+/)[2]).toBe('ContainerCreating');
    await tc.kubectl(['create', 'configmap', 'later', '--from-literal=key=arrived']);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/needs-cfg', '--timeout=10s']);
    expect(await logsUntil('needs-cfg', 'arrived')).toBe('arrived\n');
  });

  it('runs a command that lives in a volume, and exec probes run inside the container', async () => {
    await apply(`apiVersion: v1
kind: ConfigMap
metadata: {name: scripts}
data:
  run.sh: |
    #!/bin/sh
    echo "script ran as $(hostname)"
    exec sleep 1000
---
apiVersion: v1
kind: Pod
metadata: {name: scripted}
spec:
  containers:
  - name: main
    image: local/sh
    command: [/scripts/run.sh]
    workingDir: /scripts
    readinessProbe:
      exec: {command: [test, -x, /scripts/run.sh]}
      periodSeconds: 1
    volumeMounts: [{name: s, mountPath: /scripts}]
  volumes: [{name: s, configMap: {name: scripts, defaultMode: 0755}}]
`);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/scripted', '--timeout=10s']);
    expect(await logsUntil('scripted', 'script ran')).toBe('script ran as scripted\n');
  });
});

describe("the Pod's own hosts, resolv.conf and hostname", () => {
  it('writes the kubelet-managed /etc/hosts (with hostname, subdomain and hostAliases) and a resolv.conf from dnsConfig', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: named}
spec:
  hostname: web-0
  subdomain: web
  dnsPolicy: None
  dnsConfig:
    nameservers: [127.0.0.53]
    searches: [example.internal]
    options: [{name: ndots, value: "2"}]
  hostAliases: [{ip: 127.1.2.3, hostnames: [foo.local, bar.local]}]
  containers:
  - name: main
    image: local/sh
    command: [sh, -c, "cat /etc/hosts; echo ---; cat /etc/resolv.conf; echo ---; hostname; echo end; sleep 1000"]
`);
    const out = await logsUntil('named', 'end');
    const ip = (await pod('named')).status.podIP;
    const [hosts, resolv, hostname] = out.split('---\n');
    expect(hosts).toBe(
      `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n${ip}\tweb-0.web.default.svc.cluster.local\tweb-0\n\n# Entries added by HostAliases.\n127.1.2.3\tfoo.local\tbar.local\n`,
    );
    expect(resolv).toBe('search example.internal\nnameserver 127.0.0.53\noptions ndots:2\n');
    expect(hostname).toBe('web-0\nend\n');
  });
});

describe('in-cluster clients', () => {
  it('a client-node program run as a Pod connects with its in-cluster config (service account token, ca.crt, namespace)', async () => {
    const script = join(process.cwd(), 'test/fixtures/in-cluster-client.mjs');
    await tc.kubectl(['create', 'namespace', 'incluster']);
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: operator, namespace: incluster}
spec:
  containers:
  - name: main
    image: local/operator
    command: ["${process.execPath}", "${script}"]
`);
    const out = await until(async () => {
      const l = (await tc.kubectl(['logs', '-n', 'incluster', 'operator'], { allowFail: true })).stdout;
      return l.includes('in-cluster') ? l : undefined;
    }, 20_000);
    expect(out.trim()).toBe('in-cluster ok: namespace incluster, 1 pods, me true');
    const p = JSON.parse((await tc.kubectl(['get', 'pod', '-n', 'incluster', 'operator', '-o', 'json'])).stdout);
    const mount = p.spec.containers[0].volumeMounts.find(
      (m: { mountPath: string }) => m.mountPath === '/var/run/secrets/kubernetes.io/serviceaccount',
    );
    expect(mount).toMatchObject({ readOnly: true });
    expect(mount.name).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
  });
});

describe('hosts without a mount namespace for Pods', () => {
  it('userns mode (what an unprivileged user gets) puts volumes at their mountPath too', async () => {
    const u = await startTestCluster({ podIsolation: 'userns' });
    try {
      await u.kubectl(['create', 'configmap', 'c', '--from-literal=k=via-userns']);
      await u.kubectl(['apply', '-f', '-'], {
        input: `apiVersion: v1
kind: Pod
metadata: {name: u}
spec:
  containers:
  - name: main
    image: local/sh
    command: [sh, -c, "cat /etc/u/k; echo; hostname; sleep 1000"]
    readinessProbe: {exec: {command: [cat, /etc/u/k]}, periodSeconds: 1}
    volumeMounts: [{name: c, mountPath: /etc/u}]
  volumes: [{name: c, configMap: {name: c}}]
`,
      });
      await u.kubectl(['wait', '--for=condition=Ready', 'pod/u', '--timeout=10s']);
      const out = await until(async () => {
        const l = (await u.kubectl(['logs', 'u'])).stdout;
        return l.includes('\nu\n') ? l : undefined;
      });
      expect(out).toBe('via-userns\nu\n');
    } finally {
      await u.stop();
    }
  });

  it('none: the Pod still runs and an event names what it lacks', async () => {
    const n = await startTestCluster({ podIsolation: 'none' });
    try {
      await n.kubectl(['run', 'plain', '--image=x', '--command', '--', 'sleep', '1000']);
      await n.kubectl(['wait', '--for=condition=Ready', 'pod/plain', '--timeout=10s']);
      const ev = await until(async () =>
        (JSON.parse((await n.kubectl(['get', 'events', '-o', 'json'])).stdout).items as { reason: string; message: string }[]).find(
          (e) => e.reason === 'MountNamespaceUnavailable',
        ),
      );
      expect(ev.message).toContain('pod isolation is turned off (--pod-isolation none)');
      expect(ev.message).toContain('/etc/hosts, /etc/resolv.conf and /var/run/secrets/kubernetes.io/serviceaccount');
    } finally {
      await n.stop();
    }
  });
});
