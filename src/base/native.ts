// Native addons (better-sqlite3's better_sqlite3.node, node-pty's pty.node) inside the single
// executable. A SEA binary can only require() Node's built-in modules, and dlopen() needs a real
// file, so scripts/build-binary.mjs ships each .node file as a SEA asset and this module unpacks it
// once into a per-version cache dir and loads it with process.dlopen(). Outside the binary every
// function here returns undefined and the packages load their addons from node_modules as usual.
//
// The cache file name carries the addon's content hash (from the build's asset manifest), so two
// builds never share a file, and it is written atomically (base/files.ts: a temp file of its own
// per process, renamed): several tinykube processes starting at once each write a complete copy
// and the last rename wins with identical bytes; a reader never sees a partial file.
import { statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as sea from 'node:sea';
import { writeFileAtomic } from './files.js';
import { TINYKUBE_VERSION } from './version.js';

/** The SEA asset listing each addon's sha256 (written by scripts/build-binary.mjs). */
export const SEA_MANIFEST_ASSET = 'tinykube-assets.json';

export interface NativeAddon {
  /** The unpacked file that was dlopen()ed. */
  path: string;
  /** Its directory (node-pty looks for helpers next to its addon; only used on macOS). */
  dir: string;
  exports: unknown;
}

/** A failure to unpack or load an addon, worded for one line on the terminal. */
export class NativeAddonError extends Error {
  override name = 'NativeAddonError';
}

const loaded = new Map<string, NativeAddon>();
let manifest: Record<string, string> | undefined;

export function inSingleExecutable(): boolean {
  return sea.isSea();
}

/** Where unpacked addons live: $TINYKUBE_CACHE_DIR, else $XDG_CACHE_HOME/tinykube, else ~/.cache/tinykube; one subdir per tinykube version and Node ABI. */
export function addonCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.TINYKUBE_CACHE_DIR || join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'tinykube');
  return join(base, `${TINYKUBE_VERSION}-node${process.versions.modules}-${process.platform}-${process.arch}`);
}

/** The addon shipped as SEA asset `name` (e.g. `better_sqlite3.node`), loaded once; undefined outside the binary. */
export function seaAddon(name: string): NativeAddon | undefined {
  if (!sea.isSea()) return undefined;
  return requireSeaAddon(name);
}

/** Like seaAddon() but throws outside the binary (the build redirects `bindings` and node-pty's loader here). */
export function requireSeaAddon(name: string): NativeAddon {
  const done = loaded.get(name);
  if (done) return done;
  if (!sea.isSea()) throw new NativeAddonError(`native addon ${name}: only the single executable loads addons from its assets`);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(sea.getRawAsset(name) as ArrayBuffer);
  } catch {
    throw new NativeAddonError(`native addon ${name} is missing from this binary (rebuild it with npm run build:binary)`);
  }
  const dir = addonCacheDir();
  const hash = assetHash(name, bytes);
  const file = join(dir, `${name.replace(/\.node$/, '')}-${hash.slice(0, 16)}.node`);
  const addon = loadCached(name, bytes, dir, file);
  loaded.set(name, addon);
  return addon;
}

/** better-sqlite3's `nativeBinding` option: the addon object inside the binary, undefined elsewhere. */
export function sqliteNativeBinding(): object | undefined {
  return seaAddon('better_sqlite3.node')?.exports as object | undefined;
}

function assetHash(name: string, bytes: Uint8Array): string {
  if (!manifest) {
    try {
      manifest = JSON.parse(sea.getAsset(SEA_MANIFEST_ASSET, 'utf8')) as Record<string, string>;
    } catch {
      manifest = {};
    }
  }
  // Hashing 2 MB costs a few ms of every start: the build records the hash instead.
  return manifest[name] ?? createHash('sha256').update(bytes).digest('hex');
}

function loadCached(name: string, bytes: Uint8Array, dir: string, file: string): NativeAddon {
  let fresh = false;
  if (!hasSize(file, bytes.byteLength)) {
    writeAtomically(name, bytes, dir, file);
    fresh = true;
  }
  try {
    return dlopen(file, dir);
  } catch (err) {
    // A cached copy damaged after it was written (not by us: we rename complete files only):
    // write it again once before giving up.
    if (fresh) throw new NativeAddonError(`cannot load native addon ${name} from ${file}: ${(err as Error).message}`);
    writeAtomically(name, bytes, dir, file);
    try {
      return dlopen(file, dir);
    } catch (err2) {
      throw new NativeAddonError(`cannot load native addon ${name} from ${file}: ${(err2 as Error).message}`);
    }
  }
}

function dlopen(file: string, dir: string): NativeAddon {
  const mod = { exports: {} as unknown };
  process.dlopen(mod, file);
  return { path: file, dir, exports: mod.exports };
}

function hasSize(file: string, size: number): boolean {
  try {
    return statSync(file).size === size;
  } catch {
    return false;
  }
}

function writeAtomically(name: string, bytes: Uint8Array, dir: string, file: string): void {
  try {
    writeFileAtomic(file, bytes, { mode: 0o755, dirMode: 0o755 });
  } catch (err) {
    throw new NativeAddonError(
      `cannot unpack native addon ${name} into ${dir}: ${reason((err as Error).cause ?? err)} (set TINYKUBE_CACHE_DIR to a writable directory)`,
    );
  }
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'EROFS':
      return 'read-only file system';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a path component is not a directory';
    default:
      return e.message ?? String(err);
  }
}
