// The libraries loaded apart (scripts/vendor-apart.mjs: undici, http-proxy-3): not in dist/cluster.cjs
// nor in the single executable's bundle, whose source stays in memory, but files of their own that
// the cluster's `import()` loads on first use: dist/vendor/<name>.cjs, and in the binary the SEA
// asset vendor/<name>.cjs evaluated by src/base/vendor.ts. Runs against the built dist/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'esbuild';
import { requireVendored, VendoredLibraryError } from '../../src/base/vendor.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
/** A piece of each library's code (not of a comment: the cluster's own comments may name them). */
const MARKERS = { undici: 'Symbol.for("undici.error.UND_ERR")', 'http-proxy-3': '"Must set target or forward"' };
const LIBS = Object.keys(MARKERS) as (keyof typeof MARKERS)[];

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
  it('has an ASCII CommonJS file per library in dist/vendor/, and no bundle holds their source', () => {
    expect(readdirSync(join(DIST, 'vendor')).sort()).toEqual(LIBS.map((l) => `${l}.cjs`).sort());
    for (const lib of LIBS) expect(readFileSync(join(DIST, 'vendor', `${lib}.cjs`), 'utf8'), lib).toContain(MARKERS[lib]);
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
    for (const lib of LIBS) expect(text).toContain(`require("./vendor/${lib}.cjs")`);
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
  it("leaves them out of its bundle: the real binary's and a small program's", async () => {
    const { bundleForSea } = await script<{ bundleForSea: (entry: string, out: string) => Promise<{ vendored: string[] }> }>(
      'scripts/build-binary.mjs',
    );
    for (const entry of ['src/cli/main.ts', 'test/fixtures/sea-vendor.ts']) {
      const out = join(work, 'sea-main.cjs');
      const r = await bundleForSea(join(ROOT, entry), out);
      expect(r.vendored, entry).toEqual(['http-proxy-3', 'undici']);
      const text = readFileSync(out, 'utf8');
      for (const lib of LIBS) expect(text, entry).not.toContain(MARKERS[lib]);
      for (const lib of LIBS) expect(text, entry).toContain(`.requireVendored("${lib}")`);
    }
  }, 30_000);

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

  it('outside the binary, has no assets to load them from', () => {
    expect(() => requireVendored('undici')).toThrow(VendoredLibraryError);
    expect(() => requireVendored('undici')).toThrow('undici: only the single executable loads libraries from its assets');
  });
});
