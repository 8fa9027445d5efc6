// kubectl exec, cp, attach and run -it against local-process Pods, with the real kubectl (which
// speaks WebSocket v5.channel.k8s.io first) and @kubernetes/client-node's Exec class.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { Readable, Writable } from 'node:stream';
import * as k8s from '@kubernetes/client-node';
import { WebSocket } from 'ws';
import { startTestCluster, type TestCluster } from '../helpers/cluster.js';
import { until } from '../helpers/wait.js';

let tc: TestCluster;
beforeAll(async () => {
  tc = await startTestCluster();
  await tc.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: ConfigMap
metadata: {name: conf}
data: {greeting: hello-from-volume}
---
apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
  - name: main
    image: local/sh
    command: [sleep, '3600']
    workingDir: /tmp
    env: [{name: GREETING, value: hi-env}]
    volumeMounts: [{name: conf, mountPath: /etc/tinykube-exec-test}]
  - name: side
    image: local/sh
    command: [sleep, '3600']
  volumes: [{name: conf, configMap: {name: conf}}]
`,
  });
  await until(
    async () => (await tc.kubectl(['get', 'pod', 'box', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' || undefined,
    20_000,
  );
}, 60_000);
afterAll(async () => {
  await tc?.stop();
});

/** Runs a command under a pseudo-terminal (util-linux `script`), feeding it `input` after a pause. */
function withTerminal(cmd: string, input: string, delayMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('script', ['-qec', `stty cols 132 rows 40; ${cmd}`, '/dev/null'], {
      env: { ...process.env, KUBECONFIG: tc.kubeconfigPath },
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    setTimeout(() => p.stdin.write(input), delayMs);
    p.on('close', (code) => resolve({ code: code ?? -1, out }));
  });
}

describe('kubectl exec', () => {
  it('runs a command with the container’s env and working dir, separate stdout/stderr, and its exit code', async () => {
    const ok = await tc.kubectl(['exec', 'box', '-c', 'main', '--', 'sh', '-c', 'echo "$GREETING in $(pwd)"; echo to-stderr >&2']);
    expect(ok.stdout).toBe('hi-env in /tmp\n');
    expect(ok.stderr).toBe('to-stderr\n');
    const bad = await tc.kubectl(['exec', 'box', '-c', 'main', '--', 'sh', '-c', 'exit 3'], { allowFail: true });
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('command terminated with exit code 3');
  });

  it('runs inside the container’s mount namespace: its volumes at their mountPath, its hostname', async () => {
    const r = await tc.kubectl(['exec', 'box', '-c', 'main', '--', 'sh', '-c', 'cat /etc/tinykube-exec-test/greeting; echo; hostname']);
    expect(r.stdout).toBe('hello-from-volume\nbox\n');
    // Not on the host.
    expect(existsSync('/etc/tinykube-exec-test')).toBe(false);
  });

  it('passes stdin through and ends it when the client closes it', async () => {
    const r = await tc.kubectl(['exec', '-i', 'box', '-c', 'main', '--', 'sh', '-c', 'wc -c; echo done'], { input: 'x'.repeat(100_000) });
    expect(r.stdout).toBe('100000\ndone\n');
  });

  it('answers like upstream for a missing command, an unknown container, an unknown Pod', async () => {
    const missing = await tc.kubectl(['exec', 'box', '-c', 'main', '--', 'no-such-command-here'], { allowFail: true });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('exec: "no-such-command-here": executable file not found in $PATH');
    const noCtr = await tc.kubectl(['exec', 'box', '-c', 'nope', '--', 'true'], { allowFail: true });
    expect(noCtr.stderr).toContain('container nope is not valid for pod box');
    const noPod = await tc.kubectl(['exec', 'nopod', '--', 'true'], { allowFail: true });
    expect(noPod.stderr).toContain('pods "nopod" not found');
  });

  it('gives -it a terminal that follows the window size', async () => {
    const r = await withTerminal(`kubectl exec -it box -c main -- sh`, 'stty size; tty; exit 7\n', 1500);
    expect(r.out).toContain('40 132');
    expect(r.out).toMatch(/\/dev\/pts\/\d+/);
    expect(r.code).toBe(7);
  });

  it('kills the command when the client goes away', async () => {
    const marker = `sleep ${4000 + Math.floor(Math.random() * 1000)}`;
    const p = spawn('kubectl', ['--kubeconfig', tc.kubeconfigPath, 'exec', 'box', '-c', 'main', '--', 'sh', '-c', marker], {
      stdio: 'ignore',
    });
    await until(async () => spawnSync('pgrep', ['-f', marker]).status === 0 || undefined, 10_000);
    p.kill('SIGKILL');
    await until(async () => spawnSync('pgrep', ['-f', marker]).status !== 0 || undefined, 10_000);
  });
});

describe('kubectl cp', () => {
  it('copies a directory into a Pod and back, intact', async () => {
    const src = mkdtempSync(join(tmpdir(), 'tinykube-cp-'));
    const inPod = `${src}-in-pod`;
    const back = `${src}-back`;
    try {
      mkdirSync(join(src, 'sub'));
      writeFileSync(join(src, 'a.txt'), 'alpha\n');
      writeFileSync(join(src, 'sub', 'b.bin'), Buffer.alloc(300_000, 7));
      await tc.kubectl(['cp', src, `box:${inPod}`, '-c', 'main']);
      const listed = await tc.kubectl(['exec', 'box', '-c', 'main', '--', 'sh', '-c', `cd ${inPod} && find . -type f | sort`]);
      expect(listed.stdout).toBe('./a.txt\n./sub/b.bin\n');
      await tc.kubectl(['cp', `box:${inPod}`, back, '-c', 'main']);
      expect(readFileSync(join(back, 'a.txt'), 'utf8')).toBe('alpha\n');
      expect(readFileSync(join(back, 'sub', 'b.bin')).equals(Buffer.alloc(300_000, 7))).toBe(true);
    } finally {
      for (const d of [src, inPod, back]) rmSync(d, { recursive: true, force: true });
    }
  });
});

describe('kubectl attach and run -it', () => {
  it('attaches to a running container’s output', async () => {
    await tc.kubectl([
      'run',
      'talker',
      '--image=x',
      '--command',
      '--',
      'sh',
      '-c',
      'i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done',
    ]);
    await until(
      async () => (await tc.kubectl(['get', 'pod', 'talker', '-o', 'jsonpath={.status.phase}'])).stdout === 'Running' || undefined,
      20_000,
    );
    const r = await new Promise<string>((resolve) => {
      const p = spawn('kubectl', ['--kubeconfig', tc.kubeconfigPath, 'attach', 'talker']);
      let out = '';
      p.stdout.on('data', (d) => {
        out += d;
        if ((out.match(/tick/g) ?? []).length >= 3) p.kill();
      });
      p.on('close', () => resolve(out));
    });
    expect(r).toMatch(/tick \d+\ntick \d+\ntick \d+/);
  });

  it('runs an interactive Pod with kubectl run -it --rm and removes it afterwards', async () => {
    const r = await withTerminal(
      `kubectl run -it --rm rt --image=local/sh --restart=Never --command -- sh`,
      'echo inside-$((2+3))\nexit 4\n',
      4000,
    );
    expect(r.out).toContain('inside-5');
    expect(r.out).toContain('pod "rt" deleted');
    expect(r.code).toBe(4);
    const gone = await tc.kubectl(['get', 'pod', 'rt'], { allowFail: true });
    expect(gone.code).not.toBe(0);
  });
});

describe('@kubernetes/client-node Exec', () => {
  it('streams output and reports the exit code in the status', async () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(tc.cluster.kubeconfig);
    const exec = new k8s.Exec(kc);
    let out = '';
    const stdout = new Writable({
      write(c, _e, cb) {
        out += c;
        cb();
      },
    });
    const status = await new Promise<k8s.V1Status>((resolve, reject) => {
      exec
        .exec(
          'default',
          'box',
          'main',
          ['sh', '-c', 'read x; echo "got $x"; exit 2'],
          stdout,
          null,
          Readable.from(['line\n']),
          false,
          resolve,
        )
        .catch(reject);
    });
    expect(out).toBe('got line\n');
    expect(status.status).toBe('Failure');
    expect(status.reason).toBe('NonZeroExitCode');
    expect(status.details?.causes?.[0]).toMatchObject({ reason: 'ExitCode', message: '2' });
  });
});

describe('the upgrade router', () => {
  const execPath = '/api/v1/namespaces/default/pods/box/exec?container=main&command=sh&command=-c&command=echo%20via-ws&stdout=true';
  const wsURL = (path: string) => tc.cluster.server.replace(/^https/, 'wss') + path;
  /** Opens a WebSocket; resolves with what it received, or with the HTTP status it was refused with. */
  function open(
    path: string,
    protocols: string[],
    headers: Record<string, string> = {},
  ): Promise<{ status?: number; body?: string; protocol?: string; channels: Record<number, string> }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(wsURL(path), protocols, { ca: tc.cluster.caCert, headers });
      const channels: Record<number, string> = {};
      ws.on('message', (d: Buffer) => (channels[d[0]!] = (channels[d[0]!] ?? '') + d.subarray(1).toString()));
      ws.on('close', () => resolve({ protocol: ws.protocol, channels }));
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body, channels }));
      });
      ws.on('error', reject);
    });
  }

  it('authenticates upgrades like any request: Bearer header, or the bearer subprotocol browsers use', async () => {
    const viaHeader = await open(execPath, ['v5.channel.k8s.io'], { authorization: `Bearer ${tc.cluster.token}` });
    expect(viaHeader.protocol).toBe('v5.channel.k8s.io');
    expect(viaHeader.channels[1]).toBe('via-ws\n');
    expect(JSON.parse(viaHeader.channels[3]!)).toEqual({ metadata: {}, status: 'Success' });
    const token = Buffer.from(tc.cluster.token).toString('base64url');
    const viaProtocol = await open(execPath, ['v4.channel.k8s.io', `base64url.bearer.authorization.k8s.io.${token}`]);
    expect(viaProtocol.protocol).toBe('v4.channel.k8s.io');
    expect(viaProtocol.channels[1]).toBe('via-ws\n');
    const none = await open(execPath, ['v5.channel.k8s.io']);
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body!)).toMatchObject({ kind: 'Status', code: 401, reason: 'Unauthorized' });
  });

  it('answers an unknown upgrade path, an unknown Pod and a malformed path with a Status, and keeps serving', async () => {
    const auth = { authorization: `Bearer ${tc.cluster.token}` };
    const unknown = await open('/api/v1/namespaces/default/pods/box/nosuch', ['v5.channel.k8s.io'], auth);
    expect([unknown.status, JSON.parse(unknown.body!).reason]).toEqual([404, 'NotFound']);
    const noPod = await open(execPath.replace('/box/', '/ghost/'), ['v5.channel.k8s.io'], auth);
    expect([noPod.status, JSON.parse(noPod.body!).message]).toEqual([404, 'pods "ghost" not found']);
    const malformed = await open('/api/v1/namespaces/%E0%A4%A/pods/box/exec?command=true&stdout=true', ['v5.channel.k8s.io'], auth);
    expect(malformed.status).toBe(404);
    const again = await open(execPath, ['v5.channel.k8s.io'], auth);
    expect(again.channels[1]).toBe('via-ws\n');
  });
});
