// The kubelet's bind-rewrite library (src/kubelet/preload/bind.c, loaded into containers with
// LD_PRELOAD), compiled with the system's C compiler and inlined into the bundles as base64
// (__TINYKUBE_PRELOAD_SO__): src/kubelet/preload.ts writes it to a file on first use, the same in
// dist/, in the single executable and under vitest. The .so is cached in
// node_modules/.cache/tinykube-preload/ by the hash of its source and flags, so builds and test
// runs compile it once. Without a C compiler the define is empty and everything else builds: the
// kubelet then says why it cannot rewrite binds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SOURCE = join(ROOT, 'src/kubelet/preload/bind.c');
const CACHE = join(ROOT, 'node_modules/.cache/tinykube-preload');
const CC = process.env.CC || 'cc';
// Only bind, connect, sendto and sendmsg are exported (-fvisibility=hidden): the library's own
// helpers can never clash with a program's symbols. -s: no symbol table, ~2 KB less to inline.
const FLAGS = ['-shared', '-fPIC', '-O2', '-Wall', '-Wextra', '-fvisibility=hidden', '-s'];
const LIBS = ['-ldl'];

let built;

/** The compiled library's bytes, or undefined when there is no C compiler (one warning line). */
export function preloadLibrary() {
  if (built !== undefined) return built || undefined;
  // LD_PRELOAD and this ELF library are Linux's; elsewhere the kubelet says it has none.
  if (process.platform !== 'linux') {
    built = '';
    return undefined;
  }
  const source = readFileSync(SOURCE);
  const key = createHash('sha256')
    .update(source)
    .update(JSON.stringify([CC, FLAGS, LIBS, process.platform, process.arch]))
    .digest('hex');
  const out = join(CACHE, `bind-${key.slice(0, 32)}.so`);
  if (!existsSync(out)) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    const cc = spawnSync(CC, [...FLAGS, '-o', tmp, SOURCE, ...LIBS], { encoding: 'utf8' });
    if (cc.error?.code === 'ENOENT') {
      console.warn(`warning: no C compiler (${CC}): containers will not get the bind rewrite (src/kubelet/preload/bind.c)`);
      built = '';
      return undefined;
    }
    if (cc.error || cc.status !== 0) {
      rmSync(tmp, { force: true });
      throw new Error(`compiling src/kubelet/preload/bind.c failed: ${cc.error?.message ?? ''}${cc.stderr ?? ''}`);
    }
    // Warnings are shown (they are errors waiting to happen on another compiler) but do not fail.
    if (cc.stderr) process.stderr.write(cc.stderr);
    // Several builds at once (vitest workers, build + build:binary) each rename a whole file.
    renameSync(tmp, out);
  }
  built = readFileSync(out);
  return built;
}

/** esbuild/vite `define` entries that inline the library (an empty string when it was not built). */
export function preloadLibDefine() {
  const so = preloadLibrary();
  return { __TINYKUBE_PRELOAD_SO__: JSON.stringify(so ? so.toString('base64') : '') };
}
