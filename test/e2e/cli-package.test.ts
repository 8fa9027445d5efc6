// The npm package: `npm pack` holds dist, README and the `tinykube` bin (never the 90 MB single
// executable), and the packed files start a cluster on their own (with the dependencies npm would
// install, here this clone's node_modules). Installing the tarball for real compiles the native
// addons (about a minute), so `npx tinykube up` from a tarball is checked by hand, not here.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'tk-pack-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function npm(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    // --ignore-scripts: prepack would rebuild dist/ under the feet of other test files.
    execFile('npm', [...args, '--ignore-scripts'], { cwd: ROOT, timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(stderr || err.message)) : resolve(stdout),
    ),
  );
}

describe('the npm package', () => {
  it('packs dist, the README and the tinykube bin, and runs from the packed files', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ tinykube: 'dist/cli.js' });
    expect(readFileSync(join(ROOT, 'dist/cli.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);

    // A stand-in binary in dist/ must stay out of the package.
    const fake = join(ROOT, 'dist', 'tinykube');
    const hadBinary = existsSync(fake);
    if (!hadBinary) writeFileSync(fake, 'not a binary');
    let files: string[];
    try {
      const [info] = JSON.parse(await npm(['pack', '--dry-run', '--json'])) as { files: { path: string }[] }[];
      files = info!.files.map((f) => f.path);
    } finally {
      if (!hadBinary) rmSync(fake, { force: true });
    }
    expect(files).toContain('README.md');
    expect(files).toContain('package.json');
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('dist/index.js');
    expect(files).not.toContain('dist/tinykube');
    expect(files.filter((f) => !f.startsWith('dist/') && !['README.md', 'package.json', 'LICENSE'].includes(f))).toEqual([]);

    // The packed files, unpacked elsewhere next to the dependencies: `tinykube up` serves.
    const out = (await npm(['pack', '--pack-destination', work])).trim().split('\n').pop()!;
    const unpacked = join(work, 'unpacked');
    mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', join(work, out), '-C', unpacked]);
    symlinkSync(join(ROOT, 'node_modules'), join(unpacked, 'package', 'node_modules'));
    const bin = join(unpacked, 'package', pkg.bin.tinykube);
    const kc = join(work, 'kc.yaml');
    const p = spawn(
      process.execPath,
      [bin, 'up', '--in-memory', '--api-listen', '127.0.0.1:0', '--kubeconfig', kc, '--dns-listen', '127.0.0.1:0'],
      { env: { ...process.env, HOME: work } },
    );
    let stdout = '';
    p.stdout.on('data', (d) => (stdout += d));
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    await until(async () => stdout.includes('is up in'), 20_000);
    expect(existsSync(kc)).toBe(true);
    p.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 90_000);
});

describe('the library declarations', () => {
  it('are built by npm run build: dist/index.d.ts declares startCluster, and a consumer type-checks against the package', async () => {
    expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).types).toBe('dist/index.d.ts');
    expect(readFileSync(join(ROOT, 'dist/index.d.ts'), 'utf8')).toContain("export { startCluster } from './cluster.js';");
    expect(readFileSync(join(ROOT, 'dist/cluster.d.ts'), 'utf8')).toContain(
      'export declare function startCluster(opts?: StartOptions): Promise<RunningCluster>;',
    );
    // Every declaration file they import is there.
    const missing: string[] = [];
    const seen = new Set<string>();
    const queue = ['index.d.ts'];
    while (queue.length > 0) {
      const f = queue.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      if (!existsSync(join(ROOT, 'dist', f))) {
        missing.push(f);
        continue;
      }
      for (const m of readFileSync(join(ROOT, 'dist', f), 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g)) {
        queue.push(join(dirname(f), m[2]!.replace(/\.js$/, '.d.ts')));
      }
    }
    expect(missing).toEqual([]);
    expect(seen.size).toBeGreaterThan(5);

    // A TypeScript user of the package: `import { startCluster } from 'tinykube'` resolves through
    // package.json's exports, and the types are real (an `any` from a missing file would let the
    // misuse below through, and its @ts-expect-error would then be the error).
    const app = join(work, 'consumer');
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    symlinkSync(ROOT, join(app, 'node_modules', 'tinykube'));
    symlinkSync(join(ROOT, 'node_modules', '@types'), join(app, 'node_modules', '@types'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'nodenext', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'] },
        files: ['app.ts'],
      }),
    );
    writeFileSync(
      join(app, 'app.ts'),
      [
        "import { startCluster, type RunningCluster, type StartOptions } from 'tinykube';",
        "const opts: StartOptions = { apiListen: '127.0.0.1:0' };",
        'const cluster: RunningCluster = await startCluster(opts);',
        'const port: number = cluster.ports.api;',
        'const server: string = cluster.server;',
        '// @ts-expect-error: not an option',
        "await startCluster({ apiListn: '127.0.0.1:0' });",
        '// @ts-expect-error: a Store, not a string',
        'const store: string = cluster.store;',
        '// @ts-expect-error: a Registry, not a number',
        'const registry: number = cluster.registry;',
        'export { port, server, store, registry };',
        '',
      ].join('\n'),
    );
    const tsc = await new Promise<{ code: number | null; out: string }>((done) =>
      execFile(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], { timeout: 60_000 }, (err, stdout, stderr) =>
        done({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, out: stdout + stderr }),
      ),
    );
    expect(tsc.out).toBe('');
    expect(tsc.code).toBe(0);
  }, 60_000);
});

describe('the built bundles', () => {
  it('hold ASCII only, so V8 keeps their source as one-byte strings (half the memory)', () => {
    const js = readdirSync(join(ROOT, 'dist'), { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(2);
    const offenders = js.filter((f) => /[^\x00-\x7f]/.test(readFileSync(join(ROOT, 'dist', f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
