// Images as local programs (issue 23), as a user meets them: `kubectl run --image=busybox`,
// containers with only `args`, an unmapped image's ErrImagePull / ImagePullBackOff and its events,
// the image map edited with kubectl taking effect, three replicas of a server that binds 0.0.0.0
// side by side behind one Service, port-forward to a server bound to 127.0.0.1, the built-in
// agnhost through the Python client, and a map given at start.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'undici';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until, untilPasses } from '../helpers/wait.js';
import { runPython } from '../helpers/python.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster({
    podBackoff: { initialMs: 60_000, maxMs: 120_000 },
    images: [
      {
        image: 'suite.example/greeter',
        entrypoint: ['sh', '-c', 'echo "greetings from the suite map: $0 $*"; exec sleep 3600'],
        cmd: ['default'],
      },
    ],
  });
});
afterAll(async () => {
  await tc?.stop();
});

const pod = async (name: string) => JSON.parse((await tc.kubectl(['get', 'pod', name, '-o', 'json'])).stdout);
const apply = (yaml: string) => tc.kubectl(['apply', '-f', '-'], { input: yaml });
const waiting = async (name: string) => (await pod(name)).status?.containerStatuses?.[0]?.state?.waiting;
const events = async (name: string) => (await tc.kubectl(['describe', 'pod', name])).stdout.split('Events:')[1] ?? '';
const httpGet = async (url: string) => (await request(url, { headersTimeout: 5000, bodyTimeout: 5000 })).body.text();

describe('images that map to programs', () => {
  it('kubectl run --image=busybox -- sleep 3600 runs (args replace the image CMD), with Pulling/Pulled naming the program', async () => {
    await tc.kubectl(['run', 'bb', '--image=busybox', '--', 'sleep', '3600']);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/bb', '--timeout=20s']);
    const p = await pod('bb');
    expect(p.spec.containers[0].args).toEqual(['sleep', '3600']);
    expect(p.spec.containers[0].command).toBeUndefined();
    const s = p.status.containerStatuses[0];
    expect(s.image).toBe('docker.io/library/busybox:latest');
    expect(s.imageID).toMatch(/^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/);
    // The node lists the images it has, under digest and tag, as a kubelet reports its runtime's.
    await untilPasses(async () => {
      const node = JSON.parse((await tc.kubectl(['get', 'nodes', '-o', 'json'])).stdout).items[0];
      expect(node.status.images).toContainEqual({ names: [s.imageID, 'docker.io/library/busybox:latest'], sizeBytes: expect.any(Number) });
    });
    const ev = await events('bb');
    expect(ev).toMatch(/Normal\s+Pulling\s+\S+\s+kubelet\s+Pulling image "busybox"/);
    expect(ev).toMatch(
      /Normal\s+Pulled\s+\S+\s+kubelet\s+Successfully pulled image "busybox" in [\d.]+(ms|\u00b5s) \([\d.]+(ms|\u00b5s) including waiting\)\. Image size: \d+ bytes\. Resolved to local program \/\S+\/sh \(the built-in catalogue\)/,
    );
  });

  it('a busybox Pod with only args runs them through the image (no entrypoint: args[0] is the program)', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: args-only}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: busybox:1.36
    imagePullPolicy: IfNotPresent
    args: ["sh", "-c", "echo sum=$((40 + 2))"]
`);
    await until(async () => (await pod('args-only')).status.phase === 'Succeeded', 20_000);
    expect((await tc.kubectl(['logs', 'args-only'])).stdout).toBe('sum=42\n');
  });

  it('a map given at start (startCluster({ images })) gives the entrypoint and default args', async () => {
    await tc.kubectl(['run', 'greeter', '--image=suite.example/greeter:v2']);
    await untilPasses(
      async () => expect((await tc.kubectl(['logs', 'greeter'])).stdout).toBe('greetings from the suite map: default \n'),
      20_000,
    );
    expect(await events('greeter')).toContain('Resolved to local program /');
  });
});

describe('images that cannot run', () => {
  it('an unmapped image without a command waits in ErrImagePull, then ImagePullBackOff, naming the image and how to map it', async () => {
    await tc.kubectl(['run', 'unmapped', '--image=registry.example/team/unmapped:1.0']);
    const w = await until(async () => {
      const x = await waiting('unmapped');
      return x?.reason === 'ImagePullBackOff' && x;
    }, 20_000);
    expect(w.message).toMatch(
      /^Back-off pulling image "registry.example\/team\/unmapped:1.0": ErrImagePull: tinykube runs images as programs on this host and has no mapping for image "registry.example\/team\/unmapped:1.0" \(searched ConfigMap kube-system\/tinykube-images, startCluster\(\{ images \}\), the built-in catalogue\): map it in ConfigMap kube-system\/tinykube-images \(kubectl edit configmap -n kube-system tinykube-images\) with the program to run, or set command in the container$/,
    );
    const ev = await events('unmapped');
    expect(ev).toMatch(
      /Warning\s+Failed\s+\S+\s+kubelet\s+Failed to pull image "registry.example\/team\/unmapped:1.0": tinykube runs images/,
    );
    expect(ev).toMatch(/Warning\s+Failed\s+\S+\s+kubelet\s+Error: ErrImagePull/);
    expect(ev).toMatch(/Normal\s+BackOff\s+\S+\s+kubelet\s+Back-off pulling image "registry.example\/team\/unmapped:1.0"/);
    expect(ev).toMatch(/Warning\s+Failed\s+\S+\s+kubelet\s+Error: ImagePullBackOff/);
    // kubectl get pods shows the reason as STATUS, and nothing restarts.
    const row = (await tc.kubectl(['get', 'pod', 'unmapped', '--no-headers'])).stdout;
    expect(row).toMatch(/^unmapped\s+0\/1\s+ImagePullBackOff\s+0\s+/);
  });

  it('imagePullPolicy Never with an image that is not present: ErrImageNeverPull', async () => {
    await tc.kubectl(['run', 'never', '--image=registry.example/never:1', '--image-pull-policy=Never']);
    const w = await until(async () => {
      const x = await waiting('never');
      return x?.reason === 'ErrImageNeverPull' && x;
    }, 20_000);
    expect(w.message).toBe('Container image "registry.example/never:1" is not present with pull policy of Never');
  });

  it('an invalid reference: InvalidImageName with the kubelet words', async () => {
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: badref}
spec:
  containers: [{name: c, image: "registry.example/Bad:1"}]
`);
    const w = await until(async () => {
      const x = await waiting('badref');
      return x?.reason === 'InvalidImageName' && x;
    }, 20_000);
    expect(w.message).toBe(
      'Failed to apply default image tag "registry.example/Bad:1": couldn\'t parse image name "registry.example/Bad:1": invalid reference format: repository name (Bad) must be lowercase',
    );
  });
});

describe('the image map edited with kubectl, and servers that bind 0.0.0.0', () => {
  it('three replicas of an unmapped web image wait, run once the map names python http.server, and all serve behind one Service', async () => {
    await tc.kubectl(['create', 'deployment', 'web', '--image=web.example/site:1', '--replicas=3', '--port=8080']);
    await tc.kubectl(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']);
    await until(async () => {
      const pods = JSON.parse((await tc.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout).items;
      return (
        pods.length === 3 &&
        pods.every((p: { status: { containerStatuses?: { state: { waiting?: { reason: string } } }[] } }) =>
          /ErrImagePull|ImagePullBackOff/.test(p.status.containerStatuses?.[0]?.state.waiting?.reason ?? ''),
        )
      );
    }, 20_000);
    // The map, as a user edits it: each replica writes its name and serves it on 0.0.0.0:8080.
    const entry = `- image: web.example/site\n  entrypoint: [sh, -c, 'hostname > index.html && exec python3 -m http.server 8080']\n  ports: [8080]\n`;
    await tc.kubectl([
      'patch',
      'configmap',
      'tinykube-images',
      '-n',
      'kube-system',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { 'images.yaml': entry } }),
    ]);
    // Waiting Pods try again at once (their back-off here is a minute).
    await tc.kubectl(['rollout', 'status', 'deployment/web', '--timeout=30s']);
    const pods = JSON.parse((await tc.kubectl(['get', 'pods', '-l', 'app=web', '-o', 'json'])).stdout).items as {
      metadata: { name: string };
      status: { podIP: string };
    }[];
    expect(new Set(pods.map((p) => p.status.podIP)).size).toBe(3);
    // Each answers on its own Pod IP, port 8080, with its own name.
    for (const p of pods)
      await untilPasses(async () => expect((await httpGet(`http://${p.status.podIP}:8080/`)).trim()).toBe(p.metadata.name));
    // And through the Service, traffic reaches all three.
    const svc = JSON.parse((await tc.kubectl(['get', 'service', 'web', '-o', 'json'])).stdout);
    const seen = new Set<string>();
    await until(async () => {
      seen.add((await httpGet(`http://${svc.spec.clusterIP}:80/`)).trim());
      return seen.size === 3;
    }, 20_000);
    expect([...seen].sort()).toEqual(pods.map((p) => p.metadata.name).sort());
  });

  it('an invalid edit keeps the good entries and says what is wrong in an event on the ConfigMap', async () => {
    const text = `- image: web.example/site\n  entrypoint: [sh, -c, 'exec python3 -m http.server 8080']\n- image: broken\n  cmd: notalist\n`;
    await tc.kubectl([
      'patch',
      'configmap',
      'tinykube-images',
      '-n',
      'kube-system',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { 'images.yaml': text } }),
    ]);
    // The map is read when a Pod needs it.
    await tc.kubectl(['run', 'after-edit', '--image=web.example/site:2']);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/after-edit', '--timeout=20s']);
    await untilPasses(async () =>
      expect((await tc.kubectl(['describe', 'configmap', '-n', 'kube-system', 'tinykube-images'])).stdout).toMatch(
        /Warning\s+InvalidImageMap\s+.*data\[images\.yaml\]: images\[1\]\.cmd: must be a list of strings \(the other entries are used\)/,
      ),
    );
  });
});

describe('the rest of the image config, and the container filesystem', () => {
  it("stops a container with its image's STOPSIGNAL", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-stopsignal-'));
    const out = join(dir, 'signal');
    try {
      const entry = `- image: signals.example/app\n  entrypoint: [sh, -c, 'trap "echo USR1 > $OUT; exit 0" USR1; trap "echo TERM > $OUT; exit 0" TERM; while :; do sleep 1 & wait $!; done']\n  stopSignal: SIGUSR1\n`;
      await tc.kubectl([
        'patch',
        'configmap',
        'tinykube-images',
        '-n',
        'kube-system',
        '--type=merge',
        '-p',
        JSON.stringify({ data: { 'images.yaml': entry } }),
      ]);
      await tc.kubectl(['run', 'stopper', '--image=signals.example/app', `--env=OUT=${out}`]);
      await tc.kubectl(['wait', '--for=condition=Ready', 'pod/stopper', '--timeout=20s']);
      await tc.kubectl(['delete', 'pod', 'stopper', '--wait=true']);
      expect(readFileSync(out, 'utf8')).toBe('USR1\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("lets a container write under /run (its own layer), not the host's", async () => {
    // Root with a mount namespace (CI): the service account token's mount point under /run made
    // it a read-only overlay before; now the container has a writable layer of its own there.
    if (process.getuid?.() !== 0) return;
    const name = `tk-run-${process.pid}`;
    await tc.kubectl([
      'run',
      'runwriter',
      '--image=alpine',
      '--restart=Never',
      '--',
      'sh',
      '-c',
      `echo ok > /run/${name} && cat /run/${name}`,
    ]);
    await until(async () => (await pod('runwriter')).status.phase === 'Succeeded', 20_000);
    expect((await tc.kubectl(['logs', 'runwriter'])).stdout).toBe('ok\n');
    expect(existsSync(`/run/${name}`)).toBe(false);
  });
});

describe('the image USER and runAsUser', () => {
  // As root with a mount namespace (CI), containers take on the user; otherwise they run as tinykube's.
  const switches = process.getuid?.() === 0;

  it('two replicas running as another user still bind their own Pod IPs (the library is loadable by that user)', async () => {
    const entry = `- image: users.example/web\n  entrypoint: [sh, -c, 'id -u; exec python3 -m http.server 8090']\n  user: nobody\n`;
    await tc.kubectl([
      'patch',
      'configmap',
      'tinykube-images',
      '-n',
      'kube-system',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { 'images.yaml': entry } }),
    ]);
    await tc.kubectl(['run', 'as-nobody', '--image=users.example/web']);
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: as-65533}
spec:
  securityContext: {runAsUser: 65533}
  containers: [{name: c, image: users.example/web}]
`);
    for (const [name, uid] of [
      ['as-nobody', '65534'],
      ['as-65533', '65533'],
    ] as const) {
      await tc.kubectl(['wait', '--for=condition=Ready', `pod/${name}`, '--timeout=20s']);
      const ip = (await pod(name)).status.podIP;
      await untilPasses(async () => expect(await httpGet(`http://${ip}:8090/`)).toContain('Directory listing'), 10_000);
      expect((await tc.kubectl(['logs', name])).stdout.split('\n')[0]).toBe(switches ? uid : String(process.getuid?.()));
    }
  });
});

describe('port-forward and the built-in agnhost', () => {
  const forwards: ChildProcess[] = [];
  afterEach(async () => {
    for (const p of forwards.splice(0)) p.kill('SIGKILL');
  });

  it('kubectl port-forward reaches a server that bound 127.0.0.1 (moved to its Pod IP)', async () => {
    await tc.kubectl(['run', 'loopback', '--image=python:3.12', '--', 'python3', '-m', 'http.server', '8081', '--bind', '127.0.0.1']);
    await tc.kubectl(['wait', '--for=condition=Ready', 'pod/loopback', '--timeout=20s']);
    const ip = (await pod('loopback')).status.podIP;
    await untilPasses(async () => expect(await httpGet(`http://${ip}:8081/`)).toContain('Directory listing'), 10_000);
    const local = await new Promise<number>((resolve, reject) => {
      const p = spawn('kubectl', ['--kubeconfig', tc.kubeconfigPath, 'port-forward', 'pod/loopback', ':8081']);
      forwards.push(p);
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
        const m = /Forwarding from 127\.0\.0\.1:(\d+) ->/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      p.on('close', (code) => reject(new Error(`port-forward exited ${code}`)));
    });
    expect(await httpGet(`http://127.0.0.1:${local}/`)).toContain('Directory listing');
  });

  it('the Python client runs agnhost netexec (upstream e2e style) and it answers with its hostname', async () => {
    const r = await runPython(tc, {
      code: `
import json, sys, time
from kubernetes import client, config
config.load_kube_config(sys.argv[1])
v1 = client.CoreV1Api()
pod = client.V1Pod(metadata=client.V1ObjectMeta(name="netexec"), spec=client.V1PodSpec(containers=[client.V1Container(
    name="agnhost", image="registry.k8s.io/e2e-test-images/agnhost:2.52", args=["netexec", "--http-port=8080", "--udp-port=8081"],
    ports=[client.V1ContainerPort(container_port=8080)])]))
v1.create_namespaced_pod("default", pod)
for _ in range(300):
    p = v1.read_namespaced_pod("netexec", "default")
    if p.status.container_statuses and p.status.container_statuses[0].ready:
        break
    time.sleep(0.1)
s = p.status.container_statuses[0]
# An image no map knows: the waiting reason and message a Python user reads.
v1.create_namespaced_pod("default", client.V1Pod(metadata=client.V1ObjectMeta(name="py-unmapped"),
    spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="registry.example/py-app:1")])))
waiting = None
for _ in range(300):
    u = v1.read_namespaced_pod("py-unmapped", "default")
    cs = u.status.container_statuses
    if cs and cs[0].state.waiting and cs[0].state.waiting.reason in ("ErrImagePull", "ImagePullBackOff"):
        waiting = cs[0].state.waiting
        break
    time.sleep(0.1)
print(json.dumps({"ip": p.status.pod_ip, "image": s.image, "imageID": s.image_id, "ready": s.ready,
                  "waiting": waiting and {"reason": waiting.reason, "message": waiting.message}}))
`,
    });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(out).toMatchObject({ ready: true, image: 'registry.k8s.io/e2e-test-images/agnhost:2.52' });
    expect(out.imageID).toMatch(/^registry\.k8s\.io\/e2e-test-images\/agnhost@sha256:/);
    expect(out.waiting.reason).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    expect(out.waiting.message).toContain('no mapping for image "registry.example/py-app:1"');
    await untilPasses(async () => expect(await httpGet(`http://${out.ip}:8080/hostname`)).toBe('netexec'), 15_000);
    expect(await httpGet(`http://${out.ip}:8080/echo?msg=hi`)).toBe('hi');
  });
});
