// Opening a data dir's database, state.db, safely and with errors a user can act on:
//  - the database and its WAL hold every Secret: state.db is created 0600 before SQLite opens it
//    (SQLite then gives -wal and -shm the database's own mode, umask or not), and the files an
//    older tinykube left 0644 are tightened;
//  - a zero-length state.db next to a cluster's certificates and token is a database that was lost
//    (truncated, replaced): refused, instead of silently starting an empty cluster;
//  - SQLite says "unable to open database file" for a read-only file system and "disk I/O error"
//    or "database or disk is full" for a full one: the OS's real cause is found by trying the
//    same access with plain file operations, and named with the path.
import { closeSync, existsSync, fchmodSync, openSync, statSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Store, type StoreOptions } from './store.js';
import { DataDirError, fsCause, restrictToOwner } from '../base/files.js';

export const DB_FILE = 'state.db';

/** The files a cluster writes after its store (certificates, token): their presence says the data dir held a cluster. */
const CLUSTER_MARKERS = [join('pki', 'ca.crt'), join('pki', 'ca.key'), 'token'];

export function openDataDirStore(dataDir: string, opts: Omit<StoreOptions, 'file'> = {}): Store {
  const file = join(dataDir, DB_FILE);
  refuseLostDatabase(dataDir, file);
  prepareFiles(file);
  try {
    return new Store({ ...opts, file });
  } catch (err) {
    throw storeOpenError(err, file);
  }
}

function refuseLostDatabase(dataDir: string, file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // none yet: a new cluster
  }
  if (size > 0) return;
  // A zero-length state.db in a new data dir is a first start that stopped before SQLite wrote
  // its header; anywhere else the objects are gone.
  const found = CLUSTER_MARKERS.filter((m) => existsSync(join(dataDir, m)));
  if (!found.length) return;
  throw new DataDirError(
    `${file} is empty (0 bytes) but the data dir holds a cluster (${found.join(', ')}): its objects are lost, so tinykube will not start an empty cluster over it; restore state.db from a backup, or delete the data dir to start afresh (tinykube reset --data-dir ${dataDir})`,
  );
}

/** state.db (and its WAL and shared-memory files) readable by their owner only. */
function prepareFiles(file: string): void {
  if (!existsSync(file)) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      try {
        fchmodSync(fd, 0o600); // the umask only ever takes bits away: set exactly 0600
      } finally {
        closeSync(fd);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new DataDirError(`cannot create the database ${file}: ${fsCause(err)}`);
    }
  }
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) restrictToOwner(f);
  // SQLite quietly opens a database it may not write read-only and fails at the first write with
  // "attempt to write a readonly database": ask the OS first, which says why.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      closeSync(openSync(f, 'r+'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new DataDirError(`cannot open the database ${f}: ${fsCause(err)}`);
    }
  }
}

const OS_CODES = /^SQLITE_(CANTOPEN|READONLY|IOERR|FULL|PERM|AUTH)/;

/** A startup error of SQLite as one line naming the database and the real cause. */
export function storeOpenError(err: unknown, file: string, verb: 'open' | 'use' = 'open'): unknown {
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  // Another tinykube's lock: the CLI has its own words for it.
  if (!code.startsWith('SQLITE_') || code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return err;
  if (OS_CODES.test(code)) {
    const cause = osCause(file, code);
    if (cause) return new DataDirError(`cannot ${verb} the database ${file}: ${fsCause(cause)}`);
  }
  if (code === 'SQLITE_NOTADB') return new DataDirError(`cannot ${verb} the database ${file}: it is not a SQLite database (${e.message})`);
  if (code.startsWith('SQLITE_CORRUPT'))
    return new DataDirError(`cannot ${verb} the database ${file}: it is damaged (${e.message}); restore it from a backup`);
  return new DataDirError(`cannot ${verb} the database ${file}: ${e.message} (${code})`);
}

/**
 * Why the OS refuses what SQLite needed: the database files opened for writing, then a file
 * created and written in the directory, then the free space. Undefined when all of that works.
 */
function osCause(file: string, code: string): NodeJS.ErrnoException | undefined {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (!existsSync(f)) continue;
    try {
      closeSync(openSync(f, 'r+'));
    } catch (err) {
      return err as NodeJS.ErrnoException;
    }
  }
  const dir = dirname(file);
  const probe = join(dir, `.tinykube-probe-${process.pid}`);
  try {
    const fd = openSync(probe, 'wx', 0o600);
    try {
      // One SQLite page: a directory that takes a file but no data is full.
      writeSync(fd, Buffer.alloc(4096));
    } finally {
      closeSync(fd);
      unlinkSync(probe);
    }
  } catch (err) {
    return err as NodeJS.ErrnoException;
  }
  if (code.startsWith('SQLITE_FULL') || code.startsWith('SQLITE_IOERR')) {
    try {
      const fs = statfsSync(dir);
      // SQLite grows its files by more than one page (the WAL index alone takes 32 KiB).
      if (fs.bavail * fs.bsize < 1024 * 1024) return Object.assign(new Error('no space left on device'), { code: 'ENOSPC', errno: -28 });
    } catch {
      /* no statfs here */
    }
  }
  return undefined;
}
