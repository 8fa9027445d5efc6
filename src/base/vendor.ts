// The libraries the cluster loads on first use only (undici, http-proxy-3: scripts/vendor-apart.mjs
// says why) inside the single executable. They are not in the binary's bundle, whose source V8
// keeps in memory: scripts/build-binary.mjs bundles each alone into the SEA asset vendor/<name>.cjs
// and redirects the bundle's `import('<name>')` here, which evaluates the asset as a CommonJS
// module once. Its require() gets Node's built-in modules only, as the binary's own: the build
// checks that a vendored library needs nothing else. (dist/ require()s its dist/vendor/ files.)
import { dirname } from 'node:path';
import * as sea from 'node:sea';
import vm from 'node:vm';

/** A vendored library missing from the binary or failing to load, worded for one line on the terminal. */
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
  if (loaded.has(name)) return loaded.get(name);
  const asset = vendorAsset(name);
  if (!sea.isSea()) throw new VendoredLibraryError(`${name}: only the single executable loads libraries from its assets`);
  let text: string;
  try {
    text = sea.getAsset(asset, 'utf8');
  } catch {
    throw new VendoredLibraryError(`${name} (${asset}) is missing from this binary (rebuild it with npm run build:binary)`);
  }
  // Stack traces name the asset beside the binary, like a file next to it.
  const filename = `${dirname(process.execPath)}/${asset}`;
  const script = new vm.Script(wrap(text), {
    filename,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const mod = { exports: {} as unknown };
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, requireBuiltin, mod, filename, dirname(filename));
  loaded.set(name, mod.exports);
  return mod.exports;
}

/** require() for a vendored library: Node's modules, else the error require() throws (optional dependencies catch it). */
function requireBuiltin(id: string): unknown {
  const m = process.getBuiltinModule(id);
  if (m !== undefined) return m;
  throw Object.assign(new Error(`Cannot find module '${id}' (the single executable's vendored libraries load Node's modules only)`), {
    code: 'MODULE_NOT_FOUND',
  });
}
