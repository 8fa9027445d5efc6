// Where tinykube keeps things by default: XDG data dir per cluster name, and the kubeconfig that
// kubectl reads ($KUBECONFIG's first entry, else ~/.kube/config), like kind.
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export function defaultDataDir(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return join(base, 'tinykube', name);
}

export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(delimiter).find((p) => p.length > 0);
  return first ?? join(env.HOME || homedir(), '.kube', 'config');
}
