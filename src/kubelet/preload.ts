// The bind rewrite of a container's processes (src/kubelet/preload/bind.c: a server that binds
// 0.0.0.0, ::, or 127.0.0.1 binds its Pod IP instead, so replicas of one image listen side by side
// and port-forward reaches a server that bound loopback). The library comes compiled at build time
// and inlined as base64 (__TINYKUBE_PRELOAD_SO__: scripts/preload-lib.mjs, for dist/, the single
// executable and vitest alike); on first use it is written once into the addon cache dir under a
// name carrying its content hash, so builds never share a file and a complete copy is reused.
import { statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from '../base/files.js';
import { addonCacheDir } from '../base/native.js';

declare const __TINYKUBE_PRELOAD_SO__: string | undefined;

export type PreloadLibrary = { path: string } | { error: string };

let library: PreloadLibrary | undefined;

/** The library's file, written on first use; or why there is none. */
export function preloadLibrary(): PreloadLibrary {
  library ??= locate(typeof __TINYKUBE_PRELOAD_SO__ === 'string' ? __TINYKUBE_PRELOAD_SO__ : '');
  return library;
}

/** ELF e_machine of the architectures Node runs on: a build copied to another one has a library it cannot load. */
const ELF_MACHINE: Partial<Record<NodeJS.Architecture, number>> = {
  ia32: 3,
  arm: 40,
  ppc64: 21,
  s390x: 22,
  x64: 62,
  arm64: 183,
  riscv64: 243,
  loong64: 258,
};

function locate(base64: string): PreloadLibrary {
  if (process.platform !== 'linux') return { error: `the bind rewrite needs LD_PRELOAD, which ${process.platform} does not have` };
  if (!base64) return { error: 'the bind-rewrite library was not built: there was no C compiler (cc) when this tinykube was built' };
  const bytes = Buffer.from(base64, 'base64');
  const machine = bytes.byteLength > 20 ? bytes.readUInt16LE(18) : -1;
  const want = ELF_MACHINE[process.arch];
  if (want !== undefined && machine !== want) {
    return { error: `the bind-rewrite library was built for another architecture (ELF machine ${machine}, this is ${process.arch})` };
  }
  const dir = addonCacheDir();
  const hash = createHash('sha256').update(bytes).digest('hex');
  const path = join(dir, `tinykube-preload-${hash.slice(0, 16)}.so`);
  // ld.so splits LD_PRELOAD at colons and spaces, and has no way to quote them.
  if (/[: ]/.test(path))
    return {
      error: `the bind-rewrite library's path ${path} has a ':' or a space, which LD_PRELOAD cannot carry (set TINYKUBE_CACHE_DIR)`,
    };
  if (!hasSize(path, bytes.byteLength)) {
    try {
      // Readable by all: containers may run as other users, and their loader opens it.
      writeFileAtomic(path, bytes, { mode: 0o755, dirMode: 0o755 });
    } catch (err) {
      return { error: `${(err as Error).message} (set TINYKUBE_CACHE_DIR to a writable directory)` };
    }
  }
  return { path };
}

function hasSize(file: string, size: number): boolean {
  try {
    return statSync(file).size === size;
  } catch {
    return false;
  }
}

export interface BindRewriteOptions {
  /** The library's path (preloadLibrary()). */
  library: string;
  /** The Pod's IPv4 address. */
  podIP: string;
  /** The Pod's ports file: `tcp PORT` / `udp PORT` lines its processes' rewritten binds append. */
  portsFile: string;
  /** The container's own LD_PRELOAD, if it sets one. */
  ldPreload?: string;
}

/** The variables that put a container's processes under the bind rewrite (added to its environment). */
export function bindRewriteEnv(o: BindRewriteOptions): Record<string, string> {
  // Ours first: its bind() is the one the program's calls reach, whatever the others wrap.
  const own = (o.ldPreload ?? '').split(/[: ]/).filter((p) => p && p !== o.library);
  return {
    LD_PRELOAD: [o.library, ...own].join(':'),
    TINYKUBE_POD_IP: o.podIP,
    TINYKUBE_POD_PORTS: o.portsFile,
  };
}
