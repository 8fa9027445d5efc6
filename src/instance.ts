// A CLI cluster's own files in its data dir, and what `down`, `status`, `kubeconfig` and `reset`
// need from them:
//   tinykube.pid   the pid of the tinykube serving this data dir (also its lock: one per dir)
//   tinykube.log   stdout and stderr of a cluster started with `up --detach`
//   kubeconfig     a standalone kubeconfig of the last start (CA, token, API URL)
// The pid file is created with O_EXCL. A pid file left by a killed tinykube is stale when its pid
// is gone or now belongs to a process started after the file was written (pid reuse), and is
// replaced. SQLite's exclusive lock on state.db stays the final word if two starts race.
import { chmodSync, closeSync, existsSync, fchmodSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getSystemErrorMap } from 'node:util';

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

/** A data dir that cannot be used, said in one line (path and cause); the CLI prints it as is. */
export class DataDirError extends Error {}

/**
 * The OS's own words for a failed file operation, `read-only file system (EROFS)`, without the
 * syscall and path Node appends (callers name the path themselves).
 */
export function fsCause(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code && /^E[A-Z0-9]+$/.test(e.code)) {
    const text = (typeof e.errno === 'number' ? getSystemErrorMap().get(e.errno)?.[1] : undefined) ?? e.message.match(/^E[A-Z0-9]+: ([^,]+)/)?.[1] ?? e.message;
    return `${text} (${e.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * mkdir -p for the data dir (0700), failing with the real cause: Node's recursive mkdir says
 * ENOENT when it cannot create a missing parent (a read-only file system, a directory it may not
 * write), so the first missing directory is made again alone to learn why.
 */
export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR', errno: -20 });
  } catch (err) {
    let cause = err;
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      let missing = dir;
      while (!existsSync(dirname(missing)) && dirname(missing) !== missing) missing = dirname(missing);
      try {
        mkdirSync(missing, { mode: 0o700 });
      } catch (e) {
        cause = e;
      }
    }
    throw new DataDirError(`cannot create data dir ${dir}: ${fsCause(cause)}`);
  }
}

/**
 * Writes a file only its owner may read (keys, tokens, kubeconfigs): 0600 whatever the umask and
 * the directory's mode, through a fresh temp file renamed into place (a temp file left by a crash
 * is replaced, never reused with its old mode). A failure names the path and the OS's cause.
 */
export function writePrivateFile(path: string, data: string | Buffer): void {
  const tmp = join(dirname(path), `.${path.slice(dirname(path).length + 1)}.${process.pid}.tmp`);
  try {
    try {
      unlinkSync(tmp);
    } catch {
      /* none left */
    }
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      fchmodSync(fd, 0o600);
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw new DataDirError(`cannot write ${path}: ${fsCause(err)}`);
  }
}

/** Takes group and other access away from an existing file of ours (older tinykubes left 0644). */
export function restrictToOwner(path: string): void {
  try {
    const st = statSync(path);
    if (st.isFile() && st.mode & 0o077) chmodSync(path, st.mode & 0o700);
  } catch {
    /* absent, or not ours: the start goes on, the open says what is wrong if anything */
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
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirError(`cannot create the pid file ${pidFile}: ${fsCause(err)}`);
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
