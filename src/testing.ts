// Test fixtures for users (`tinykube/testing`): a cluster per test file, which with vitest's and
// jest's default isolation is one per worker, on its own host slot (see config/slots.ts), so any
// number of files run in parallel without options. The fixture writes a kubeconfig file and gives
// kubectl its own discovery cache (kubectl caches per host:port, and ports are reused).
//
//   import { beforeAll, afterAll, test } from 'vitest';   // jest: the globals
//   import { withCluster } from 'tinykube/testing';
//   const tk = withCluster({ beforeAll, afterAll });
//   test('lists namespaces', async () => {
//     const { stdout } = await tk().kubectl(['get', 'ns']);
//   });
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type RunningCluster, type StartOptions } from './cluster.js';
import { silentLogger } from './base/log.js';
import { claimRuntimeDir, TEST_FIXTURE_PREFIX } from './kubelet/runtime-dirs.js';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  /** Written to kubectl's stdin (`kubectl apply -f -`). */
  input?: string;
  env?: Record<string, string>;
  /** Resolve with a non-zero exit code instead of rejecting. */
  allowFail?: boolean;
}

export interface ClusterFixture {
  cluster: RunningCluster;
  /** A private temp dir of this fixture (removed by stop()). */
  dir: string;
  kubeconfigPath: string;
  /** `{ KUBECONFIG }` for child processes and client libraries that read the environment. */
  env: { KUBECONFIG: string };
  kubectl(args: string[], opts?: KubectlOptions): Promise<KubectlResult>;
  stop(): Promise<void>;
}

/** Starts an in-memory cluster (silent unless a logger is given) with a kubeconfig file. */
export async function startTestCluster(opts: StartOptions = {}): Promise<ClusterFixture> {
  let stopFixture = (): Promise<void> => Promise.resolve();
  const cluster = await startCluster({
    logger: silentLogger(),
    ...opts,
    // Orphaned (the test runner was killed): the fixture goes as a whole, its directory included.
    onOrphaned: (why) => {
      void stopFixture();
      opts.onOrphaned?.(why);
    },
  });
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), TEST_FIXTURE_PREFIX));
    // Reclaimed by a later start when this process dies without stop() (a killed test runner).
    claimRuntimeDir(dir);
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, cluster.kubeconfig, { mode: 0o600 });
  const cacheDir = join(dir, 'kube-cache');
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      try {
        await cluster.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    })());
  stopFixture = stop;
  return {
    cluster,
    dir,
    kubeconfigPath,
    env: { KUBECONFIG: kubeconfigPath },
    kubectl: (args, o = {}) => runKubectl(['--kubeconfig', kubeconfigPath, '--cache-dir', cacheDir, ...args], o),
    stop,
  };
}

type Hook = (fn: () => unknown, timeout?: number) => unknown;

/**
 * Registers a cluster for the current test file: started in beforeAll, stopped in afterAll.
 * Returns a getter (the cluster exists only once beforeAll ran).
 */
export function withCluster(hooks: { beforeAll: Hook; afterAll: Hook }, opts: StartOptions = {}): () => ClusterFixture {
  let fixture: ClusterFixture | undefined;
  hooks.beforeAll(async () => {
    fixture = await startTestCluster(opts);
  }, 30_000);
  hooks.afterAll(async () => {
    await fixture?.stop();
  }, 30_000);
  return () => {
    if (!fixture) throw new Error('the tinykube test cluster is not started yet: use it inside tests or hooks that run after beforeAll');
    return fixture;
  };
}

/** Runs kubectl (from PATH) with these arguments; KUBECONFIG is cleared unless env sets it. */
export function runKubectl(args: string[], o: KubectlOptions = {}): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: '', ...o.env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      const r = { code: code ?? -1, stdout, stderr };
      if (code !== 0 && !o.allowFail)
        reject(
          new Error(
            `kubectl ${args.filter((a, i) => !['--kubeconfig', '--cache-dir'].includes(a) && !['--kubeconfig', '--cache-dir'].includes(args[i - 1] ?? '')).join(' ')} exited ${code}: ${stderr || stdout}`,
          ),
        );
      else resolve(r);
    });
    p.stdin.on('error', () => undefined);
    p.stdin.end(o.input);
  });
}
