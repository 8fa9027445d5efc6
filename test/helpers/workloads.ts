// kubectl as the workload tests (ReplicaSets, Deployments, StatefulSets, DaemonSets, Jobs,
// CronJobs) drive it: a command with stdin, one that must fail, `get -o json` parsed, the live
// Pods of a selector, and a fresh namespace per test so the tests of a file never see each
// other's objects. Bound to the file's cluster through a getter, as the cluster starts in beforeAll.
import { expect } from 'vitest';
import type { KubectlResult, TestCluster } from './cluster.js';
import { until } from './wait.js';

export interface WorkloadKubectl {
  /** kubectl with the cluster's kubeconfig; `input` goes to its stdin (`apply -f -`). */
  k(args: string[], input?: string): Promise<KubectlResult>;
  /** A kubectl command that must fail: its stdout and stderr together. */
  fails(args: string[], input?: string): Promise<string>;
  /** `kubectl apply -f -` of a manifest. */
  apply(yaml: string): Promise<KubectlResult>;
  /** `kubectl get <args> -o json`, parsed. */
  get<T = any>(args: string[]): Promise<T>;
  /** `kubectl <args> -o json`, parsed. */
  json<T = any>(args: string[]): Promise<T>;
  /** The Pods of a namespace with these labels that are not being deleted. */
  livePods<T = any>(ns: string, selector: string): Promise<T[]>;
  /** Creates the next namespace `<prefix>-1`, `<prefix>-2`, ... and returns its name. */
  newNamespace(): Promise<string>;
}

export interface WorkloadKubectlOptions {
  /** The namespaces' prefix (`rs`: rs-1, rs-2, ...); `ns` by default. */
  nsPrefix?: string;
  /**
   * Wait until a new namespace has its default ServiceAccount (made by its controller a moment
   * later), for tests whose first Pods must not be refused for want of it.
   */
  waitForServiceAccount?: boolean;
}

export function workloadKubectl(cluster: () => TestCluster, o: WorkloadKubectlOptions = {}): WorkloadKubectl {
  let nsCount = 0;
  const k = (args: string[], input?: string) => cluster().kubectl(args, input === undefined ? {} : { input });
  const json = async <T = any>(args: string[]): Promise<T> => JSON.parse((await k([...args, '-o', 'json'])).stdout) as T;
  const get = <T = any>(args: string[]): Promise<T> => json<T>(['get', ...args]);
  return {
    k,
    apply: (yaml) => k(['apply', '-f', '-'], yaml),
    get,
    json,
    async fails(args, input) {
      const r = await cluster().kubectl(args, { allowFail: true, ...(input === undefined ? {} : { input }) });
      expect(r.code, `kubectl ${args.join(' ')} should fail`).not.toBe(0);
      return `${r.stdout}${r.stderr}`;
    },
    async livePods<T>(ns: string, selector: string) {
      const pods = (await get<{ items: { metadata: { deletionTimestamp?: string } }[] }>(['pods', '-n', ns, '-l', selector])).items;
      return pods.filter((p) => !p.metadata.deletionTimestamp) as T[];
    },
    async newNamespace() {
      const ns = `${o.nsPrefix ?? 'ns'}-${++nsCount}`;
      await k(['create', 'namespace', ns]);
      if (o.waitForServiceAccount)
        await until(async () => (await cluster().kubectl(['get', 'sa', 'default', '-n', ns], { allowFail: true })).code === 0, 10_000);
      return ns;
    },
  };
}
