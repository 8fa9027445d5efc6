// Files of a data dir and of the user's config: creating directories with the real cause of a
// failure, writing files atomically, and the OS's own words for what went wrong.
//
// writeFileAtomic is tinykube's one atomic write (keys, tokens, certificates, kubeconfigs, saved
// ranges, the native addons the single executable unpacks, V8's code cache): a temp file beside
// the target, created afresh with the file's exact mode, written, fsync()ed, renamed over the
// target. A reader sees the old file or the new one, never a part of one; after a crash the disk
// holds one of them whole (the data reaches the disk before the rename does).
//
// Why not npm's write-file-atomic (evaluated for issue 21: 7.0.1, the last major that runs on
// Node 20):
// - its current major (8) requires Node ^22.22.2 || >=24.15; tinykube supports Node >=20.18;
// - its temp names are new for every call (`FILE.<hash>`, visible), so a temp file left by a crash
//   stays there for good (here the next write of the file removes it), and its errors name that
//   temp file in Node's words rather than the target and the OS's cause: every call would need a
//   wrapper anyway;
// - it depends on signal-exit, which on every write patches process.emit and process.reallyExit
//   and adds listeners to ~13 signals, then takes them away again. A server's own SIGTERM/SIGINT
//   handling is left alone (signal-exit acts only when no other listener is there), but with
//   tinykube's writes, all synchronous, those listeners can never run before they are removed:
//   pure cost: 98-141 µs a write against 17-20 µs here (2 KB on tmpfs, same machine), and
//   ~1.3 ms more to load (bundled) in a start of ~190 ms;
// - it gives the new file the old file's mode and owner unless told otherwise, where tinykube
//   wants exact modes (0600 for anything holding a key or a token, whatever an older file had).
// What tinykube needs is the ~90 lines below on node:fs.
import {
  chmodSync,
  closeSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { getSystemErrorMap } from 'node:util';

/** A data dir, or a file of tinykube's, that cannot be used, said in one line (path and cause); the CLI prints it as is. */
export class DataDirError extends Error {}

/**
 * The OS's own words for a failed file operation, `read-only file system (EROFS)`, without the
 * syscall and path Node appends (callers name the path themselves).
 */
export function fsCause(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e?.code && /^E[A-Z0-9]+$/.test(e.code)) {
    const text =
      (typeof e.errno === 'number' ? getSystemErrorMap().get(e.errno)?.[1] : undefined) ??
      e.message.match(/^E[A-Z0-9]+: ([^,]+)/)?.[1] ??
      e.message;
    return `${text} (${e.code})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * mkdir -p that fails with the real cause: Node's recursive mkdir says ENOENT when it cannot
 * create a missing parent (a read-only file system, a directory it may not write), so then the
 * missing directories are made one by one and the first one's own error is thrown. New
 * directories get `mode` (less the umask).
 */
export function makeDirs(dir: string, mode: number): void {
  try {
    mkdirSync(dir, { recursive: true, mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const parent = dirname(dir);
    if (parent !== dir) makeDirs(parent, mode);
    try {
      mkdirSync(dir, { mode });
    } catch (err2) {
      if ((err2 as NodeJS.ErrnoException).code !== 'EEXIST') throw err2;
    }
  }
}

/** mkdir -p for the data dir (0700); a DataDirError names it and the real cause. */
export function ensureDataDir(dir: string): void {
  try {
    makeDirs(dir, 0o700);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR', errno: -20 });
  } catch (err) {
    throw new DataDirError(`cannot create data dir ${dir}: ${fsCause(err)}`);
  }
}

/** A file that could not be written, in one line: `cannot write PATH: CAUSE`; `cause` is the failed call's error. */
export class FileWriteError extends DataDirError {
  override name = 'FileWriteError';
  constructor(
    readonly path: string,
    cause: unknown,
  ) {
    super(`cannot write ${path}: ${fsCause(cause)}`, { cause });
  }
}

export interface AtomicWriteOptions {
  /** The file's mode, exactly: neither the umask nor an older file's mode changes it. */
  mode: number;
  /** Create the file's directory (and missing parents) first, with this mode. */
  dirMode?: number;
}

/**
 * This writer's part of temp file names: the pid, and a random tag per copy of this module (a
 * worker thread has its own), so no two threads ever share a temp file. (Not worker_threads'
 * threadId: loading that module costs ~1.3 ms of every CLI start.)
 */
const WRITER = `${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

/**
 * Replaces `path` with `data` atomically: a temp file in the same directory
 * (`.NAME.PID-TAG.tmp`, this thread's own; its writes, all synchronous, cannot overlap), written,
 * fsync()ed, renamed into place. A temp file never outlives a failure (removed, and a
 * FileWriteError names `path` and the OS's cause) nor a crash for long: the next write of the same
 * file removes those of processes that are gone. Whatever such a file held is never reused.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, opts: AtomicWriteOptions): void {
  const dir = dirname(path);
  const name = basename(path);
  const tmp = join(dir, `.${name}.${WRITER}.tmp`);
  try {
    if (opts.dirMode !== undefined) makeDirs(dir, opts.dirMode);
    const fd = openSync(tmp, 'wx', opts.mode);
    try {
      fchmodSync(fd, opts.mode);
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < buf.byteLength;) off += writeSync(fd, buf, off);
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
    throw new FileWriteError(path, err);
  }
  removeDeadWritersTemps(dir, name);
}

/** Removes `.NAME.PID-TAG.tmp` files of processes that no longer exist (left by a crash). */
function removeDeadWritersTemps(dir: string, name: string): void {
  const prefix = `.${name}.`;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.startsWith(prefix) || !e.endsWith('.tmp')) continue;
    const pid = Number(/^(\d+)-[0-9a-z]+$/.exec(e.slice(prefix.length, -'.tmp'.length))?.[1]);
    if (!pid || pid === process.pid || processExists(pid)) continue;
    try {
      unlinkSync(join(dir, e));
    } catch {
      /* another writer removed it first */
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Writes a file only its owner may read (keys, tokens, kubeconfigs): 0600 whatever the umask and
 * the directory's mode, atomically (writeFileAtomic).
 */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  writeFileAtomic(path, data, { mode: 0o600 });
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
