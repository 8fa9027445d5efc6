// The node agent's per-Pod state as plain data (Worker, Ctr), and the context every part of the
// runtime takes as its first argument (RuntimeContext). The parts are the kubelet's own:
// status-manager.ts (pkg/kubelet/status), prober-manager.ts (pkg/kubelet/prober),
// volume-manager.ts (pkg/kubelet/volumemanager), container-start.ts and termination.ts
// (kuberuntime_container.go), pod-workers.ts (pod_workers.go); runtime.ts wires them together.
// They keep no state of their own (but the status manager's pending batch): it is all here, so
// each can be read, and tested, alone: a test builds a Worker and a RuntimeContext of fakes and
// calls one function.
import type { Logger } from 'pino';
import type { Writable } from 'node:stream';
import type { Informer } from '../storage/informer.js';
import type { ResourceDef } from '../registry/types.js';
import type { Store } from '../storage/store.js';
import type { Registry } from '../registry/generic-store.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import type { EventRecorder } from '../controllers/events.js';
import { rfc3339 } from '../apimachinery/meta.js';
import type { Container, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting } from '../api/generated/core/v1.js';
import type { PodObj } from '../registry/pod/strategy.js';
import type { NodeObj } from '../registry/node.js';
import type { ConfigMapObj } from '../registry/configmap.js';
import type { SecretObj } from '../registry/secret.js';
import { podSpecOf } from './env.js';
import type { PodIPPool } from './podips.js';
import type { ImageDeps } from './image-pull.js';
import type { ProcessHandle } from './process.js';
import type { Tracker } from './tracker.js';
import type { MaterializedVolume, TokenIssuer } from './volumes.js';
import type { IsolationInfo, Mount } from './sandbox.js';

/** A container's state as the API shows it, with exactly one of waiting, running, terminated set. */
export type State = { waiting: ContainerStateWaiting } | { running: ContainerStateRunning } | { terminated: ContainerStateTerminated };

/** Where an attached session wants the container's output. */
export interface OutputSink {
  stdout?: Writable;
  stderr?: Writable;
}

/** One container of a Pod: its spec, its status, and its current process (if one runs). */
export interface Ctr {
  spec: Container;
  init: boolean;
  /** An ephemeral container (kubectl debug): started once, never restarted, no probes. */
  ephemeral?: boolean;
  restartCount: number;
  state: State;
  lastState: State | Record<string, never>;
  proc?: ProcessHandle;
  /** Attached sessions (kubectl attach) receiving the process's output. */
  attached?: Set<OutputSink>;
  /** The container's own mounts (volumes), to find an exec'd command as the container sees it. */
  mounts?: Mount[];
  logs?: { close(): void };
  startedAtMs?: number;
  /** The next CrashLoopBackOff delay (0: the next restart is immediate). */
  backoffMs: number;
  /** Set while the container waits out a back-off: the worker does not start it before. */
  backoffUntil?: number;
  /** The last failed pull of its image and its back-off (image-pull.ts). */
  pull?: { backoffMs: number; until: number; message: string };
  /** The image it runs as (set at each start). */
  image?: import('./images.js').ResolvedImage;
  /** A pending retry of this container (back-off, or a config error that may resolve). */
  timer?: NodeJS.Timeout;
  containerID: string;
  /** True once the container has finished for good (init done, or no restart). */
  done?: boolean;
  /** Started at least once by this worker: the next start is a restart. */
  started?: boolean;
  /** Probe state of the running process: startup passed, readiness passed. */
  startupOK?: boolean;
  readyOK?: boolean;
  probers?: { stop(): void }[];
  env?: Record<string, string>;
  cwd?: string;
  /** Runs a command inside this container's namespaces (exec probes, hooks), when it has them. */
  enter?: (argv: string[]) => string[] | undefined;
  /** argv of a process that belongs to the running container (exec, probes, hooks): its namespaces, cgroup, death signal. */
  command?: (argv: string[]) => string[];
}

/** One Pod this node runs (pod_workers.go's per-Pod worker and its sync status). */
export interface Worker {
  /** namespace/name */
  key: string;
  uid: string;
  /** The Pod as last seen in the store (or as the last status write returned it). */
  pod: PodObj;
  /** On disk (data dir): logs, pid files, emptyDirs. */
  dir: string;
  /** On a tmpfs: API-data volumes, the Pod's hosts/resolv.conf, mount plans (many small files). */
  run: string;
  ips: string[];
  /** Init, regular and ephemeral containers, by name, in spec order. */
  ctrs: Map<string, Ctr>;
  startTime?: string;
  terminating?: Promise<void>;
  /** Deleted from the store: nothing more is done for it. */
  gone?: boolean;
  /** Volumes set up on the host, by name; undefined until all could be set up. */
  volumes?: Map<string, MaterializedVolume>;
  /** Retry of a failed volume setup, or the next service account token refresh. */
  volumeTimer?: NodeJS.Timeout;
  lastMountError?: string;
  /** The Pod's /etc/hosts carries the cluster's Services (no cluster DNS on port 53). */
  dnsFallback?: boolean;
  /** Terminated and every process of it killed. */
  reaped?: boolean;
}

/** What the node agent gives the runtime (src/kubelet/index.ts). */
export interface RuntimeDeps extends ImageDeps {
  /**
   * The environment that moves a container's wildcard and loopback binds to its Pod IP (the bind
   * rewrite library, src/kubelet/preload.ts), or undefined where that library is not available.
   */
  bindRewriteEnv?: (o: { podIP: string; portsFile: string; ldPreload?: string; otherUser?: boolean }) => Record<string, string> | undefined;
  store: Store;
  registry: Registry;
  podDef: ResourceDef;
  config: ClusterConfig;
  pool: PodIPPool;
  hostIP: string;
  podsDir: string;
  /** Per-Pod runtime files go here (a tmpfs when there is one). */
  runDir: string;
  record: EventRecorder;
  log: Logger;
  /** Wraps argv so the process dies with tinykube (setpriv --pdeathsig), when available. */
  wrap: (argv: string[]) => string[];
  /** Which processes belong to which container (cgroup or /proc), to kill them all. */
  tracker: Tracker;
  /** What the host allows for a Pod's own mounts (decided once at start). */
  isolation: () => IsolationInfo;
  /** Issues the projected service account tokens. */
  issueToken?: TokenIssuer;
  /** The cluster DNS server for ClusterFirst Pods, once one serves. */
  clusterDNS?: () => { nameserver: string; domain: string } | undefined;
  /** Why the cluster DNS cannot serve Pods (no port-53 address); Pods then get Service names in /etc/hosts. */
  clusterDNSUnavailable?: string;
  /**
   * The shared Services informer: a Pod's environment and its /etc/hosts fallback read Services
   * from it (no SQLite read, no JSON parse), so starting a Pod costs its namespace's Services,
   * not the cluster's.
   */
  services: Informer;
}

/** Fields of a container's terminated state that its exit sets (containerExited). */
export type Exit = Pick<ContainerStateTerminated, 'exitCode' | 'signal' | 'message'> &
  Required<Pick<ContainerStateTerminated, 'reason' | 'startedAt' | 'finishedAt'>>;

/**
 * The runtime as its parts see it: the deps, the shared state, and each part's entry point.
 * The parts call each other only through these members (a container's exit syncs its Pod, whose
 * sync starts containers; a failed liveness probe signals the container), so no module imports
 * another in a cycle and a test can put a fake in place of any part. Each function asks for the
 * members it uses (`Pick<RuntimeContext, ...>`); runtime.ts builds the one object that has them all.
 */
export interface RuntimeContext extends RuntimeDeps {
  /** The Pods this node runs, by namespace/name. */
  workers: Map<string, Worker>;
  /** Set once by stop(): from then on nothing starts, restarts, or writes status. */
  stopped: boolean;
  /** The Services block of /etc/hosts by namespace, for Pods without cluster DNS (volume-manager.ts). */
  hostsBlocks: Map<string, string>;
  /** status-manager.ts: the Pod's status is to be written (batched). */
  markDirty(w: Worker): void;
  /** status-manager.ts: writes the pending statuses now. */
  flush(): void;
  /** pod-workers.ts: brings the Pod's containers to where its spec and state want them. */
  sync(key: string): void;
  /** volume-manager.ts: sets up the Pod's volumes and files; false while one cannot be. */
  setupVolumes(w: Worker): boolean;
  /** container-start.ts: starts (or restarts) one container. */
  start(w: Worker, c: Ctr): void;
  /** termination.ts: stops every container of the Pod within its grace period. */
  terminate(w: Worker, graceSeconds: number): Promise<void>;
  /** termination.ts: the final delete once the containers are gone. */
  finalize(w: Worker): void;
  /** termination.ts: the Pod is gone from the store. */
  removed(key: string, uid: string): void;
  /** termination.ts: a signal to the container's processes. */
  signalContainer(w: Worker, c: Ctr, sig: NodeJS.Signals, onlyThisRun?: boolean): Promise<void>;
}

/** The Pod's spec (empty for a Pod without one). */
export const specOf = podSpecOf;

export const now = () => rfc3339(new Date());

export const podKeyOf = (pod: PodObj) => `${pod.metadata.namespace}/${pod.metadata.name}`;

/** What the environment and the volumes both read: the Pod, its addresses, the Node, objects. */
export function podContext(rt: Pick<RuntimeContext, 'store' | 'config' | 'hostIP'>, w: Worker) {
  const node = rt.store.get('nodes', '', rt.config.nodeName) as NodeObj | undefined;
  const alloc = node?.status?.allocatable ?? {};
  return {
    pod: w.pod,
    podIPs: w.ips,
    hostIP: rt.hostIP,
    node: { cpu: alloc.cpu, memory: alloc.memory, ephemeralStorage: alloc['ephemeral-storage'] },
    getConfigMap: (n: string, name: string) => rt.store.get('configmaps', n, name) as ConfigMapObj | undefined,
    getSecret: (n: string, name: string) => rt.store.get('secrets', n, name) as SecretObj | undefined,
  };
}

/**
 * A delay Node's timers can hold: a grace period past 2^31-1 ms (~24.8 days) would otherwise
 * overflow into 1 ms and kill at once; it waits the longest a timer can instead.
 */
export function timerMs(ms: number): number {
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 2 ** 31 - 1) : 2 ** 31 - 1;
}
