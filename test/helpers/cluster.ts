// Test harness: a real cluster on free ports (library API, in-memory unless a data dir is given),
// a kubeconfig file for it, and a kubectl runner that uses that kubeconfig with its own cache dir
// (kubectl caches discovery per host:port; a fresh dir per cluster keeps tests independent).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startCluster, type RunningCluster, type StartOptions } from '../../src/index.js';
import { silentLogger } from '../../src/log.js';

export interface TestCluster {
  cluster: RunningCluster;
  dir: string;
  kubeconfigPath: string;
  kubectl(args: string[], opts?: { input?: string; env?: Record<string, string>; allowFail?: boolean }): Promise<KubectlResult>;
  stop(): Promise<void>;
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function startTestCluster(opts: StartOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tinykube-test-'));
  // DNS upstream: a closed loopback port (tests never reach the host's resolvers; a test that
  // needs forwarding passes its own fake upstream).
  // Silent unless a test passes its own logger: test files run clusters in parallel, and those
  // with the default ranges warn about the addresses another one holds (kube-dns, kubernetes).
  const cluster = await startCluster({ apiListen: '127.0.0.1:0', dnsListen: '127.0.0.1:0', dnsUpstream: '127.0.0.1:1', logger: silentLogger(), ...opts });
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, cluster.kubeconfig, { mode: 0o600 });
  const cacheDir = join(dir, 'kube-cache');
  return {
    cluster,
    dir,
    kubeconfigPath,
    kubectl: (args, o = {}) => runKubectl(['--kubeconfig', kubeconfigPath, '--cache-dir', cacheDir, ...args], o),
    async stop() {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function runKubectl(args: string[], o: { input?: string; env?: Record<string, string>; allowFail?: boolean } = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: '', ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const r = { code: code ?? -1, stdout, stderr };
      if (code !== 0 && !o.allowFail) reject(new Error(`kubectl ${args.slice(4).join(' ')} exited ${code}: ${stderr || stdout}`));
      else resolve(r);
    });
    if (o.input !== undefined) p.stdin.end(o.input);
    else p.stdin.end();
  });
}

export function writeTemp(dir: string, name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}
