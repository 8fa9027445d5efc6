// Starting a container, and what follows its exit: the kubelet's startContainer
// (pkg/kubelet/kuberuntime/kuberuntime_container.go: environment, mounts, then the process) with
// a local process in place of a CRI container, and the restart policy with CrashLoopBackOff
// (backoff.ts) when it exits. Errors a kubelet reports before the container exists become the
// same waiting reasons (CreateContainerError, CreateContainerConfigError) and StartError.
import { accessSync, constants, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, containerEnv, expand } from './env.js';
import { pullImage } from './image-pull.js';
import { composeCommand, programPath, withImageEnv } from './images.js';
import { containerUser, hostPathOfImageVolume, imageVolumeMounts, userArgv } from './image-config.js';
import { SELF } from '../config/images/catalogue.js';
import { captureLogs, logPath } from './logs.js';
import { loadTerminals, spawnProcess, terminalsLoaded, type ProcessHandle } from './process.js';
import { MARKER, procStartTime } from './tracker.js';
import { enterArgv, planMounts, sandboxArgv, type Mount } from './sandbox.js';
import { podHostname } from './env.js';
import { startProbers, stopProbers } from './prober-manager.js';
import { containerMounts, podFileMounts } from './volume-manager.js';
import { findExecutable, hostPathOf } from './container-handle.js';
import { crashLoopStep, shouldRestart } from './backoff.js';
import { goDuration } from '../apimachinery/go-format.js';
import { now, podContext, specOf, type Ctr, type Exit, type RuntimeContext, type State, type Worker } from './pod-state.js';

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15, SIGABRT: 6, SIGSEGV: 11, SIGPIPE: 13 };

function setState(rt: Pick<RuntimeContext, 'markDirty'>, w: Worker, c: Ctr, s: State) {
  c.state = s;
  rt.markDirty(w);
}

/** What the container's environment reads: the Pod's context, its namespace's Services, the API server's address. */
function envContext(rt: Pick<RuntimeContext, 'store' | 'config' | 'hostIP' | 'services'>, w: Worker) {
  const ns = w.pod.metadata.namespace ?? 'default';
  const kubernetes = ns === 'default' ? undefined : rt.services.get('default', 'kubernetes');
  const services = [...rt.services.list(ns), ...(kubernetes ? [kubernetes] : [])];
  return {
    ...podContext(rt, w),
    services,
    apiServer: { host: ['0.0.0.0', '::', ''].includes(rt.config.apiHost) ? '127.0.0.1' : rt.config.apiHost, port: rt.config.apiPort },
  };
}

export type StartDeps = Pick<
  RuntimeContext,
  | 'store'
  | 'config'
  | 'hostIP'
  | 'services'
  | 'record'
  | 'log'
  | 'isolation'
  | 'tracker'
  | 'wrap'
  | 'markDirty'
  | 'sync'
  | 'signalContainer'
  | 'stopped'
  | 'imageMaps'
  | 'selfArgv'
  | 'presentImages'
  | 'bindRewriteEnv'
>;

/**
 * Starts the container (again, after an exit: a restart). What cannot start waits with the
 * reason a kubelet gives, and is retried by the Pod's next sync (or in 1 s for a config error,
 * whose ConfigMap or Secret may appear).
 */
export function startContainer(rt: StartDeps, w: Worker, c: Ctr) {
  const name = c.spec.name;
  if (c.spec.tty && !terminalsLoaded()) {
    // The terminal addon loads on first need; start the container once it has.
    void loadTerminals().then(() => rt.sync(w.key));
    return;
  }
  // EnsureImageExists first, as the kubelet's startContainer: the image's entry, or the container
  // waits (ErrImagePull, ImagePullBackOff, ...).
  const img = pullImage(rt, w, c);
  if (!img) return;
  c.image = img;
  const configFailed = (e: unknown) => {
    if (!(e instanceof ConfigError)) throw e;
    if (!('waiting' in c.state) || c.state.waiting.message !== e.message) {
      setState(rt, w, c, { waiting: { reason: 'CreateContainerConfigError', message: e.message } });
      rt.record(w.pod, 'Warning', 'Failed', `Error: ${e.message}`);
    }
    // Retry when the referenced object may have appeared.
    c.timer = setTimeout(() => rt.sync(w.key), 1000);
  };
  let env: Record<string, string>;
  try {
    const r = containerEnv(c.spec, envContext(rt, w));
    // The image's ENV under the container's; the entry's values may name the container's.
    env = withImageEnv(img.entry, r.env, (v) => expand(v, (n) => r.env[n]));
    for (const m of r.warnings) rt.record(w.pod, 'Warning', 'InvalidEnvironmentVariableNames', m);
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
  // The host's PATH with the sbin directories servers live in (nginx, postgres, ...).
  env.PATH ??= programPath();
  const iso = rt.isolation();
  const sandboxed = iso.mode !== 'none' && !!iso.tools;
  // The image's VOLUMEs: a directory of this container's own, where no volume is mounted.
  const user = containerUser(w, c, img, iso);
  for (const m of imageVolumeMounts(img, mounts, join(w.dir, 'image-volumes', name), user)) mounts.push(m);
  const look = (n: string) => env[n];
  let argv = composeCommand(img.entry, c.spec, (a) => expand(a, look), rt.selfArgv ?? [SELF]);
  // Without a mount namespace the image's paths are not where it names them: its words (and the
  // container's) that name an image volume name the volume's host directory instead.
  if (!sandboxed) {
    argv = argv.map((a) => hostPathOfImageVolume(img, mounts, a));
    for (const k of Object.keys(env)) env[k] = hostPathOfImageVolume(img, mounts, env[k]!);
  }
  if (!argv.length) {
    const message = `failed to generate container "${c.containerID || name}" spec: failed to generate spec: no command specified`;
    if (!('waiting' in c.state) || c.state.waiting.reason !== 'CreateContainerError') {
      setState(rt, w, c, { waiting: { reason: 'CreateContainerError', message } });
      rt.record(w.pod, 'Warning', 'Failed', `Error: ${message}`);
    }
    return;
  }
  const cwd = c.spec.workingDir || img.entry.workingDir || (user ? '/' : w.dir);
  const startedAt = now();
  const failStart = (message: string) => {
    const finishedAt = now();
    rt.record(w.pod, 'Warning', 'Failed', `Error: ${message}`);
    containerExited(rt, w, c, { exitCode: 128, reason: 'StartError', message, startedAt: '1970-01-01T00:00:00Z', finishedAt });
  };
  const host = (p: string) => hostPathOf(mounts, p);
  const hostCwd = host(cwd);
  // runc's own checks, with its messages: a container that cannot start is a StartError, not a
  // process that fails to spawn.
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
  // Binds to the wildcard or loopback address become binds to the Pod's own address, as in a
  // network namespace of its own (host-network Pods share the host's addresses).
  if (!specOf(w.pod).hostNetwork && w.ips[0] && rt.bindRewriteEnv)
    Object.assign(
      env,
      rt.bindRewriteEnv({ podIP: w.ips[0], portsFile: join(w.run, 'ports'), ldPreload: env.LD_PRELOAD, otherUser: !!user }),
    );
  // Every process of this run carries its marker (children inherit it however they detach) and,
  // where the host allows, starts in the container's cgroup.
  const ref = { pod: w.uid, name, run: c.restartCount };
  env[MARKER] = rt.tracker.marker(ref);
  let full: string[];
  if (sandboxed) {
    // The container's own mount (and UTS) namespace: volumes at their mountPath, the Pod's
    // hosts and resolv.conf, its hostname.
    const plan = planMounts([...mounts, ...podFileMounts(w)], join(w.run, 'skel', name), iso.mode === 'mount', iso.mode === 'mount');
    for (const s of plan.skipped)
      rt.record(w.pod, 'Warning', 'FailedMount', `Unable to mount ${s.target} in container ${name}: ${s.reason}`);
    const fstabPath = join(w.run, `${name}.fstab`);
    writeFileSync(fstabPath, plan.fstab);
    // Another user (the image's USER, runAsUser) once the mounts are made, which needs root.
    const run = user ? userArgv(iso.tools!.setpriv, user, argv) : argv;
    full = sandboxArgv(iso, { fstabPath, hostname: specOf(w.pod).hostNetwork ? undefined : podHostname(w.pod), cwd, argv: run });
  } else full = rt.wrap(argv);
  full = rt.tracker.join(ref, full);
  let proc: ProcessHandle;
  const spec = c.spec;
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
  // exec sessions, probes and hooks run as the container's user too, as a runtime execs them.
  const asUser = (a: string[]) => (user && iso.tools ? userArgv(iso.tools.setpriv, user, a) : a);
  c.command = (a) => rt.tracker.join(ref, enter?.(asUser(a)) ?? rt.wrap(a));
  c.proc = proc;
  c.startedAtMs = Date.now();
  c.logs = captureLogs(logPath(w.dir, name, c.restartCount), proc, undefined, (err) =>
    rt.log.warn({ err, pod: w.key, container: name }, 'container log file not written'),
  );
  // The main process and its start time, for killLeftovers after a crash of tinykube (leftovers.ts).
  if (proc.pid) writeFileSync(join(w.dir, `${name}.pid`), `${proc.pid} ${procStartTime(proc.pid) ?? ''}\n`);
  proc.on('error', (err) => rt.log.debug({ err, pod: w.key, container: name }, 'spawn error'));
  // The container is over when its main process is: what it leaves behind (detached children,
  // exec sessions) is killed now, as the kernel kills a PID namespace whose init exits. Its
  // output then ends (a holder that escaped cannot keep it open: process.ts).
  proc.once('exit', () => void rt.tracker.kill({ ...ref, leader: pid }));
  proc.on('close', (code, signal) => {
    c.logs?.close();
    c.proc = undefined;
    stopProbers(c);
    c.readyOK = false;
    const sig = signal ? (SIGNALS[signal] ?? 0) : undefined;
    const exitCode = code ?? (sig ? 128 + sig : 255);
    containerExited(rt, w, c, {
      exitCode,
      ...(sig ? { signal: sig } : {}),
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt,
      finishedAt: now(),
    });
  });
  c.env = env;
  c.cwd = cwd;
  setState(rt, w, c, { running: { startedAt } });
  if (!c.init && !c.ephemeral) startProbers(rt, w, c);
  else c.startupOK = true;
  rt.record(w.pod, 'Normal', 'Created', `Created container: ${name}`);
  rt.record(w.pod, 'Normal', 'Started', `Started container ${name}`);
}

/**
 * The container's process is gone (or never started): its terminated state, then what its
 * restart policy says. A container that stays down is done and the Pod is synced (the next init
 * container, or the Pod's phase); one that restarts does so at once the first time, then after
 * a back-off in CrashLoopBackOff. Nothing restarts while the Pod terminates or tinykube stops.
 */
export function containerExited(
  rt: Pick<RuntimeContext, 'markDirty' | 'sync' | 'record' | 'config' | 'stopped'>,
  w: Worker,
  c: Ctr,
  t: Exit,
) {
  setState(rt, w, c, { terminated: { ...t, containerID: `tinykube://${c.containerID}` } });
  const ranMs = c.startedAtMs ? Date.now() - c.startedAtMs : 0;
  c.startedAtMs = undefined;
  if (w.terminating || rt.stopped) return;
  if (!shouldRestart(c, specOf(w.pod).restartPolicy ?? 'Always', t.exitCode)) {
    c.done = true;
    rt.sync(w.key);
    return;
  }
  const step = crashLoopStep(c.backoffMs, ranMs, rt.config.podBackoff);
  c.backoffMs = step.backoffMs;
  if (!step.delayMs) {
    c.started = true;
    setImmediate(() => rt.sync(w.key));
    return;
  }
  const delay = step.delayMs;
  c.backoffUntil = Date.now() + delay;
  c.lastState = c.state;
  const podName = `${w.pod.metadata.name}_${w.pod.metadata.namespace}(${w.uid})`;
  setState(rt, w, c, {
    waiting: {
      reason: 'CrashLoopBackOff',
      message: `back-off ${goDuration(delay)} restarting failed container=${c.spec.name} pod=${podName}`,
    },
  });
  rt.record(w.pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.spec.name} in pod ${podName}`);
  c.timer = setTimeout(() => {
    c.backoffUntil = undefined;
    rt.sync(w.key);
  }, delay);
}
