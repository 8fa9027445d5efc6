// A container as exec and attach see it (src/kubelet/exec.ts, exec-session.ts), and the path
// lookups they share with the container's start: a container's paths are its own (volumes at
// their mountPath), so a command or a working directory is looked up through its mounts.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, posix } from 'node:path';
import type { Container } from '../api/generated/core/v1.js';
import type { PodObj } from '../registry/pod/strategy.js';
import type { ProcessHandle } from './process.js';
import type { Mount } from './sandbox.js';
import type { Ctr, OutputSink, Worker } from './pod-state.js';

export type { OutputSink };

/** What exec and attach need of a running container (src/kubelet/exec.ts). */
export interface ContainerHandle {
  pod: PodObj;
  spec: Container;
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

/**
 * Resolves a command like execvp would, against the container's PATH. `host` maps a path as the
 * container sees it to where it is on the host (volumes at their mountPath).
 */
export function findExecutable(
  cmd: string,
  path: string | undefined,
  cwd: string,
  host: (p: string) => string = (p) => p,
): string | undefined {
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
export function hostPathOf(mounts: Mount[], p: string): string {
  // As the container resolves it: `/data/../etc` is /etc, never a path above the volume's directory.
  p = posix.normalize(p);
  let best: Mount | undefined;
  for (const m of mounts) {
    const t = m.target.replace(/\/+$/, '');
    if ((p === t || p.startsWith(`${t}/`)) && (!best || t.length > best.target.length)) best = m;
  }
  return best ? join(best.source, p.slice(best.target.replace(/\/+$/, '').length)) : p;
}

/** The handle of one container of a Worker: a snapshot, except command and attach, which reach the run current at their call. */
export function containerHandle(w: Worker, c: Ctr): ContainerHandle {
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
}
