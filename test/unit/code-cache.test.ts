// dist/'s cluster bundle is loaded through V8's code cache (src/base/code-cache.ts): written once after
// a start, used by the next, refused when it does not fit, left alone when switched off; the
// bundle gets the shared modules it was built to require; old builds' caches go.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadCachedBundle } from '../../src/base/code-cache.js';

let dir: string;
let saved: { cache?: string; off?: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-code-cache-'));
  saved = { cache: process.env.TINYKUBE_CACHE_DIR, off: process.env.TINYKUBE_CODE_CACHE };
  process.env.TINYKUBE_CACHE_DIR = join(dir, 'cache');
  delete process.env.TINYKUBE_CODE_CACHE;
});
afterEach(() => {
  delete process.env.TINYKUBE_CODE_CACHE;
});
afterAll(() => {
  for (const [k, v] of [
    ['TINYKUBE_CACHE_DIR', saved.cache],
    ['TINYKUBE_CODE_CACHE', saved.off],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(dir, { recursive: true, force: true });
});

// V8 also keeps what this process compiled, by source and file: the same bundle again from another
// directory (same name, same cache file) is compiled anew, from the cache.
function bundle(name: string, copy = 'first'): string {
  mkdirSync(join(dir, copy), { recursive: true });
  const f = join(dir, copy, name);
  writeFileSync(
    f,
    `"use strict";
const shared = require("tinykube-shared:src/x.ts");
const { basename } = require("node:path");
function work(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }
exports.value = shared.n + 1;
exports.work = work;
exports.file = basename(__filename);
`,
  );
  return f;
}

describe('loadCachedBundle', () => {
  it('runs the bundle with its shared modules, writes the cache once, and uses it next time', () => {
    const f = bundle('a.cjs');
    const first = loadCachedBundle(f, 'a'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 41 } });
    expect(first.cache).toBe('miss');
    expect(first.exports.value).toBe(42);
    expect((first.exports.work as (n: number) => number)(4)).toBe(6);
    expect(first.exports.file).toBe('a.cjs');
    expect(existsSync(first.cacheFile)).toBe(false);
    first.save();
    expect(existsSync(first.cacheFile)).toBe(true);
    // No temp file is left next to it.
    expect(readdirSync(dirname(first.cacheFile)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    const second = loadCachedBundle(bundle('a.cjs', 'second'), 'a'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 1 } });
    expect(second.cache).toBe('hit');
    expect(second.exports.value).toBe(2);
    expect((second.exports.work as (n: number) => number)(5)).toBe(10);
  });

  it('refuses a cache that is not V8s, and replaces it', () => {
    const f = bundle('b.cjs');
    const first = loadCachedBundle(f, 'b'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 0 } });
    first.save();
    writeFileSync(first.cacheFile, Buffer.alloc(4096, 7));
    const bad = loadCachedBundle(bundle('b.cjs', 'second'), 'b'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 0 } });
    expect(bad.cache).toBe('rejected');
    expect(bad.exports.value).toBe(1);
    bad.save();
    expect(loadCachedBundle(bundle('b.cjs', 'third'), 'b'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 0 } }).cache).toBe('hit');
  });

  it('another build (hash) has a cache of its own; caches of builds unused for a day go', () => {
    const f = bundle('c.cjs');
    const old = loadCachedBundle(f, '1'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 0 } });
    old.save();
    const recent = loadCachedBundle(f, '2'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 0 } });
    recent.save();
    const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
    utimesSync(old.cacheFile, twoDaysAgo, twoDaysAgo);
    const next = loadCachedBundle(f, '3'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 0 } });
    expect(next.cache).toBe('miss');
    next.save();
    expect(existsSync(old.cacheFile)).toBe(false);
    expect(existsSync(recent.cacheFile)).toBe(true);
    expect(existsSync(next.cacheFile)).toBe(true);
  });

  it('TINYKUBE_CODE_CACHE=off neither reads nor writes a cache', () => {
    const f = bundle('d.cjs');
    loadCachedBundle(f, 'd'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 0 } }).save();
    process.env.TINYKUBE_CODE_CACHE = 'off';
    const off = loadCachedBundle(f, 'e'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 2 } });
    expect(off.cache).toBe('off');
    expect(off.exports.value).toBe(3);
    off.save();
    expect(existsSync(off.cacheFile)).toBe(false);
  });

  it('an unwritable cache dir only means no cache', () => {
    const f = bundle('f.cjs');
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    process.env.TINYKUBE_CACHE_DIR = blocker;
    try {
      const b = loadCachedBundle(f, 'f'.repeat(64), { 'tinykube-shared:src/x.ts': { n: 0 } });
      expect(b.cache).toBe('miss');
      expect(() => b.save()).not.toThrow();
    } finally {
      process.env.TINYKUBE_CACHE_DIR = join(dir, 'cache');
    }
  });
});
