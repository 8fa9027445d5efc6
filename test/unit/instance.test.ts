// The data dir's pid file (one tinykube per data dir, stale files replaced) and the addon cache
// location; outside a single executable the addon loader stays out of the way.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { claimDataDir, DataDirInUseError, instanceFiles, processStartMs, releaseDataDir, runningPid } from '../../src/cli/instance.js';
import {
  addonCacheDir,
  inSingleExecutable,
  NativeAddonError,
  requireSeaAddon,
  seaAddon,
  sqliteNativeBinding,
} from '../../src/base/native.js';
import { TINYKUBE_VERSION } from '../../src/base/version.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-instance-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const deadPid = () => Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString());

describe('pid file', () => {
  it('is claimed once; a live owner keeps it, and only the owner releases it', () => {
    claimDataDir(dir);
    expect(readFileSync(instanceFiles(dir).pidFile, 'utf8')).toBe(`${process.pid}\n`);
    expect(runningPid(dir)).toBe(process.pid);
    // The same process again is fine (nothing to steal).
    expect(() => claimDataDir(dir)).not.toThrow();
    const other = 2 ** 22 + 1;
    let err: unknown;
    try {
      claimDataDir(dir, other);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataDirInUseError);
    expect((err as Error).message).toBe(
      `data dir ${dir} is in use by another tinykube (pid ${process.pid}); stop it with: tinykube down --data-dir ${dir}`,
    );
    releaseDataDir(dir, other);
    expect(existsSync(instanceFiles(dir).pidFile)).toBe(true);
    releaseDataDir(dir);
    expect(existsSync(instanceFiles(dir).pidFile)).toBe(false);
  });

  it('replaces a file whose process is gone', () => {
    writeFileSync(instanceFiles(dir).pidFile, `${deadPid()}\n`);
    expect(runningPid(dir)).toBeUndefined();
    claimDataDir(dir);
    expect(runningPid(dir)).toBe(process.pid);
  });

  it('ignores a pid that now names a process started after the file was written (pid reuse)', () => {
    writeFileSync(instanceFiles(dir).pidFile, `${process.pid}\n`);
    const started = processStartMs(process.pid)!;
    expect(Math.abs(started - (Date.now() - process.uptime() * 1000))).toBeLessThan(1000);
    const long = new Date(started - 60_000);
    utimesSync(instanceFiles(dir).pidFile, long, long);
    expect(runningPid(dir)).toBeUndefined();
  });

  it('ignores garbage', () => {
    writeFileSync(instanceFiles(dir).pidFile, 'tinykube\n');
    expect(runningPid(dir)).toBeUndefined();
  });
});

describe('native addons outside a single executable', () => {
  it('leave better-sqlite3 and node-pty to node_modules', () => {
    expect(inSingleExecutable()).toBe(false);
    expect(seaAddon('better_sqlite3.node')).toBeUndefined();
    expect(sqliteNativeBinding()).toBeUndefined();
    expect(() => requireSeaAddon('pty.node')).toThrow(NativeAddonError);
  });

  it('would be cached per tinykube version and Node ABI', () => {
    const sub = `${TINYKUBE_VERSION}-node${process.versions.modules}-${process.platform}-${process.arch}`;
    expect(addonCacheDir({ TINYKUBE_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe(`/c/${sub}`);
    expect(addonCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe(`/x/tinykube/${sub}`);
    expect(addonCacheDir({ HOME: '/h' })).toBe(`/h/.cache/tinykube/${sub}`);
  });
});
