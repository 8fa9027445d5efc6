// Files of a data dir and of the user's config: creating the data dir with the real cause of a
// failure, writing private files atomically, and the OS's own words for what went wrong.
import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { getSystemErrorMap } from 'node:util';

/** A data dir that cannot be used, said in one line (path and cause); the CLI prints it as is. */
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
      for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
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
