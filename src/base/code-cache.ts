// Loads dist/'s cluster bundle (dist/cluster.cjs: startCluster and everything it needs, one
// CommonJS file) through V8's code cache, as the single executable loads itself. Node 20 has no
// compile cache for ES modules: each start parsed ~2 MB of chunks and compiled every function
// the start runs, ~40% of `tinykube up`'s time to ready. With the cache, V8 deserializes the
// compiled code of the last start instead.
//
// The cache is a file per bundle (its content hash is in the name: a new build never meets an
// old cache; V8 itself refuses one from another Node or with other V8 flags) and Node version,
// in the addon cache dir of the single executable ($TINYKUBE_CACHE_DIR, else
// $XDG_CACHE_HOME/tinykube, else ~/.cache/tinykube). It is written once a cluster has started
// (then it holds the code of the whole start), atomically (base/files.ts): concurrent starts each
// write a complete file; caches of other builds of the bundle unused for a day are
// removed then. A missing, unreadable or refused cache only means a slower start; an unwritable
// cache dir is ignored. TINYKUBE_CODE_CACHE=off compiles without it.
//
// The modules that the CLI has already loaded as ES modules (options, instance, native, ...: the
// static imports of src/cli/main.ts) are not in the bundle: it require()s them from the CLI's copies
// (`shared`), so an error class thrown in the cluster is the one the CLI tests for.
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import vm from 'node:vm';
import { writeFileAtomic } from './files.js';
import { addonCacheDir } from './native.js';

export interface CachedBundle {
  exports: Record<string, unknown>;
  /** Where the code cache is (or would be). */
  cacheFile: string;
  /** `hit` (used), `rejected` (V8 refused it), `miss` (none), `off` (TINYKUBE_CODE_CACHE=off). */
  cache: 'hit' | 'rejected' | 'miss' | 'off';
  /** Writes the code cache now if it was missing or refused (once; errors are ignored). */
  save(): void;
}

/** The CommonJS wrapper, on the first line as Node's own (stack trace lines stay right). */
const wrap = (src: string) => `(function (exports, require, module, __filename, __dirname) { ${src}\n});`;

/**
 * Runs the CommonJS bundle `file` (its content hash `hash`, from the build) with the code cache;
 * `shared` maps the ids it require()s instead of bundling (see above) to the modules to use.
 */
export function loadCachedBundle(file: string, hash: string, shared: Record<string, unknown> = {}): CachedBundle {
  const off = process.env.TINYKUBE_CODE_CACHE === 'off';
  const cacheFile = join(addonCacheDir(), `${basename(file)}-${hash.slice(0, 16)}-${process.version}.v8cache`);
  let cachedData: Buffer | undefined;
  if (!off) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      // none yet
    }
  }
  const script = new vm.Script(wrap(readFileSync(file, 'utf8')), {
    filename: file,
    cachedData,
    // The bundle's own import() of packages it leaves out (node-pty) goes to Node's loader.
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const cache: CachedBundle['cache'] = off ? 'off' : !cachedData ? 'miss' : script.cachedDataRejected ? 'rejected' : 'hit';
  const nodeRequire = createRequire(file);
  const req = (id: string) => (Object.prototype.hasOwnProperty.call(shared, id) ? shared[id] : nodeRequire(id));
  const mod = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...a: unknown[]) => void).call(
    mod.exports,
    mod.exports,
    Object.assign(req, nodeRequire),
    mod,
    file,
    dirname(file),
  );
  let saved = cache === 'hit' || cache === 'off';
  return {
    exports: mod.exports,
    cacheFile,
    cache,
    save() {
      if (saved) return;
      saved = true;
      try {
        writeFileAtomic(cacheFile, script.createCachedData(), { mode: 0o600, dirMode: 0o700 });
        pruneOtherBuilds(cacheFile, `${basename(file)}-`);
      } catch {
        // an unwritable cache dir only means slower starts
      }
    },
  };
}

const DAY_MS = 86_400_000;

/** Removes the caches of other builds of the same bundle (a file each) not used for a day. */
function pruneOtherBuilds(keep: string, prefix: string): void {
  const dir = dirname(keep);
  for (const name of readdirSync(dir)) {
    const f = join(dir, name);
    if (f === keep || !name.startsWith(prefix) || !name.endsWith('.v8cache')) continue;
    try {
      if (Date.now() - statSync(f).atimeMs > DAY_MS && Date.now() - statSync(f).mtimeMs > DAY_MS) unlinkSync(f);
    } catch {
      // removed meanwhile
    }
  }
}
