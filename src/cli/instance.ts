// A CLI cluster's own files in its data dir, and what `down`, `status`, `kubeconfig` and `reset`
// need from them:
//   tinykube.pid   the pid of the tinykube serving this data dir (also its lock: one per dir)
//   tinykube.log   stdout and stderr of a cluster started with `up --detach`
//   kubeconfig     a standalone kubeconfig of the last start (CA, token, API URL)
// The pid file is created with O_EXCL. A pid file left by a killed tinykube is stale when its pid
// is gone or now belongs to a process started after the file was written (pid reuse), and is
// replaced. SQLite's exclusive lock on state.db stays the final word if two starts race.
import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirError, fsCause } from '../base/files.js';

export interface InstanceFiles {
  pidFile: string;
  logFile: string;
  kubeconfigFile: string;
}

export function instanceFiles(dataDir: string): InstanceFiles {
  return { pidFile: join(dataDir, 'tinykube.pid'), logFile: join(dataDir, 'tinykube.log'), kubeconfigFile: join(dataDir, 'kubeconfig') };
}

/** Another tinykube serves this data dir. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`data dir ${dataDir} is in use by another tinykube (pid ${pid}); stop it with: tinykube down --data-dir ${dataDir}`);
  }
}

/** The live pid recorded in the data dir's pid file; undefined when there is none or it is stale. */
export function runningPid(dataDir: string): number | undefined {
  const { pidFile } = instanceFiles(dataDir);
  let text: string;
  let writtenMs: number;
  try {
    text = readFileSync(pidFile, 'utf8');
    writtenMs = statSync(pidFile).mtimeMs;
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (!alive(pid)) return undefined;
  // Started after the pid file was written: the pid was reused by an unrelated process.
  const started = processStartMs(pid);
  if (started !== undefined && started > writtenMs + 1000) return undefined;
  return pid;
}

/**
 * Makes this process the data dir's tinykube: creates the pid file, replacing a stale one.
 * Throws DataDirInUseError when a live tinykube holds it.
 */
export function claimDataDir(dataDir: string, pid = process.pid): void {
  const { pidFile } = instanceFiles(dataDir);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(pidFile, 'wx', 0o644);
      try {
        writeSync(fd, `${pid}\n`);
      } catch (err) {
        // A full disk fails the write, whose error names no file.
        closeSync(fd);
        unlinkSync(pidFile);
        throw new DataDirError(`cannot write the pid file ${pidFile}: ${fsCause(err)}`);
      }
      closeSync(fd);
      return;
    } catch (err) {
      if (err instanceof DataDirError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new DataDirError(`cannot create the pid file ${pidFile}: ${fsCause(err)}`);
    }
    const other = runningPid(dataDir);
    if (other !== undefined && other !== pid) throw new DataDirInUseError(dataDir, other);
    try {
      unlinkSync(pidFile);
    } catch {
      /* another start removed it first */
    }
  }
  const other = runningPid(dataDir);
  throw new DataDirInUseError(dataDir, other ?? 0);
}

/** Removes the pid file if it is still ours. */
export function releaseDataDir(dataDir: string, pid = process.pid): void {
  const { pidFile } = instanceFiles(dataDir);
  try {
    if (Number(readFileSync(pidFile, 'utf8').trim()) === pid) unlinkSync(pidFile);
  } catch {
    /* already gone */
  }
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // kill(0) also succeeds for a zombie: a tinykube killed with -9 whose parent (a shell, a
  // container's init that does not reap) has not waited for it yet. It holds no port, lock or
  // file any more, so it is dead: `up` right after `kill -9` must not be refused for it.
  return !zombieOrGone(pid);
}

/** State `Z` (or `X`, dead) in /proc/PID/stat, or no such entry any more; false where there is no /proc. */
function zombieOrGone(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self/stat');
  }
  // Field 3 follows the command name, which is in parentheses and may hold spaces or `)`.
  const state = stat.charAt(stat.lastIndexOf(')') + 2);
  return state === 'Z' || state === 'X';
}

/** When a process started (ms since the epoch), from /proc; undefined where there is no /proc. */
export function processStartMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, clock ticks after boot); the command name (field 2) may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    // USER_HZ is 100 on every Linux architecture Node supports.
    return Date.now() - (uptime - ticks / 100) * 1000;
  } catch {
    return undefined;
  }
}

/**
 * SIGTERM, then wait up to timeoutMs for the process to be gone. A tinykube without Pods is gone
 * a few ms after the signal: the first checks come after 1 ms and back off to 25 ms (a check is
 * one read of /proc), so `tinykube down` returns right after it, not up to a polling interval late.
 */
export async function stopProcess(pid: number, timeoutMs: number): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return true;
  }
  const end = Date.now() + timeoutMs;
  for (let wait = 1; Date.now() < end; wait = Math.min(25, wait * 2)) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, Math.min(wait, Math.max(1, end - Date.now()))));
  }
  return !alive(pid);
}

/** Does this directory look like a tinykube data dir (so `reset` may delete it)? */
export function looksLikeDataDir(dir: string): boolean {
  return ['state.db', join('pki', 'ca.crt'), 'tinykube.pid'].some((f) => existsSync(join(dir, f)));
}
