// The container runtime and pod workers of the node agent (the kubelet's syncPod loop, with local
// processes for containers). Each Pod bound to this Node gets a worker that starts its init
// containers in order, then its containers, each as its own process group; follows the restart
// policy with CrashLoopBackOff; writes status through pods/status (batched); and on deletion
// sends SIGTERM to every process of its containers, SIGKILL after the grace period, then removes
// the Pod. Which processes are a container's (however they detach) is the tracker's (tracker.ts).
import type { Informer } from '../storage/informer.js';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, posix } from 'node:path';
import type { Logger } from 'pino';
import type { ResourceDef } from '../registry/types.js';
import type { KubeObject } from '../apimachinery/types.js';
import type { Store } from '../storage/store.js';
import type { Registry } from '../registry/generic-store.js';
import type { ClusterConfig } from '../config/cluster-config.js';
import type { EventRecorder } from '../controllers/events.js';
import { rfc3339 } from '../apimachinery/meta.js';
import { StatusError } from '../apimachinery/errors.js';
import { ConfigError, containerArgv, containerEnv, expandSubPathExpr, type ContainerSpec } from './env.js';
import { captureLogs, logPath } from './logs.js';
import { podIP, releasePodIP, type PodIPPool } from './podips.js';
import { setCondition } from '../registry/pod/binding.js';
import { runProbe, startProber, type ProbeSpec, type ProbeTarget } from './probes.js';
import {
  materializeVolume,
  prepareSubPath,
  readOnlyKind,
  type MaterializedVolume,
  type TokenIssuer,
  type Volume,
  type VolumeContext,
} from './volumes.js';
import { loadTerminals, spawnProcess, terminalsLoaded, type ProcessHandle } from './process.js';
import { killLeftoverContainers, MARKER, procStartTime, type ContainerRef, type Tracker } from './tracker.js';
import type { Writable } from 'node:stream';
import {
  enterArgv,
  formatResolvConf,
  hostAliasesBlock,
  hostResolvConf,
  hostsFile,
  planMounts,
  podHostname,
  podResolvConf,
  sandboxArgv,
  serviceHostsBlock,
  wantsClusterDNS,
  type IsolationInfo,
  type Mount,
} from './sandbox.js';

type State =
  | { waiting: { reason?: string; message?: string } }
  | { running: { startedAt: string } }
  | {
      terminated: {
        exitCode: number;
        signal?: number;
        reason?: string;
        message?: string;
        startedAt?: string;
        finishedAt?: string;
        containerID?: string;
      };
    };

interface Ctr {
  spec: ContainerSpec;
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
  backoffMs: number;
  backoffUntil?: number;
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

/** Where an attached session wants the container's output. */
export interface OutputSink {
  stdout?: Writable;
  stderr?: Writable;
}

/** What exec and attach need of a running container (src/kubelet/exec.ts). */
export interface ContainerHandle {
  pod: KubeObject;
  spec: ContainerSpec & { stdin?: boolean; stdinOnce?: boolean; tty?: boolean };
  running: boolean;
  proc?: ProcessHandle;
  env: Record<string, string>;
  /** The container's working directory (as it sees it). */
  cwd: string;
  /** A host directory to start exec'd processes from (namespaces enter their own). */
  hostCwd: string;
  /** argv that runs inside the container's namespaces, when it has them. */
  enter?: (argv: string[]) => string[] | undefined;
  /**
   * argv of a process that belongs to the container (kubectl exec): inside its namespaces when it
   * has them, tracked with it (dies when the container stops), and dying with tinykube.
   */
  command(argv: string[]): string[];
  /** Whether cmd resolves to an executable inside the container (PATH, volumes at their mountPath). */
  findExecutable(cmd: string): boolean;
  /** Receives output until the returned function is called. */
  attach(sink: OutputSink): () => void;
}

interface VolumeMountSpec {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
  subPathExpr?: string;
}

interface Worker {
  key: string;
  uid: string;
  pod: KubeObject;
  /** On disk (data dir): logs, pid files, emptyDirs. */
  dir: string;
  /** On a tmpfs: API-data volumes, the Pod's hosts/resolv.conf, mount plans (many small files). */
  run: string;
  ips: string[];
  ctrs: Map<string, Ctr>;
  startTime?: string;
  terminating?: Promise<void>;
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

export interface RuntimeDeps {
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

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGABRT: 6, SIGSEGV: 11, SIGPIPE: 13 };
const FULL_RESET_MS = 10 * 60_000;

const specOf = (p: KubeObject) =>
  (p.spec ?? {}) as {
    containers?: ContainerSpec[];
    initContainers?: ContainerSpec[];
    ephemeralContainers?: ContainerSpec[];
    restartPolicy?: string;
    hostNetwork?: boolean;
    terminationGracePeriodSeconds?: number;
    nodeName?: string;
    volumes?: Volume[];
    subdomain?: string;
    hostAliases?: { ip: string; hostnames?: string[] }[];
  };
const now = () => rfc3339(new Date());

/**
 * Resolves a command like execvp would, against the container's PATH. `host` maps a path as the
 * container sees it to where it is on the host (volumes at their mountPath).
 */
function findExecutable(cmd: string, path: string | undefined, cwd: string, host: (p: string) => string = (p) => p): string | undefined {
  const ok = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (cmd.includes('/')) return ok(host(isAbsolute(cmd) ? cmd : join(cwd, cmd))) ? cmd : undefined;
  for (const dir of (path ?? '').split(delimiter)) if (dir && ok(host(join(dir, cmd)))) return join(dir, cmd);
  return undefined;
}

/** Where a container path is on the host: inside the volume mounted at its longest prefix, or itself. */
function hostPathOf(mounts: Mount[], p: string): string {
  // As the container resolves it: `/data/../etc` is /etc, never a path above the volume's directory.
  p = posix.normalize(p);
  let best: Mount | undefined;
  for (const m of mounts) {
    const t = m.target.replace(/\/+$/, '');
    if ((p === t || p.startsWith(`${t}/`)) && (!best || t.length > best.target.length)) best = m;
  }
  return best ? join(best.source, p.slice(best.target.replace(/\/+$/, '').length)) : p;
}

export function createRuntime(d: RuntimeDeps) {
  const workers = new Map<string, Worker>();
  const dirty = new Set<string>();
  let flushTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  // ---- status ----

  const containerStatus = (c: Ctr) => ({
    name: c.spec.name,
    image: c.spec.image ?? '',
    imageID: '',
    // omitempty upstream: a container that was never created (CreateContainerError, still
    // ContainerCreating) has no ID, and `kubectl describe` shows an empty `Container ID:`.
    ...(c.containerID ? { containerID: `tinykube://${c.containerID}` } : {}),
    started: 'running' in c.state && !!c.startupOK,
    ready: isReady(c),
    restartCount: c.restartCount,
    state: c.state,
    lastState: c.lastState,
  });

  function podStatus(w: Worker): Record<string, unknown> {
    const spec = specOf(w.pod);
    const ctrs = [...w.ctrs.values()];
    const inits = ctrs.filter((c) => c.init);
    const mains = ctrs.filter((c) => !c.init && !c.ephemeral);
    const eph = ctrs.filter((c) => c.ephemeral);
    const initialized = inits.every((c) => c.done && 'terminated' in c.state && c.state.terminated.exitCode === 0);
    const policy = spec.restartPolicy ?? 'Always';
    const phase = podPhase(inits, mains, policy);
    const ready = initialized && mains.length > 0 && mains.every(isReady);
    const status = (w.pod.status ?? {}) as {
      conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string }[];
    };
    let conds = status.conditions ?? [];
    const t = now();
    const set = (type: string, ok: boolean, reason?: string, message?: string) => {
      conds = setCondition(conds, {
        type,
        status: ok ? 'True' : 'False',
        lastProbeTime: null,
        lastTransitionTime: t,
        ...(reason ? { reason } : {}),
        ...(message ? { message } : {}),
      });
    };
    const notReady = mains.filter((c) => !isReady(c)).map((c) => c.spec.name);
    const notReadyMsg = `containers with unready status: [${notReady.join(' ')}]`;
    const terminal = phase === 'Succeeded' || phase === 'Failed';
    set('PodReadyToStartContainers', !terminal);
    set(
      'Initialized',
      initialized,
      initialized ? undefined : 'ContainersNotInitialized',
      initialized
        ? undefined
        : `containers with incomplete status: [${inits
            .filter((c) => !c.done)
            .map((c) => c.spec.name)
            .join(' ')}]`,
    );
    set('Ready', ready, ready ? undefined : terminal ? 'PodCompleted' : 'ContainersNotReady', ready || terminal ? undefined : notReadyMsg);
    set(
      'ContainersReady',
      ready,
      ready ? undefined : terminal ? 'PodCompleted' : 'ContainersNotReady',
      ready || terminal ? undefined : notReadyMsg,
    );
    const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
    conds = [...conds].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
    const out: Record<string, unknown> = {
      ...status,
      phase,
      conditions: conds,
      hostIP: d.hostIP,
      hostIPs: [{ ip: d.hostIP }],
      podIP: w.ips[0],
      podIPs: w.ips.map((ip) => ({ ip })),
      startTime: w.startTime,
      containerStatuses: mains.map(containerStatus),
    };
    if (inits.length) out.initContainerStatuses = inits.map(containerStatus);
    if (eph.length) out.ephemeralContainerStatuses = eph.map(containerStatus);
    if (!w.ips.length) {
      delete out.podIP;
      delete out.podIPs;
    }
    return out;
  }

  const markDirty = (w: Worker) => {
    if (stopped) return;
    dirty.add(w.key);
    flushTimer ??= setTimeout(flush, 10);
  };

  /** Writes every changed Pod status in one store transaction (1,000 Pods are one commit, not 1,000). */
  function flush() {
    flushTimer = undefined;
    const keys = [...dirty];
    dirty.clear();
    if (!keys.length) return;
    try {
      d.store.txn(() => {
        for (const key of keys) {
          const w = workers.get(key);
          if (!w || w.gone) continue;
          const [ns, name] = key.split('/') as [string, string];
          const cur = d.store.get('pods', ns, name);
          if (!cur || cur.metadata.uid !== w.uid) continue;
          w.pod = cur;
          const status = podStatus(w);
          try {
            // trusted: the kubelet built this status itself (no decode checks needed).
            const r = d.registry.update(
              d.podDef,
              ns,
              name,
              { ...cur, status },
              { subresource: 'status', fieldManager: 'kubelet', trusted: true },
            );
            w.pod = r.object;
          } catch (e) {
            if (e instanceof StatusError && (e.code === 404 || e.code === 409)) continue;
            d.log.warn({ err: e, pod: key }, 'pod status not written');
          }
        }
      });
    } catch (err) {
      d.log.warn({ err }, 'pod status batch failed');
    }
  }

  // ---- containers ----

  const isReady = (c: Ctr) => !c.init && !c.ephemeral && 'running' in c.state && !!c.startupOK && !!c.readyOK;

  function stopProbers(c: Ctr) {
    for (const p of c.probers ?? []) p.stop();
    c.probers = [];
  }

  /** Startup gates liveness and readiness; liveness failure restarts; readiness drives Ready. */
  function startProbers(w: Worker, c: Ctr) {
    stopProbers(c);
    const spec = c.spec as ContainerSpec & {
      startupProbe?: ProbeSpec;
      livenessProbe?: ProbeSpec;
      readinessProbe?: ProbeSpec;
      ports?: { name?: string; containerPort: number }[];
    };
    const target = (): ProbeTarget => ({
      podIP: w.ips[0] ?? d.hostIP,
      ports: spec.ports ?? [],
      env: c.env ?? {},
      cwd: c.enter ? w.dir : (c.cwd ?? w.dir),
      wrap: c.command,
    });
    const name = spec.name;
    const pid = c.proc?.pid;
    const current = () => c.proc?.pid === pid && !!pid;
    const failed = (kind: string) => (message: string) => {
      if (current()) d.record(w.pod, 'Warning', 'Unhealthy', `${kind} probe failed: ${message}`.trim());
    };
    const kill = (kind: string) => {
      if (!current()) return;
      d.record(w.pod, 'Normal', 'Killing', `Container ${name} failed ${kind} probe, will be restarted`);
      const grace =
        (spec.livenessProbe as { terminationGracePeriodSeconds?: number } | undefined)?.terminationGracePeriodSeconds ??
        specOf(w.pod).terminationGracePeriodSeconds ??
        30;
      // This run's processes only: the restart that follows must not meet the kill.
      void signalContainer(w, c, 'SIGTERM', true);
      const t = setTimeout(() => current() && void signalContainer(w, c, 'SIGKILL', true), timerMs(grace * 1000));
      t.unref();
    };
    const later = () => {
      if (spec.livenessProbe)
        c.probers!.push(startProber(spec.livenessProbe, target, { change: (ok) => !ok && kill('liveness'), failure: failed('Liveness') }));
      if (spec.readinessProbe) {
        c.probers!.push(
          startProber(spec.readinessProbe, target, {
            change: (ok) => {
              if (!current() || c.readyOK === ok) return;
              c.readyOK = ok;
              markDirty(w);
            },
            failure: failed('Readiness'),
          }),
        );
      } else c.readyOK = true;
      markDirty(w);
    };
    c.probers = [];
    c.readyOK = false;
    if (spec.startupProbe) {
      c.startupOK = false;
      const sp = startProber(spec.startupProbe, target, {
        change: (ok) => {
          if (!current()) return;
          if (!ok) return kill('startup');
          sp.stop();
          c.startupOK = true;
          later();
        },
        failure: failed('Startup'),
      });
      c.probers.push(sp);
    } else {
      c.startupOK = true;
      later();
    }
  }

  function setState(w: Worker, c: Ctr, s: State) {
    c.state = s;
    markDirty(w);
  }

  /** What the environment and the volumes both read: the Pod, its addresses, the Node, objects. */
  function podContext(w: Worker) {
    const node = d.store.get('nodes', '', d.config.nodeName);
    const alloc = ((node?.status as { allocatable?: Record<string, string> } | undefined)?.allocatable ?? {}) as Record<string, string>;
    return {
      pod: w.pod,
      podIPs: w.ips,
      hostIP: d.hostIP,
      node: { cpu: alloc.cpu, memory: alloc.memory, ephemeralStorage: alloc['ephemeral-storage'] },
      getConfigMap: (n: string, name: string) => d.store.get('configmaps', n, name),
      getSecret: (n: string, name: string) => d.store.get('secrets', n, name),
    };
  }

  function envContext(w: Worker) {
    const ns = w.pod.metadata.namespace ?? 'default';
    const kubernetes = ns === 'default' ? undefined : d.services.get('default', 'kubernetes');
    const services = [...d.services.list(ns), ...(kubernetes ? [kubernetes] : [])];
    return {
      ...podContext(w),
      services,
      apiServer: { host: ['0.0.0.0', '::', ''].includes(d.config.apiHost) ? '127.0.0.1' : d.config.apiHost, port: d.config.apiPort },
    };
  }

  // ---- volumes and the Pod's own files ----

  function volumeContext(w: Worker): VolumeContext {
    return {
      ...podContext(w),
      getServiceAccount: (n, name) => d.store.get('serviceaccounts', n, name),
      nodeName: d.config.nodeName,
      issueToken: d.issueToken,
    };
  }

  function mountFailed(w: Worker, volume: string, e: unknown) {
    const msg = `MountVolume.SetUp failed for volume "${volume}" : ${(e as Error).message}`;
    if (w.lastMountError === msg) return;
    w.lastMountError = msg;
    d.record(w.pod, 'Warning', 'FailedMount', msg);
  }

  /**
   * Sets up every volume and writes the Pod's hosts and resolv.conf. While a volume cannot be set
   * up (a missing ConfigMap, say) the containers wait in ContainerCreating, as on a kubelet.
   */
  function setupVolumes(w: Worker): boolean {
    const ctx = volumeContext(w);
    const out = new Map<string, MaterializedVolume>();
    for (const v of specOf(w.pod).volumes ?? []) {
      try {
        out.set(v.name, materializeVolume({ disk: w.dir, mem: w.run }, v, ctx));
      } catch (e) {
        mountFailed(w, v.name, e);
        clearTimeout(w.volumeTimer);
        w.volumeTimer = setTimeout(() => sync(w.key), 2000);
        return false;
      }
    }
    w.lastMountError = undefined;
    w.volumes = out;
    writePodFiles(w);
    scheduleRefresh(w);
    const iso = d.isolation();
    if (w.dnsFallback) {
      d.record(
        w.pod,
        'Warning',
        'ClusterDNSUnavailable',
        iso.mode === 'none'
          ? `the cluster DNS cannot serve this Pod (${d.clusterDNSUnavailable ?? 'it has no address on port 53'}) and the Pod has no /etc/hosts of its own: it uses the host's resolvers; Services are in its <NAME>_SERVICE_HOST variables`
          : `the cluster DNS cannot serve this Pod (${d.clusterDNSUnavailable ?? 'it has no address on port 53'}): the cluster's Service names are in its /etc/hosts (kept current) and other names use the host's resolvers`,
      );
    }
    if (iso.mode === 'none') {
      d.record(
        w.pod,
        'Warning',
        'MountNamespaceUnavailable',
        `tinykube cannot give this Pod a mount namespace of its own here (${iso.reason}): volumes are not at their mountPath but under ${join(w.run, 'volumes')} (emptyDir: ${join(w.dir, 'volumes')}), and /etc/hosts, /etc/resolv.conf and /var/run/secrets/kubernetes.io/serviceaccount are the host's`,
      );
    }
    return true;
  }

  // The Services block of /etc/hosts for Pods without cluster DNS, built once per namespace and
  // Services generation (it names every Service of the cluster: rebuilding it per Pod would cost
  // the cluster's size each time).
  const hostsBlocks = new Map<string, string>();
  const hostsBlockFor = (ns: string) => {
    let b = hostsBlocks.get(ns);
    if (b === undefined) hostsBlocks.set(ns, (b = serviceHostsBlock(d.services.list(), ns, d.config.clusterDomain)));
    return b;
  };

  function writePodFiles(w: Worker) {
    const spec = specOf(w.pod);
    const ns = w.pod.metadata.namespace ?? 'default';
    let hosts: string | undefined;
    if (!spec.hostNetwork) {
      hosts = hostsFile({
        ips: w.ips,
        hostname: podHostname(w.pod),
        domain: spec.subdomain ? `${spec.subdomain}.${ns}.svc.${d.config.clusterDomain}` : undefined,
        aliases: spec.hostAliases,
      });
      w.dnsFallback = wantsClusterDNS(w.pod) && !d.clusterDNS?.();
      if (w.dnsFallback) hosts += hostsBlockFor(ns);
    } else if (spec.hostAliases?.length) {
      // Host networking keeps the host's file; aliases are added to a copy of it.
      let base = '';
      try {
        base = readFileSync('/etc/hosts', 'utf8');
      } catch {
        base = '';
      }
      hosts = `${base}${base.endsWith('\n') || !base ? '' : '\n'}${hostAliasesBlock(spec.hostAliases)}`;
    }
    if (hosts !== undefined) writeFileSync(join(w.run, 'etc-hosts'), hosts);
    else rmSync(join(w.run, 'etc-hosts'), { force: true });
    writeFileSync(join(w.run, 'resolv.conf'), formatResolvConf(podResolvConf(w.pod, hostResolvConf(), d.clusterDNS?.())));
  }

  /** The Pod's own files, bound over the host's inside its mount namespace. */
  function podFileMounts(w: Worker): Mount[] {
    const out: Mount[] = [];
    if (existsSync(join(w.run, 'etc-hosts'))) out.push({ source: join(w.run, 'etc-hosts'), target: '/etc/hosts', readOnly: false });
    out.push({ source: join(w.run, 'resolv.conf'), target: '/etc/resolv.conf', readOnly: false });
    return out;
  }

  /** Writes the volumes matching `which` again (a changed ConfigMap/Secret, a token due for refresh). */
  function refreshVolumes(w: Worker, which: (mv: MaterializedVolume) => boolean) {
    if (!w.volumes || w.gone) return;
    const ctx = volumeContext(w);
    for (const v of specOf(w.pod).volumes ?? []) {
      const mv = w.volumes.get(v.name);
      if (!mv || !which(mv)) continue;
      try {
        w.volumes.set(v.name, materializeVolume({ disk: w.dir, mem: w.run }, v, ctx));
      } catch (e) {
        // The old content stays, as on a kubelet.
        mountFailed(w, v.name, e);
      }
    }
    scheduleRefresh(w);
  }

  function scheduleRefresh(w: Worker) {
    clearTimeout(w.volumeTimer);
    const due = Math.min(...[...(w.volumes?.values() ?? [])].map((v) => v.refreshAt ?? Infinity));
    if (!Number.isFinite(due)) return;
    w.volumeTimer = setTimeout(
      () => refreshVolumes(w, (v) => (v.refreshAt ?? Infinity) <= Date.now() + 1000),
      Math.min(Math.max(due - Date.now(), 1000), 2 ** 31 - 1),
    );
    w.volumeTimer.unref();
  }

  /** A container's volumeMounts as host → container binds (subPath and subPathExpr resolved). */
  function containerMounts(w: Worker, c: Ctr, env: Record<string, string>): Mount[] {
    const mounts: Mount[] = [];
    const vols = specOf(w.pod).volumes ?? [];
    for (const vm of (c.spec as { volumeMounts?: VolumeMountSpec[] }).volumeMounts ?? []) {
      const vol = vols.find((v) => v.name === vm.name);
      const mv = w.volumes?.get(vm.name);
      if (!vol || !mv) continue;
      // Throws SubPathError (CreateContainerConfigError) for a subPath that would leave the volume.
      const subPath = vm.subPathExpr ? expandSubPathExpr(vm.subPathExpr, env) : vm.subPath;
      const source = subPath ? prepareSubPath(mv.path, subPath, vm.name, c.spec.name) : mv.path;
      mounts.push({ source, target: vm.mountPath, readOnly: !!vm.readOnly || readOnlyKind(vol) });
    }
    return mounts;
  }

  function start(w: Worker, c: Ctr) {
    const name = c.spec.name;
    if (!c.spec.command?.length) {
      const message = `tinykube runs containers as local processes and cannot run image "${c.spec.image ?? ''}" by itself: set command (and args) in the container spec`;
      if (!('waiting' in c.state) || c.state.waiting.reason !== 'CreateContainerError') {
        setState(w, c, { waiting: { reason: 'CreateContainerError', message } });
        d.record(w.pod, 'Warning', 'Failed', `Error: ${message}`);
      }
      return;
    }
    if ((c.spec as { tty?: boolean }).tty && !terminalsLoaded()) {
      // The terminal addon loads on first need; start the container once it has.
      void loadTerminals().then(() => sync(w.key));
      return;
    }
    const configFailed = (e: unknown) => {
      if (!(e instanceof ConfigError)) throw e;
      if (!('waiting' in c.state) || c.state.waiting.message !== e.message) {
        setState(w, c, { waiting: { reason: 'CreateContainerConfigError', message: e.message } });
        d.record(w.pod, 'Warning', 'Failed', `Error: ${e.message}`);
      }
      // Retry when the referenced object may have appeared.
      c.timer = setTimeout(() => sync(w.key), 1000);
    };
    let env: Record<string, string>;
    try {
      const r = containerEnv(c.spec, envContext(w));
      env = r.env;
      for (const m of r.warnings) d.record(w.pod, 'Warning', 'InvalidEnvironmentVariableNames', m);
    } catch (e) {
      return configFailed(e);
    }
    // The kubelet's makeMounts, after the environment (subPathExpr expands it).
    let mounts: Mount[];
    try {
      mounts = containerMounts(w, c, env);
    } catch (e) {
      return configFailed(e);
    }
    env.PATH ??= process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
    const argv = containerArgv(c.spec, env);
    const cwd = c.spec.workingDir || w.dir;
    const startedAt = now();
    const failStart = (message: string) => {
      const finishedAt = now();
      d.record(w.pod, 'Warning', 'Failed', `Error: ${message}`);
      exited(w, c, { exitCode: 128, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z', finishedAt });
    };
    const iso = d.isolation();
    const sandboxed = iso.mode !== 'none' && !!iso.tools;
    const host = (p: string) => hostPathOf(mounts, p);
    const hostCwd = host(cwd);
    try {
      accessSync(hostCwd, constants.R_OK | constants.X_OK);
      if (!statSync(hostCwd).isDirectory()) throw new Error('not a directory');
    } catch {
      return failStart(
        `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: chdir to cwd ("${cwd}") set in config.json failed: no such file or directory`,
      );
    }
    if (!findExecutable(argv[0]!, env.PATH, cwd, host)) {
      return failStart(
        `failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0]}": executable file not found in $PATH`,
      );
    }
    if (c.started) {
      c.restartCount++;
      if ('terminated' in c.state) c.lastState = c.state;
    }
    c.started = true;
    c.containerID = `${w.uid.slice(0, 8)}-${name}-${c.restartCount}`;
    // Every process of this run carries its marker (children inherit it however they detach) and,
    // where the host allows, starts in the container's cgroup.
    const ref = { pod: w.uid, name, run: c.restartCount };
    env[MARKER] = d.tracker.marker(ref);
    let full: string[];
    if (sandboxed) {
      // The container's own mount (and UTS) namespace: volumes at their mountPath, the Pod's
      // hosts and resolv.conf, its hostname.
      const plan = planMounts([...mounts, ...podFileMounts(w)], join(w.run, 'skel', name), iso.mode === 'mount');
      for (const s of plan.skipped)
        d.record(w.pod, 'Warning', 'FailedMount', `Unable to mount ${s.target} in container ${name}: ${s.reason}`);
      const fstabPath = join(w.run, `${name}.fstab`);
      writeFileSync(fstabPath, plan.fstab);
      full = sandboxArgv(iso, { fstabPath, hostname: specOf(w.pod).hostNetwork ? undefined : podHostname(w.pod), cwd, argv });
    } else full = d.wrap(argv);
    full = d.tracker.join(ref, full);
    let proc: ProcessHandle;
    const spec = c.spec as ContainerSpec & { stdin?: boolean; tty?: boolean };
    try {
      // `tty: true` runs the container on a terminal (kubectl run -it, attach); `stdin: true` keeps its input open.
      proc = spawnProcess(full, {
        cwd: sandboxed ? w.dir : hostCwd,
        env,
        stdin: !!spec.stdin,
        tty: spec.tty ? { width: 80, height: 24 } : undefined,
      });
    } catch (e) {
      return failStart(String((e as Error).message));
    }
    c.mounts = mounts;
    // Output goes to the log file and to every attached session.
    const sinks = (c.attached = new Set());
    const forward = (which: 'stdout' | 'stderr') => (chunk: string | Buffer) => {
      for (const s of sinks) {
        const out = s[which];
        if (out && !out.writableEnded) out.write(chunk);
      }
    };
    proc.stdout?.on('data', forward('stdout'));
    proc.stderr?.on('data', forward('stderr'));
    // An unused stdin pipe must not take the process down on EPIPE.
    proc.stdin?.on('error', () => {});
    const pid = proc.pid;
    const enter = (c.enter = sandboxed && pid ? (a: string[]) => enterArgv(iso, pid, a) : undefined);
    c.command = (a) => d.tracker.join(ref, enter?.(a) ?? d.wrap(a));
    c.proc = proc;
    c.startedAtMs = Date.now();
    c.logs = captureLogs(logPath(w.dir, name, c.restartCount), proc);
    if (proc.pid) writeFileSync(join(w.dir, `${name}.pid`), `${proc.pid} ${procStartTime(proc.pid) ?? ''}\n`);
    proc.on('error', (err) => d.log.debug({ err, pod: w.key, container: name }, 'spawn error'));
    // The container is over when its main process is: what it leaves behind (detached children,
    // exec sessions) is killed now, as the kernel kills a PID namespace whose init exits. Its
    // output then ends (a holder that escaped cannot keep it open: process.ts).
    proc.once('exit', () => void d.tracker.kill({ ...ref, leader: pid }));
    proc.on('close', (code, signal) => {
      c.logs?.close();
      c.proc = undefined;
      stopProbers(c);
      c.readyOK = false;
      const sig = signal ? (SIGNALS[signal] ?? 0) : undefined;
      const exitCode = code ?? (sig ? 128 + sig : 255);
      exited(w, c, {
        exitCode,
        ...(sig ? { signal: sig } : {}),
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt,
        finishedAt: now(),
      });
    });
    c.env = env;
    c.cwd = cwd;
    setState(w, c, { running: { startedAt } });
    if (!c.init && !c.ephemeral) startProbers(w, c);
    else c.startupOK = true;
    d.record(w.pod, 'Normal', 'Pulled', `Container image "${c.spec.image ?? ''}" already present on machine`);
    d.record(w.pod, 'Normal', 'Created', `Created container: ${name}`);
    d.record(w.pod, 'Normal', 'Started', `Started container ${name}`);
  }

  function exited(
    w: Worker,
    c: Ctr,
    t: { exitCode: number; signal?: number; reason: string; message?: string; startedAt: string; finishedAt: string },
  ) {
    setState(w, c, { terminated: { ...t, containerID: `tinykube://${c.containerID}` } });
    const ranMs = c.startedAtMs ? Date.now() - c.startedAtMs : 0;
    c.startedAtMs = undefined;
    if (w.terminating || stopped) return;
    const policy = specOf(w.pod).restartPolicy ?? 'Always';
    const restart = c.ephemeral
      ? false
      : c.init
        ? t.exitCode !== 0 && policy !== 'Never'
        : policy === 'Always' || (policy === 'OnFailure' && t.exitCode !== 0);
    if (!restart) {
      c.done = true;
      sync(w.key);
      return;
    }
    // CrashLoopBackOff as the kubelet does it: the first restart is immediate, then 10 s doubling
    // to 5 min between restarts; 10 min of running resets it.
    if (ranMs >= FULL_RESET_MS) c.backoffMs = 0;
    if (!c.backoffMs) {
      c.backoffMs = d.config.podBackoff.initialMs;
      c.started = true;
      setImmediate(() => sync(w.key));
      return;
    }
    const delay = c.backoffMs;
    c.backoffMs = Math.min(delay * 2, d.config.podBackoff.maxMs);
    c.backoffUntil = Date.now() + delay;
    c.lastState = c.state;
    const podName = `${w.pod.metadata.name}_${w.pod.metadata.namespace}(${w.uid})`;
    setState(w, c, {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${goDuration(delay)} restarting failed container=${c.spec.name} pod=${podName}`,
      },
    });
    d.record(w.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.spec.name} in pod ${podName}`);
    c.timer = setTimeout(() => {
      c.backoffUntil = undefined;
      sync(w.key);
    }, delay);
  }

  // ---- pod lifecycle ----

  function newWorker(pod: KubeObject): Worker {
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    const uid = pod.metadata.uid!;
    const dir = join(d.podsDir, uid);
    mkdirSync(dir, { recursive: true });
    const run = join(d.runDir, uid);
    mkdirSync(run, { recursive: true, mode: 0o755 });
    const spec = specOf(pod);
    const prev = (pod.status ?? {}) as {
      startTime?: string;
      containerStatuses?: { name: string; restartCount?: number; state?: State }[];
      initContainerStatuses?: { name: string; restartCount?: number; state?: State }[];
    };
    const w: Worker = { key, uid, pod, dir, run, ips: [], ctrs: new Map(), startTime: prev.startTime };
    const add = (s: ContainerSpec, init: boolean) => {
      // After a restart of tinykube the containers start again, counted as restarts (a kubelet
      // after a node reboot does the same).
      const old = (init ? prev.initContainerStatuses : prev.containerStatuses)?.find((x) => x.name === s.name);
      const wasStarted = !!old?.state && !('waiting' in old.state);
      const completedInit = init && old?.state && 'terminated' in old.state && old.state.terminated.exitCode === 0;
      const c: Ctr = {
        spec: s,
        init,
        restartCount: (old?.restartCount ?? 0) + (wasStarted && !completedInit ? 1 : 0),
        state: completedInit ? old!.state! : { waiting: { reason: 'ContainerCreating' } },
        lastState:
          wasStarted && !completedInit
            ? {
                terminated: {
                  exitCode: 255,
                  reason: 'Unknown',
                  startedAt: old && 'running' in old.state! ? old.state.running.startedAt : undefined,
                  finishedAt: now(),
                },
              }
            : {},
        backoffMs: 0,
        containerID: '',
        done: !!completedInit,
      };
      w.ctrs.set(s.name, c);
    };
    for (const s of spec.initContainers ?? []) add(s, true);
    for (const s of spec.containers ?? []) add(s, false);
    const prevEph =
      (pod.status as { ephemeralContainerStatuses?: { name: string; state?: State }[] } | undefined)?.ephemeralContainerStatuses ?? [];
    for (const s of spec.ephemeralContainers ?? []) {
      // One that ran before a restart of tinykube is over: ephemeral containers never restart.
      const old = prevEph.find((x) => x.name === s.name)?.state;
      const ran = !!old && !('waiting' in old);
      addEphemeral(
        w,
        s,
        ran ? ('terminated' in old! ? old! : { terminated: { exitCode: 255, reason: 'Unknown', finishedAt: now() } }) : undefined,
      );
    }
    return w;
  }

  /** A new ephemeral container of the Pod (kubectl debug), or one known from before a restart. */
  function addEphemeral(w: Worker, s: ContainerSpec, finished?: State) {
    w.ctrs.set(s.name, {
      spec: s,
      init: false,
      ephemeral: true,
      restartCount: 0,
      state: finished ?? { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
      backoffMs: 0,
      containerID: '',
      done: !!finished,
      started: !!finished,
    });
  }

  function sync(key: string) {
    const w = workers.get(key);
    if (!w || w.gone || stopped) return;
    const pod = w.pod;
    if (pod.metadata.deletionTimestamp) {
      void terminate(w, pod.metadata.deletionGracePeriodSeconds ?? 30).then(() => finalize(w));
      return;
    }
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      if (![...w.ctrs.values()].some((c) => c.proc)) return;
    }
    // Sandbox: an address of its own (or the host's).
    if (!w.ips.length) {
      if (specOf(pod).hostNetwork) w.ips = [d.hostIP];
      else {
        const ip = d.store.txn(() => podIP(d.store.db, d.pool, w.uid));
        if (!ip) {
          d.record(pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: no free IP in pod CIDR ${d.pool.cidr.text}`);
          return;
        }
        w.ips = [ip];
      }
      w.startTime ??= now();
      markDirty(w);
    }
    if (!w.volumes && !setupVolumes(w)) return;
    const ctrs = [...w.ctrs.values()];
    // Ephemeral containers start as soon as they are added, even while init containers run
    // (the kubelet's computePodActions), and only once.
    for (const c of ctrs.filter((x) => x.ephemeral)) {
      if (!c.proc && !c.done && !c.started) start(w, c);
    }
    // Init containers one at a time, in order.
    for (const c of ctrs.filter((x) => x.init)) {
      if (c.done) {
        if ('terminated' in c.state && c.state.terminated.exitCode !== 0) return; // pod failed
        continue;
      }
      if (!c.proc && !c.backoffUntil) start(w, c);
      return;
    }
    for (const c of ctrs.filter((x) => !x.init && !x.ephemeral)) if (!c.proc && !c.backoffUntil && !c.done) start(w, c);
    markDirty(w);
  }

  /**
   * sig to every process of the container, all its runs (or only the current one), once each (a
   * second SIGTERM makes many programs quit at once). SIGKILL also goes to the main process's
   * group directly, which needs no tracking, and resolves once they are all gone.
   */
  function signalContainer(w: Worker, c: Ctr, sig: NodeJS.Signals, onlyThisRun = false): Promise<void> {
    const pid = c.proc?.pid;
    if (pid && sig === 'SIGKILL') {
      try {
        process.kill(-pid, sig);
      } catch {
        // gone already
      }
    }
    const ref: ContainerRef = { pod: w.uid, name: c.spec.name, leader: pid, ...(onlyThisRun ? { run: c.restartCount } : {}) };
    if (sig === 'SIGKILL') return d.tracker.kill(ref);
    return d.tracker.signal(ref, sig).then((n) => {
      // Nothing found (no /proc: macOS): the main process's group, as before there was tracking.
      if (n === 0 && pid) {
        try {
          process.kill(-pid, sig);
        } catch {
          // gone already
        }
      }
    });
  }

  /**
   * The kubelet's killContainer (pkg/kubelet/kuberuntime/kuberuntime_container.go) for every
   * container: preStop, then SIGTERM, SIGKILL once the grace period is over. Here the signals reach
   * every process of the container, not only its main one (on a node the rest share the main
   * process's PID namespace and die with it; here they are found by the tracker). A container is
   * over when its main process is, and what is left of it is killed then (see start).
   */
  function terminate(w: Worker, graceSeconds: number): Promise<void> {
    if (w.terminating) return w.terminating;
    const running = [...w.ctrs.values()].filter((c) => c.proc);
    for (const c of w.ctrs.values()) clearTimeout(c.timer);
    clearTimeout(w.volumeTimer);
    w.terminating = (async () => {
      if (running.length) await stopContainers(w, running, graceSeconds);
      // Nothing of the Pod stays behind it: exec sessions and whatever escaped a main process's exit.
      await d.tracker.kill({ pod: w.uid });
      w.reaped = true;
    })();
    return w.terminating;
  }

  async function stopContainers(w: Worker, running: Ctr[], graceSeconds: number): Promise<void> {
    const deadline = Date.now() + Math.max(graceSeconds, 0) * 1000;
    const exitedAll = Promise.all(running.map((c) => new Promise<void>((r) => (c.proc ? c.proc.once('close', () => r()) : r()))));
    // preStop hooks run first, inside the grace period; SIGTERM follows each one.
    await Promise.all(
      running.map(async (c) => {
        const hook = (c.spec as { lifecycle?: { preStop?: ProbeSpec & { sleep?: { seconds: number } } } }).lifecycle?.preStop;
        if (hook && graceSeconds > 0) {
          const left = Math.max(Math.ceil((deadline - Date.now()) / 1000), 1);
          if (hook.sleep) await new Promise((r) => setTimeout(r, Math.min(hook.sleep!.seconds, left) * 1000));
          else {
            const r = await runProbe(
              { ...hook, timeoutSeconds: left },
              {
                podIP: w.ips[0] ?? d.hostIP,
                ports: (c.spec as { ports?: { name?: string; containerPort: number }[] }).ports ?? [],
                env: c.env ?? {},
                cwd: c.enter ? w.dir : (c.cwd ?? w.dir),
                wrap: c.command,
              },
            );
            if (!r.ok) d.record(w.pod, 'Warning', 'FailedPreStopHook', `PreStopHook failed: ${r.message}`.trim());
          }
        }
        d.record(w.pod, 'Normal', 'Killing', `Stopping container ${c.spec.name}`);
        void signalContainer(w, c, graceSeconds > 0 ? 'SIGTERM' : 'SIGKILL');
      }),
    );
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timerMs(deadline - Date.now())).unref());
    if ((await Promise.race([exitedAll, timer])) === 'timeout') {
      await Promise.all(running.map((c) => signalContainer(w, c, 'SIGKILL')));
      await exitedAll;
    }
  }

  /** After the containers are gone: the last status, then the final delete (uid-guarded). */
  function finalize(w: Worker) {
    if (w.gone || stopped) return;
    flush();
    const [ns, name] = w.key.split('/') as [string, string];
    try {
      d.registry.delete(d.podDef, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: w.uid } });
    } catch (e) {
      if (!(e instanceof StatusError) || (e.code !== 404 && e.code !== 409)) d.log.warn({ err: e, pod: w.key }, 'final delete failed');
    }
  }

  function removed(key: string, uid: string) {
    const w = workers.get(key);
    if (w && w.uid === uid) {
      w.gone = true;
      workers.delete(key);
      clearTimeout(w.volumeTimer);
      for (const c of w.ctrs.values()) {
        clearTimeout(c.timer);
        if (c.proc) void signalContainer(w, c, 'SIGKILL');
      }
    }
    // Deleted at once (--force), or while tinykube was down: kill what may be left, then the
    // Pod's cgroups go.
    if (w?.reaped) d.tracker.release(uid);
    else void d.tracker.kill({ pod: uid }).then(() => d.tracker.release(uid));
    d.store.txn(() => releasePodIP(d.store.db, d.pool, uid));
    rmSync(join(d.podsDir, uid), { recursive: true, force: true });
    rmSync(join(d.runDir, uid), { recursive: true, force: true });
  }

  return {
    /** The Pod as stored now (created, updated, or being deleted). */
    observe(pod: KubeObject) {
      if (stopped) return;
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      let w = workers.get(key);
      if (w && w.uid !== pod.metadata.uid) {
        removed(key, w.uid);
        w = undefined;
      }
      if (!w) workers.set(key, (w = newWorker(pod)));
      w.pod = pod;
      for (const s of specOf(pod).ephemeralContainers ?? []) if (!w.ctrs.has(s.name)) addEphemeral(w, s);
      sync(key);
    },
    removed,
    /** A ConfigMap or Secret changed: rewrite the volumes that read it, or retry a Pod waiting for it. */
    objectChanged(kind: 'configmaps' | 'secrets' | 'serviceaccounts', ns: string, name: string) {
      for (const w of workers.values()) {
        if (w.gone || w.pod.metadata.namespace !== ns) continue;
        if (!w.volumes) {
          if (w.lastMountError) sync(w.key);
          continue;
        }
        if (kind !== 'serviceaccounts') refreshVolumes(w, (mv) => mv.refs.some((r) => r.kind === kind && r.name === name));
      }
    },
    /** A Service changed: Pods started from now on build their hosts block afresh. */
    servicesStale() {
      hostsBlocks.clear();
    },
    /** Services changed: rewrite the /etc/hosts of Pods that carry them (in place: it is bind-mounted). */
    servicesChanged() {
      for (const w of workers.values()) {
        if (w.gone || !w.volumes || !w.dnsFallback) continue;
        try {
          writePodFiles(w);
        } catch (err) {
          d.log.debug({ err, pod: w.key }, 'hosts file not rewritten');
        }
      }
    },
    /** A container of a Pod this node runs, for exec and attach (undefined: no such Pod here). */
    container(key: string, name: string): ContainerHandle | undefined {
      const w = workers.get(key);
      const c = w?.ctrs.get(name);
      if (!w || !c || w.gone) return undefined;
      const env = c.env ?? {};
      const cwd = c.cwd ?? w.dir;
      const host = (p: string) => hostPathOf(c.mounts ?? [], p);
      return {
        pod: w.pod,
        spec: c.spec,
        running: !!c.proc && 'running' in c.state,
        proc: c.proc,
        env,
        cwd,
        hostCwd: c.enter ? w.dir : host(cwd),
        enter: c.enter,
        command: (a) => c.command?.(a) ?? a,
        findExecutable: (cmd) => !!findExecutable(cmd, env.PATH, cwd, host),
        attach(sink) {
          const set = c.attached;
          set?.add(sink);
          return () => set?.delete(sink);
        },
      };
    },
    /** Every running container's process (its group leader) with its Pod, for metrics. */
    running(): { pod: KubeObject; name: string; pid: number }[] {
      const out: { pod: KubeObject; name: string; pid: number }[] = [];
      for (const w of workers.values()) {
        if (w.gone) continue;
        for (const c of w.ctrs.values())
          if (c.proc?.pid && 'running' in c.state) out.push({ pod: w.pod, name: c.spec.name, pid: c.proc.pid });
      }
      return out;
    },
    podKeys: () => [...workers.keys()],
    worker: (key: string) => workers.get(key),
    logDir: (uid: string) => join(d.podsDir, uid),
    flush,
    /** Stops every Pod's processes (bounded), keeping their objects for the next start. */
    async stop(maxGraceMs = 5000) {
      stopped = true;
      clearTimeout(flushTimer);
      const all = [...workers.values()];
      for (const w of all) {
        clearTimeout(w.volumeTimer);
        for (const c of w.ctrs.values()) {
          clearTimeout(c.timer);
          stopProbers(c);
        }
      }
      const procs = all.flatMap((w) => [...w.ctrs.values()].filter((c) => c.proc).map((c) => [w, c] as const));
      // SIGTERM to every process of every container (exec sessions too), then SIGKILL.
      for (const [w, c] of procs) void signalContainer(w, c, 'SIGTERM');
      const done = Promise.all(procs.map(([, c]) => new Promise<void>((r) => (c.proc ? c.proc.once('close', () => r()) : r()))));
      const t = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), maxGraceMs).unref());
      if ((await Promise.race([done, t])) === 'timeout') {
        for (const [w, c] of procs) void signalContainer(w, c, 'SIGKILL');
        await Promise.race([done, new Promise((r) => setTimeout(r, 1000).unref())]);
      }
      for (let i = 0; i < 10 && (await d.tracker.signalAll('SIGKILL')) > 0; i++) await new Promise((r) => setTimeout(r, 10));
      d.tracker.close();
    },
  };
}

export type Runtime = ReturnType<typeof createRuntime>;

/** Go's time.Duration String(), as the kubelet prints back-off delays: 300ms, 10s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const total = ms / 1000;
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = Number((total % 60).toFixed(3));
  return `${h ? `${h}h` : ''}${h || m ? `${m}m` : ''}${sec}s`;
}

/** The kubelet's getPhase: counts running, stopped (including restarting) and waiting containers. */
function podPhase(inits: Ctr[], mains: Ctr[], policy: string): string {
  const initFailed = inits.some((c) => c.done && 'terminated' in c.state && c.state.terminated.exitCode !== 0);
  if (initFailed) return 'Failed';
  const pendingInit = inits.some((c) => !(c.done && 'terminated' in c.state && c.state.terminated.exitCode === 0));
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  let waiting = 0;
  for (const c of mains) {
    if ('running' in c.state) running++;
    else if ('terminated' in c.state) {
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else if ('terminated' in c.lastState) stopped++;
    else waiting++;
  }
  if (pendingInit || waiting > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped > 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

export { procStartTime };

/**
 * After a crash of tinykube: kill what its Pods left behind. Every container process by its
 * marker or cgroup (tracker.ts), then the process groups of the main processes it recorded (same
 * pid and start time), which also catches those that cleared their environment.
 */
export function killLeftovers(podsDir: string, log: Logger): number {
  if (!existsSync(podsDir)) return 0;
  let killed = killLeftoverContainers(podsDir);
  for (const uid of readdirSync(podsDir)) {
    const dir = join(podsDir, uid);
    let files: string[] = [];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.pid'));
    } catch {
      continue;
    }
    for (const f of files) {
      const [pid, start] = readFileSync(join(dir, f), 'utf8').trim().split(' ');
      const n = Number(pid);
      const leader = procStartTime(n);
      // The leader alive with the recorded start time is ours. A dead leader whose group still has
      // members is ours too: Linux does not reuse a pid while it names a live process group.
      if (n > 1 && start && (leader === start || leader === undefined)) {
        try {
          process.kill(-n, 'SIGKILL');
          killed++;
        } catch {
          // nothing left of it
        }
      }
      rmSync(join(dir, f), { force: true });
    }
  }
  if (killed) log.warn({ killed }, 'killed processes left behind by a previous run');
  return killed;
}

/**
 * A delay Node's timers can hold: a grace period past 2^31-1 ms (~24.8 days) would otherwise
 * overflow into 1 ms and kill at once; it waits the longest a timer can instead.
 */
function timerMs(ms: number): number {
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 2 ** 31 - 1) : 2 ** 31 - 1;
}
