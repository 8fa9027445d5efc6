// Runs the built CLI (dist/cli.js) as a child process, the way users start tinykube.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface CliRun {
  proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function runCli(args: string[], env: Record<string, string | undefined> = {}): CliRun {
  const proc = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { proc, stdout: () => out, stderr: () => err, exited };
}

export interface KubeconfigInfo {
  server: string;
  token: string;
  ca: string;
  context: string;
}

/** Reads server, CA and token of `context` (default: current-context) from a kubeconfig file. */
export function readKubeconfig(path: string, context?: string): KubeconfigInfo {
  const kc = YAML.parse(readFileSync(path, 'utf8'));
  const ctxName = context ?? kc['current-context'];
  const ctx = kc.contexts.find((c: { name: string }) => c.name === ctxName).context;
  const cluster = kc.clusters.find((c: { name: string }) => c.name === ctx.cluster).cluster;
  const user = kc.users.find((u: { name: string }) => u.name === ctx.user).user;
  return {
    server: cluster.server,
    token: user.token,
    ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString(),
    context: ctxName,
  };
}

export const fileExists = existsSync;
