// Where the built-in local-path provisioner keeps its volumes, as k3s's local-path-provisioner
// keeps them under /var/lib/rancher/k3s/storage: `<data dir>/storage/pvc-<uid>_<namespace>_<name>`.
// An in-memory cluster keeps nothing on disk for good: its volumes go to a temporary directory
// (made at the first provisioning, removed when the cluster stops; one that a killed cluster left
// carries an `.owner` file, so the next cluster to start on this host removes it, as it does the
// Pod directories).
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';

/** The prefix of in-memory clusters' temporary Pod directories (src/kubelet/runtime-dirs.ts sweeps them). */
const TEMP_PREFIX = 'tinykube-pods-';

export interface LocalPathStore {
  /** Makes the directory of a claim's volume (mode 0777, as k3s: any user of the Pod may write). */
  create(uid: string, namespace: string, name: string): string;
  /** Removes a volume's directory, only if it is one of ours (a direct child named pvc-*). */
  remove(path: string): boolean;
  /** Removes the temporary root of an in-memory cluster. */
  close(): void;
}

/** Field 22 of /proc/self/stat (the owner file's format: `<pid> <start time>`). */
function selfStartTime(): string {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '0';
  } catch {
    return '0';
  }
}

export function localPathStore(dataDir: string | undefined): LocalPathStore {
  let root = dataDir ? resolve(dataDir, 'storage') : undefined;
  let temporary: string | undefined;
  const rootDir = () => {
    if (!root) {
      temporary = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
      try {
        writeFileSync(join(temporary, '.owner'), `${process.pid} ${selfStartTime()}\n`, { mode: 0o600 });
      } catch {
        /* not reclaimed after a crash; nothing else breaks */
      }
      root = join(temporary, 'storage');
    }
    mkdirSync(root, { recursive: true, mode: 0o700 });
    return root;
  };
  return {
    create(uid, namespace, name) {
      const dir = join(rootDir(), `pvc-${uid}_${namespace}_${name}`);
      mkdirSync(dir, { recursive: true });
      // mkdir's mode goes through the umask.
      chmodSync(dir, 0o777);
      return dir;
    },
    remove(path) {
      if (!root || !isAbsolute(path)) return false;
      const rel = relative(root, path);
      if (!rel || rel.startsWith('..') || rel.includes('/') || !basename(path).startsWith('pvc-')) return false;
      rmSync(path, { recursive: true, force: true });
      return true;
    },
    close() {
      if (temporary) rmSync(temporary, { recursive: true, force: true });
      temporary = undefined;
      if (!dataDir) root = undefined;
    },
  };
}
