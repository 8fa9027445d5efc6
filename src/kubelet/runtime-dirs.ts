// The directories a running cluster keeps outside its data dir: an in-memory cluster's Pod
// directory in TMPDIR (`tinykube-pods-*`: logs, emptyDirs; tinykube/testing's `tinykube-test-*`:
// kubeconfig and kubectl's cache) and every cluster's runtime directory on
// /dev/shm (`tinykube-<uid>-*`: projected tokens, Secrets, hosts files). stop() removes them; a
// cluster that could not stop (kill -9, a killed test runner's threads, a crash) leaves them, with
// service-account tokens inside. Each carries an `.owner` file (pid and that pid's start time, as
// pids are reused), and every start removes those of owners that are gone, after killing what their
// containers left running.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { killLeftoverContainers, procStartTime } from './tracker.js';

const OWNER_FILE = '.owner';
const SHM = '/dev/shm';
const SELF = `${process.pid} ${procStartTime(process.pid) ?? '0'}`;

export const TEMP_PODS_PREFIX = 'tinykube-pods-';
/** tinykube/testing's per-cluster temp dirs (kubeconfig, kubectl's cache). */
export const TEST_FIXTURE_PREFIX = 'tinykube-test-';
export const runDirPrefix = () => `tinykube-${process.getuid?.() ?? 0}-`;

/** Marks dir as this process's. */
export function claimRuntimeDir(dir: string): void {
  try {
    writeFileSync(join(dir, OWNER_FILE), `${SELF}\n`, { mode: 0o600 });
  } catch {
    /* a read-only dir: it is not reclaimed, nothing else breaks */
  }
}

/** A fresh Pod directory for an in-memory cluster. */
export function makeTempPodsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), TEMP_PODS_PREFIX));
  claimRuntimeDir(dir);
  return dir;
}

/**
 * Gone: its pid is dead, or now another process's. Without an owner file (made by a tinykube
 * before owner files): gone only when empty and untouched for an hour (rmdir keeps it otherwise).
 */
function ownerGone(dir: string, mtimeMs: number): boolean {
  let text: string;
  try {
    text = readFileSync(join(dir, OWNER_FILE), 'utf8');
  } catch {
    return Date.now() - mtimeMs > 3_600_000 && readdirSync(dir).length === 0;
  }
  const [pid, start] = text.trim().split(' ');
  if (`${pid} ${start}` === SELF) return false;
  return procStartTime(Number(pid)) !== start;
}

/** This user's directory: its mtime; undefined otherwise. */
function mine(dir: string): number | undefined {
  try {
    const st = statSync(dir);
    return st.isDirectory() && st.uid === (process.getuid?.() ?? st.uid) ? st.mtimeMs : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the runtime directories of clusters whose process is gone (this user's only): their
 * containers first (by cgroup and marker), then the files. Returns how many directories went.
 */
export function reclaimDeadRuntimeDirs(log?: Logger, roots = { temp: tmpdir(), shm: SHM }): number {
  let removed = 0;
  const sweep = (root: string, prefix: string, podsDir: boolean) => {
    let names: string[];
    try {
      names = readdirSync(root).filter((n) => n.startsWith(prefix));
    } catch {
      return;
    }
    for (const n of names) {
      const dir = join(root, n);
      const mtime = mine(dir);
      if (mtime === undefined || !ownerGone(dir, mtime)) continue;
      try {
        const killed = podsDir ? killLeftoverContainers(dir) : 0;
        rmSync(dir, { recursive: true, force: true });
        removed++;
        log?.info({ dir, killed }, 'removed the runtime directory of a cluster that is gone');
      } catch (err) {
        log?.debug({ err, dir }, 'runtime directory of a dead cluster not removed');
      }
    }
  };
  sweep(roots.temp, TEMP_PODS_PREFIX, true);
  sweep(roots.temp, TEST_FIXTURE_PREFIX, false);
  sweep(roots.shm, runDirPrefix(), false);
  return removed;
}

/**
 * The Pods' runtime files (API-data volumes, hosts, resolv.conf, mount plans): on /dev/shm when it
 * is there. They are many small files written at every Pod start, and on some disks each metadata
 * operation costs a fraction of a millisecond (measured 0.2 ms per mkdir/symlink/write on this
 * project's CI machines against 6 µs on tmpfs); secrets also stay off the disk, as on a kubelet.
 * Everything here is rebuilt when a Pod starts, so losing it on reboot is fine.
 */
export function runDirFor(podsDir: string): string {
  const base = '/dev/shm';
  if (existsSync(base)) {
    try {
      const dir = join(base, `tinykube-${process.getuid?.() ?? 0}-${createHash('sha256').update(podsDir).digest('hex').slice(0, 12)}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    } catch {
      // not writable: fall through
    }
  }
  const dir = join(podsDir, '.run');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
