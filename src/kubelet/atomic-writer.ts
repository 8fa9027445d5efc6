// The kubelet's atomic writer (pkg/volume/util/atomic_writer.go), for configMap, secret,
// downwardAPI and projected volumes: the files live in a timestamped directory, `..data` points
// at it, and each top-level name is a symlink through `..data`. An update writes a new directory
// and swaps `..data` with one rename, so a reader never sees half of an update.
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  chmodSync,
  writeFileSync,
} from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';

export interface VolumeFile {
  data: Buffer;
  /** Permission bits (defaultMode or the item's mode). */
  mode: number;
}

const DATA = '..data';

function tsDirName(): string {
  const d = new Date();
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `..${d.getUTCFullYear()}_${p(d.getUTCMonth() + 1)}_${p(d.getUTCDate())}_${p(d.getUTCHours())}_${p(d.getUTCMinutes())}_${p(d.getUTCSeconds())}.${Math.floor(Math.random() * 1e9)}`;
}

/** True when `dir` already holds exactly these files with these modes. */
function unchanged(dir: string, files: Map<string, VolumeFile>): boolean {
  const cur = join(dir, DATA);
  if (!existsSync(cur)) return false;
  const seen = new Set<string>();
  const walk = (rel: string): boolean => {
    for (const e of readdirSync(join(cur, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (!walk(r)) return false;
        continue;
      }
      const want = files.get(r);
      if (!want) return false;
      const p = join(cur, r);
      if ((statSync(p).mode & 0o7777) !== want.mode || !readFileSync(p).equals(want.data)) return false;
      seen.add(r);
    }
    return true;
  };
  try {
    return walk('') && seen.size === files.size;
  } catch {
    return false;
  }
}

/**
 * validatePath of upstream's atomic writer, with its messages: API validation refuses these in
 * items[].path and in keys already, but the writer is the last step before the host's disk, so
 * it checks again (a path climbing out of the volume would write anywhere).
 */
export function validatePayloadPath(p: string): void {
  if (p === '') throw new Error(`invalid path: must not be empty: ""`);
  if (isAbsolute(p)) throw new Error(`invalid path: must be relative path: ${p}`);
  if (p.length > 4096) throw new Error('invalid path: must be less than or equal to 4096 characters');
  const items = p.split('/');
  for (const item of items) {
    if (item === '..') throw new Error(`invalid path: must not contain '..': ${p}`);
    if (Buffer.byteLength(item) > 255) throw new Error('invalid path: filenames must be less than or equal to 255 characters');
  }
  if (items[0]!.startsWith('..') && items[0]!.length > 2) throw new Error(`invalid path: must not start with '..': ${p}`);
}

/**
 * Makes `dir` show exactly `files` (paths relative, `/`-separated; validated here again).
 * Returns false when nothing had to change.
 */
export function writeAtomic(dir: string, input: Map<string, VolumeFile>): boolean {
  // validatePayload: every path checked, then cleaned (`a//b/./c` is `a/b/c`).
  const files = new Map<string, VolumeFile>();
  for (const [rel, f] of input) {
    validatePayloadPath(rel);
    files.set(normalize(rel).replace(/(.)\/+$/, '$1'), f);
  }
  mkdirSync(dir, { recursive: true, mode: 0o777 });
  if (unchanged(dir, files)) return false;
  const ts = tsDirName();
  const tsPath = join(dir, ts);
  mkdirSync(tsPath, { mode: 0o755 });
  for (const [rel, f] of files) {
    const p = join(tsPath, rel);
    mkdirSync(dirname(p), { recursive: true, mode: 0o755 });
    writeFileSync(p, f.data);
    chmodSync(p, f.mode);
  }
  let old: string | undefined;
  try {
    old = readlinkSync(join(dir, DATA));
  } catch {
    old = undefined;
  }
  const tmp = join(dir, '..data_tmp');
  rmSync(tmp, { force: true });
  symlinkSync(ts, tmp);
  renameSync(tmp, join(dir, DATA));
  // Top-level names: one symlink each through ..data; names that went away are removed.
  const top = new Set([...files.keys()].map((r) => r.split('/')[0]!));
  for (const name of top) {
    const p = join(dir, name);
    if (!existsSync(p) && !isLink(p)) symlinkSync(join(DATA, name), p);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith('..') || top.has(name)) continue;
    if (isLink(join(dir, name))) rmSync(join(dir, name), { force: true });
  }
  if (old && old !== ts) rmSync(join(dir, old), { recursive: true, force: true });
  return true;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
