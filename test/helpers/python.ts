// Runs the official Python client (Debian's python3-kubernetes, by /usr/bin/python3) against a
// test cluster: a fixture script of test/fixtures/python/ or an inline `-c` script, with the
// cluster's kubeconfig as its first argument. Nothing from the host's kube setup nor a proxy may
// change what the client does (a minimal environment, HOME in the fixture's temp dir), and every
// run has a timeout (SIGKILL), so a hang fails its test instead of stalling the suite. The scripts
// print their result as one JSON line, the last one of stdout.
import { spawn } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestCluster } from './cluster.js';

export const PYTHON = '/usr/bin/python3';
export const PYTHON_FIXTURES = fileURLToPath(new URL('../fixtures/python/', import.meta.url));

export interface PyResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PyOptions {
  /** ms before the script is killed; 30 s by default. */
  timeoutMs?: number;
  /** Reject when the script was killed for its timeout (instead of resolving with code null). */
  rejectOnTimeout?: boolean;
  /** The script's working directory (a script that imports a sibling module of its own folder). */
  cwd?: string;
}

/** What to run: a fixture script (`{ script: 'deployment.py' }`, relative to test/fixtures/python/, or an absolute path) or inline code (`{ code }`). */
export type PySource = { script: string } | { code: string };

const label = (src: PySource) => ('script' in src ? src.script : 'python');

/**
 * Runs the script with the cluster's kubeconfig and `args`; resolves with its exit code and output
 * (a non-zero exit is the caller's to judge).
 */
export function runPython(tc: TestCluster, src: PySource, args: string[] = [], o: PyOptions = {}): Promise<PyResult> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const argv =
    'script' in src ? [resolvePath(PYTHON_FIXTURES, src.script), tc.kubeconfigPath, ...args] : ['-c', src.code, tc.kubeconfigPath, ...args];
  return new Promise((resolve, reject) => {
    const p = spawn(PYTHON, argv, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tc.dir, PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(o.cwd ? { cwd: o.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, timeoutMs);
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (timedOut && o.rejectOnTimeout) reject(new Error(`${label(src)} did not finish within ${timeoutMs} ms (hung); stderr: ${stderr}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

/** The JSON value of the last line a script printed. */
export const lastJsonLine = <T = any>(stdout: string): T => JSON.parse(stdout.trim().split('\n').at(-1)!) as T;

/** Runs a script that must succeed (else rejects with its output) and returns the JSON it printed last. */
export async function pythonJson<T = any>(tc: TestCluster, src: PySource, args: string[] = [], o: PyOptions = {}): Promise<T> {
  const r = await runPython(tc, src, args, o);
  if (r.code !== 0) throw new Error(`${label(src)} exited ${r.code}: ${r.stderr || r.stdout}`);
  return lastJsonLine<T>(r.stdout);
}
