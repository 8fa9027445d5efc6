// The library's declarations for package.json's `types`: dist/index.d.ts and the .d.ts files it
// imports, nothing else. scripts/build.mjs runs this on a worker thread beside esbuild; on its own:
// `node scripts/build-types.mjs [OUTDIR]`. The compiler options come from tsconfig.types.json.
//
// Why not `tsc -p tsconfig.types.json`: that type-checks the whole program (8 s on a 2-core
// machine, eight times the bundle build) and writes a .d.ts for each of the ~170 modules. Here
// type checking is off (`noCheck`: `npm run typecheck` does it; declaration emit needs none of
// it), and only the modules the public declarations reach are emitted, starting from src/index.ts
// and following their relative imports (~20 files): 3-4 s, most of it parsing the program.
// The result is cached under node_modules/.cache/tinykube, keyed by everything it depends on (the
// sources, the tsconfigs, package-lock.json, the TypeScript version, this script), so a build
// whose sources did not change writes the declarations in milliseconds.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CONFIG = join(ROOT, 'tsconfig.types.json');
const CACHE = join(ROOT, 'node_modules', '.cache', 'tinykube', 'declarations.json');

/** Writes the declarations into `outDir`; returns their paths (relative to it) and whether they came from the cache. */
export async function buildTypes(outDir = join(ROOT, 'dist')) {
  const key = inputsKey();
  let files = readCache(key);
  const cached = files !== undefined;
  if (!files) {
    files = await emitDeclarations();
    writeCache(key, files);
  }
  for (const [name, text] of Object.entries(files)) {
    const file = join(outDir, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return { files: Object.keys(files), cached };
}

/** { 'index.d.ts': text, ... }, names relative to the config's outDir. */
async function emitDeclarations() {
  const { default: ts } = await import('typescript');
  const format = (diagnostics) =>
    ts.formatDiagnostics(diagnostics, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' });
  const parsed = ts.getParsedCommandLineOfConfigFile(CONFIG, undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (parsed.errors.length) throw new Error(format(parsed.errors));
  const options = { ...parsed.options, noCheck: true, declaration: true, emitDeclarationOnly: true };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options });
  const pre = [...program.getOptionsDiagnostics(), ...program.getSyntacticDiagnostics()];
  if (pre.length) throw new Error(format(pre));

  const files = {};
  const queue = parsed.fileNames.map((f) => resolve(f));
  const seen = new Set();
  while (queue.length > 0) {
    const source = queue.pop();
    if (seen.has(source)) continue;
    seen.add(source);
    const sf = program.getSourceFile(source);
    if (!sf) throw new Error(`${relative(ROOT, source)}: not in the program, yet a declaration imports it`);
    const emitted = program.emit(
      sf,
      (name, text) => {
        files[relative(options.outDir, name)] = text;
        // The modules this declaration refers to need theirs too.
        for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g)) {
          queue.push(resolve(dirname(source), m[2].replace(/\.js$/, '.ts')));
        }
      },
      undefined,
      true,
    );
    if (emitted.diagnostics.length) throw new Error(format(emitted.diagnostics));
  }
  return files;
}

function inputsKey() {
  const hash = createHash('sha256');
  const add = (file) =>
    hash
      .update(`${relative(ROOT, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  add(createRequire(import.meta.url).resolve('typescript/package.json'));
  for (const f of ['tsconfig.json', 'tsconfig.types.json', 'package-lock.json']) add(join(ROOT, f));
  add(fileURLToPath(import.meta.url));
  const src = join(ROOT, 'src');
  for (const f of readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath ?? d.path, d.name))
    .sort()) {
    add(f);
  }
  return hash.digest('hex');
}

function readCache(key) {
  try {
    const c = JSON.parse(readFileSync(CACHE, 'utf8'));
    return c.key === key ? c.files : undefined;
  } catch {
    return undefined;
  }
}

/** Best effort, written whole and renamed into place (builds may run side by side). */
function writeCache(key, files) {
  try {
    mkdirSync(dirname(CACHE), { recursive: true });
    const tmp = `${CACHE}.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, files }));
    renameSync(tmp, CACHE);
  } catch {
    /* a read-only node_modules: no cache, the next build emits again */
  }
}

if (!isMainThread && workerData?.outDir) {
  parentPort.postMessage(await buildTypes(resolve(workerData.outDir)));
} else if (isMainThread && process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const t0 = Date.now();
  const r = await buildTypes(process.argv[2] ? resolve(process.argv[2]) : undefined);
  console.log(`wrote ${r.files.length} declaration files${r.cached ? ' (cached)' : ''} in ${Date.now() - t0} ms`);
}
