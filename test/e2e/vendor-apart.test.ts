// The libraries loaded apart (scripts/vendor-apart.mjs: undici, http-proxy-3, CEL, htmlparser2,
// semver, safe-regex2; js-yaml in the binary only): not in dist/cluster.cjs nor in the single
// executable's bundle, whose source stays in memory, but files of their own that the cluster's
// import loads on first use: dist/vendor/<name>.cjs, and in the binary the SEA asset
// vendor/<name>.cjs evaluated by src/base/vendor.ts. Upstream's OpenAPI modules are apart in the
// binary too (openapi/<package>.cjs; test/e2e/binary-apart.test.ts runs them). Runs against the
// built dist/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { requireAssetModule, requireVendored, VendoredLibraryError } from '../../src/base/vendor.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** A piece of each library's code (not of a comment: the cluster's own comments may name them). */
const MARKERS = {
  undici: 'Symbol.for("undici.error.UND_ERR")',
  'http-proxy-3': '"Must set target or forward"',
  '@marcbachmann/cel-js': '"Optional.or must be called with an Optional argument"',
  htmlparser2: '"BeforeClosingTagName"',
  semver: '"PRERELEASEIDENTIFIERLOOSE"',
  'safe-regex2': '"@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^ ?"',
};
const LIBS = Object.keys(MARKERS) as (keyof typeof MARKERS)[];
/** Their files' names: a scope's slash becomes a dash. */
const fileOf = (lib: string) => `${lib.replace('/', '-')}.cjs`;
/** Apart in the binary only: dist/ has it in an ES module chunk of its own, split off by import(). */
const SEA_ONLY = ['js-yaml'];
const GENERATED = join(ROOT, 'src/api/generated');
const OPENAPI_MODULES = readdirSync(GENERATED, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.openapi.ts'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const run = (cmd: string, args: string[], cwd = ROOT, timeout = 60_000) =>
  new Promise<Run>((resolve) =>
    execFile(cmd, args, { cwd, timeout }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
    ),
  );

const script = async <T>(file: string) => (await import(pathToFileURL(join(ROOT, file)).href)) as T;

let work: string;
let server: http.Server;
let port: number;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tk-vendor-'));
  server = http.createServer((req, res) => res.end(`hello ${req.url} via ${req.headers['x-forwarded-for'] ?? 'nobody'}`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (work) rmSync(work, { recursive: true, force: true });
});

/**
 * A CommonJS program for `node -e`: `load(name)` gives a library (its exports as import() gives
 * them), and the program requests this test's server with undici through an http-proxy-3 proxy.
 */
const client = (load: string) => `
const http = require('node:http');
const load = ${load};
(async () => {
  const { createProxyServer } = await load('http-proxy-3');
  const proxy = createProxyServer({ target: 'http://127.0.0.1:${port}', xfwd: true });
  const front = http.createServer((req, res) => proxy.web(req, res));
  await new Promise((r) => front.listen(0, '127.0.0.1', r));
  const undici = await load('undici');
  const agent = new undici.Agent({ keepAliveTimeout: 1000 });
  const r = await undici.request('http://127.0.0.1:' + front.address().port + '/x', { dispatcher: agent });
  const body = await r.body.text();
  await agent.close();
  front.close();
  proxy.close();
  process.stdout.write(JSON.stringify({ status: r.statusCode, body }) + '\\n');
})().catch((err) => { process.stderr.write(err.stack + '\\n'); process.exitCode = 1; });
`;
const ANSWER = { status: 200, body: 'hello /x via 127.0.0.1' };

describe('dist/', () => {
  it('has an ASCII CommonJS file per library in dist/vendor/, and no bundle holds their source', async () => {
    const { VENDOR_APART, SEA_APART } = await script<{ VENDOR_APART: object; SEA_APART: object }>('scripts/vendor-apart.mjs');
    expect(Object.keys(VENDOR_APART).sort()).toEqual([...LIBS].sort());
    expect(Object.keys(SEA_APART)).toEqual(SEA_ONLY);
    expect(readdirSync(join(DIST, 'vendor')).sort()).toEqual(LIBS.map(fileOf).sort());
    for (const lib of LIBS) expect(readFileSync(join(DIST, 'vendor', fileOf(lib)), 'utf8'), lib).toContain(MARKERS[lib]);
    const bundles = readdirSync(DIST, { recursive: true })
      .map(String)
      .filter((f) => /\.c?js$/.test(f));
    expect(bundles).toContain('cluster.cjs');
    const holding = bundles.filter(
      (f) => !f.startsWith('vendor/') && LIBS.some((l) => readFileSync(join(DIST, f), 'utf8').includes(MARKERS[l])),
    );
    expect(holding).toEqual([]);
    // V8 keeps a source with one non-ASCII character as two-byte text: the CommonJS files too.
    const cjs = bundles.filter((f) => f.endsWith('.cjs'));
    expect(cjs.filter((f) => /[^\x00-\x7f]/.test(readFileSync(join(DIST, f), 'utf8')))).toEqual([]);
  });

  it("has the cluster bundle's import() of each library require its file next to the bundle", () => {
    const text = readFileSync(join(DIST, 'cluster.cjs'), 'utf8');
    for (const lib of LIBS) expect(text).toContain(`require("./vendor/${fileOf(lib)}")`);
  });

  it('runs the other vendored files alone: CEL, htmlparser2, semver, safe-regex2', async () => {
    const dir = JSON.stringify(join(DIST, 'vendor'));
    const r = await run(process.execPath, [
      '-e',
      `const load = (name) => require(${dir} + '/' + name.replace('/', '-') + '.cjs');
const { Environment } = load('@marcbachmann/cel-js');
const rule = new Environment().registerVariable('self', 'map').parse('self.replicas <= 10');
const tags = [];
new (load('htmlparser2').Parser)({ onopentag: (n, a) => tags.push(n + ' ' + JSON.stringify(a)) }).end('<a href="/x">x</a>');
const safe = load('safe-regex2');
process.stdout.write(JSON.stringify({
  cel: [rule({ self: { replicas: 3n } }), rule({ self: { replicas: 11n } })],
  html: tags,
  semver: load('semver').satisfies('5.2.0', '>=5.0.0'),
  safeRegex: [(safe.default ?? safe)('^a+$'), (safe.default ?? safe)('(a+)+$')],
}) + '\\n');`,
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ cel: [true, false], html: ['a {"href":"/x"}'], semver: true, safeRegex: [true, false] });
  });

  it('runs the vendored files alone: undici requests through an http-proxy-3 proxy', async () => {
    const r = await run(process.execPath, [
      '-e',
      client(`(name) => require(${JSON.stringify(join(DIST, 'vendor'))} + '/' + name + '.cjs')`),
    ]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(ANSWER);
  });

  it("redirects a bundle's import() to the vendored file the way the cluster bundle's is", async () => {
    const { build } = await import('esbuild');
    const { vendorNextToBundle } = await script<{ vendorNextToBundle: () => Plugin }>('scripts/cluster-bundle.mjs');
    const dir = join(work, 'bundle');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'entry.ts'),
      `export const load = (name: string) => (name === 'undici' ? import('undici') : import('http-proxy-3'));\n`,
    );
    await build({
      entryPoints: [join(dir, 'entry.ts')],
      outfile: join(dir, 'bundle.cjs'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      plugins: [vendorNextToBundle()],
      logLevel: 'silent',
    });
    const text = readFileSync(join(dir, 'bundle.cjs'), 'utf8');
    expect(text.length).toBeLessThan(10_000);
    for (const lib of LIBS) expect(text).not.toContain(MARKERS[lib]);
    // Without its vendor/ dir next to it the bundle cannot load them; with dist's, it can.
    const load = `require(${JSON.stringify(join(dir, 'bundle.cjs'))}).load`;
    const missing = await run(process.execPath, ['-e', client(load)]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`Cannot find module './vendor/http-proxy-3.cjs'`);
    cpSync(join(DIST, 'vendor'), join(dir, 'vendor'), { recursive: true });
    const r = await run(process.execPath, ['-e', client(load)]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(ANSWER);
  });

  it('refuses them in the ES module entries (only the cluster bundle loads them apart)', async () => {
    const { build } = await import('esbuild');
    const { vendorRefused } = await script<{ vendorRefused: (why: string) => Plugin }>('scripts/vendor-apart.mjs');
    const entry = join(work, 'esm-entry.ts');
    writeFileSync(entry, `export const load = () => import('undici');\n`);
    const err = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      plugins: [vendorRefused('only the cluster bundle may')],
      logLevel: 'silent',
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(
      `undici (from ${entry}) is loaded apart (scripts/vendor-apart.mjs) and only the cluster bundle may`,
    );
  });
});

describe('the single executable', () => {
  it("leaves them and the OpenAPI modules out of its bundle: the real binary's and a small program's", async () => {
    const { bundleForSea } = await script<{
      bundleForSea: (
        entry: string,
        out: string,
      ) => Promise<{ vendored: string[]; openapi: string[]; texts: Record<string, string>; inputs: Record<string, number> }>;
    }>('scripts/build-binary.mjs');
    const all = [...LIBS, ...SEA_ONLY];
    const cases = {
      'src/cli/main.ts': all,
      'test/fixtures/sea-vendor.ts': ['undici', 'http-proxy-3'],
      'test/fixtures/sea-apart.ts': all.slice(2),
    };
    for (const [entry, libs] of Object.entries(cases)) {
      const out = join(work, 'sea-main.cjs');
      const r = await bundleForSea(join(ROOT, entry), out);
      expect(r.vendored, entry).toEqual([...libs].sort());
      const text = readFileSync(out, 'utf8');
      for (const lib of LIBS) expect(text, entry).not.toContain(MARKERS[lib]);
      for (const lib of libs) expect(text, entry).toContain(`.requireVendored("${lib}")`);
      // What the bundle holds, by source file: nothing of theirs but the one-line stubs that load
      // the assets (js-yaml's messages are also in the YAML decoder's worker, inlined as text: the
      // inputs tell).
      const inputs = Object.keys(r.inputs);
      expect(
        inputs.filter((f) => all.some((l) => f.startsWith(`node_modules/${l}/`))),
        entry,
      ).toEqual([]);
      expect(
        inputs.filter((f) => f.endsWith('.openapi.ts') && !f.startsWith('openapi-apart:')),
        entry,
      ).toEqual([]);
    }
    // The real binary's OpenAPI modules are its assets, one per package, each read with the first document that needs it.
    const main = await bundleForSea(join(ROOT, 'src/cli/main.ts'), join(work, 'sea-main.cjs'));
    expect(main.openapi.map((f) => relative(GENERATED, f)).sort()).toEqual([...OPENAPI_MODULES].sort());
    expect(readFileSync(join(work, 'sea-main.cjs'), 'utf8')).toContain('.requireAssetModule("openapi/core-v1.cjs")');
    // The texts inlined with `define` elsewhere are assets: the worker threads' scripts and the bind-rewrite library.
    expect(Object.keys(main.texts)).toEqual(expect.arrayContaining(['text/tinykube_preload_so.txt', 'text/tinykube_yaml_worker.txt']));
    const bundle = readFileSync(join(work, 'sea-main.cjs'), 'utf8');
    for (const file of Object.values(main.texts)) {
      const text = readFileSync(file, 'utf8');
      // A piece of it that no string escaping changes.
      const piece = [...text.matchAll(/[\w ,.:;()=+/-]{40}/g)].map((m) => m[0]).find((p) => new Set(p).size >= 15)!;
      expect(text.length, file).toBeGreaterThan(20_000);
      expect(bundle, file).not.toContain(piece);
    }
    expect(Object.values(main.inputs).reduce((a, b) => a + b, 0)).toBeLessThan(2.5e6);
  }, 60_000);

  it('loads them from its assets on first import(): undici requests through an http-proxy-3 proxy', async () => {
    const out = join(work, 'sea-build', 'vendortest');
    const built = await run(
      process.execPath,
      [join(ROOT, 'scripts/build-binary.mjs'), '--entry', join(ROOT, 'test/fixtures/sea-vendor.ts'), '--output', out],
      ROOT,
      170_000,
    );
    expect(built.code, built.stderr).toBe(0);
    // Alone in a directory: nothing to find on disk.
    const alone = join(work, 'sea-alone');
    mkdirSync(alone);
    copyFileSync(out, join(alone, 'vendortest'));
    rmSync(join(work, 'sea-build'), { recursive: true, force: true });
    const r = await run(join(alone, 'vendortest'), [], alone);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ status: 200, body: 'hello /x via 127.0.0.1', names: ['Agent', 'UndiciError'] });
    expect(existsSync(join(alone, 'vendor'))).toBe(false);
  }, 180_000);

  it('loads the others from its assets on first import(): CEL, js-yaml, htmlparser2, semver, safe-regex2', async () => {
    const out = join(work, 'sea-build-apart', 'aparttest');
    const built = await run(
      process.execPath,
      [join(ROOT, 'scripts/build-binary.mjs'), '--entry', join(ROOT, 'test/fixtures/sea-apart.ts'), '--output', out],
      ROOT,
      170_000,
    );
    expect(built.code, built.stderr).toBe(0);
    const alone = join(work, 'sea-alone-apart');
    mkdirSync(alone);
    copyFileSync(out, join(alone, 'aparttest'));
    rmSync(join(work, 'sea-build-apart'), { recursive: true, force: true });
    const r = await run(join(alone, 'aparttest'), [], alone);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      cel: [true, false],
      yaml: { a: [1, 2], b: { c: 'x' } },
      html: ['p {}', 'a {"href":"/x"}', 'img {"src":"y.png"}'],
      semver: true,
      safeRegex: [true, false],
      names: ['Environment', 'Parser'],
    });
  }, 180_000);

  it('outside the binary, has no assets to load them from', () => {
    expect(() => requireVendored('undici')).toThrow(VendoredLibraryError);
    expect(() => requireVendored('undici')).toThrow('undici: only the single executable loads libraries from its assets');
    expect(() => requireAssetModule('openapi/core-v1.cjs')).toThrow(
      'openapi/core-v1.cjs: only the single executable loads modules from its assets',
    );
  });
});
