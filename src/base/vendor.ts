// Code the cluster runs on first use only, kept out of the single executable's bundle, whose source
// V8 keeps in memory for as long as the process lives: the libraries of scripts/vendor-apart.mjs
// (undici, js-yaml, CEL, ...: the file says why each) and upstream's OpenAPI descriptions
// (src/api/generated/**/*.openapi.ts: scripts/cluster-bundle.mjs). scripts/build-binary.mjs bundles
// each alone into a SEA asset, vendor/<name>.cjs or openapi/<package>.cjs, and redirects the
// bundle's import of it here, which evaluates the asset as a CommonJS module once. Its require()
// gets Node's built-in modules only, as the binary's own: the build checks that an asset needs
// nothing else. (dist/ require()s its dist/vendor/ and dist/openapi/ files instead.) The texts the
// bundles inline with `define` (worker threads' scripts, the bind-rewrite library) are assets too,
// read by assetText() when the code that uses them runs.
import { dirname } from 'node:path';
import * as sea from 'node:sea';
import vm from 'node:vm';

/** An asset module missing from the binary or failing to load, worded for one line on the terminal. */
export class VendoredLibraryError extends Error {
  override name = 'VendoredLibraryError';
}

const loaded = new Map<string, unknown>();

/** The SEA asset of a vendored library (scripts/vendor-apart.mjs names them the same): vendor/undici.cjs. */
export const vendorAsset = (name: string) => `vendor/${name.replace(/[\\/]/g, '-')}.cjs`;

/** The CommonJS wrapper, on the first line as Node's own (stack trace lines stay right). */
const wrap = (src: string) => `(function (exports, require, module, __filename, __dirname) { ${src}\n});`;

/** The exports of vendored library `name` from the binary's assets, evaluated on the first call. */
export function requireVendored(name: string): unknown {
  return requireAssetModule(vendorAsset(name), name, 'libraries');
}

/**
 * The exports of the CommonJS module that is SEA asset `asset` (openapi/core-v1.cjs), evaluated on
 * the first call; errors name it `what`.
 */
export function requireAssetModule(asset: string, what = asset, kind = 'modules'): unknown {
  if (loaded.has(asset)) return loaded.get(asset);
  if (!sea.isSea()) throw new VendoredLibraryError(`${what}: only the single executable loads ${kind} from its assets`);
  let text: string;
  try {
    text = readAsset(asset);
  } catch {
    throw new VendoredLibraryError(
      `${what === asset ? what : `${what} (${asset})`} is missing from this binary (rebuild it with npm run build:binary)`,
    );
  }
  // Stack traces name the asset beside the binary, like a file next to it.
  const filename = `${dirname(process.execPath)}/${asset}`;
  const script = new vm.Script(wrap(text), {
    filename,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = { exports: {} as unknown };
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, requireBuiltin, mod, filename, dirname(filename));
  loaded.set(asset, mod.exports);
  return mod.exports;
}

/**
 * The text of SEA asset `asset` (text/tinykube_yaml_worker.txt: the texts scripts/build-binary.mjs
 * keeps apart from the bundle), read anew at each call; undefined outside the single executable or
 * when the binary lacks it.
 */
export function assetText(asset: string): string | undefined {
  if (!sea.isSea()) return undefined;
  try {
    return readAsset(asset);
  } catch {
    return undefined;
  }
}

/**
 * An asset's text, decoded from the binary's own bytes: sea.getAsset() would copy them into an
 * ArrayBuffer first, memory an idle process keeps until its next full collection.
 */
const readAsset = (asset: string) => Buffer.from(sea.getRawAsset(asset) as ArrayBuffer).toString('utf8');

/** require() for an asset module: Node's modules, else the error require() throws (optional dependencies catch it). */
function requireBuiltin(id: string): unknown {
  const m = process.getBuiltinModule(id);
  if (m !== undefined) return m;
  throw Object.assign(new Error(`Cannot find module '${id}' (the single executable's asset modules load Node's modules only)`), {
    code: 'MODULE_NOT_FOUND',
  });
}
