// The container tracker's /proc side: markers find a container's processes however they detach,
// and the cleanup at start kills what a dead tinykube of the same data dir left, never what a live
// one (or another data dir's) owns. Processes are found by unique sleep durations.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterIdOf, createTracker, killLeftoverContainers, MARKER } from '../../src/kubelet/tracker.js';
import { silentLogger } from '../../src/base/log.js';
import { until } from '../helpers/wait.js';

function sleepers(secs: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (!readFileSync(`/proc/${d}/cmdline`, 'latin1').endsWith(`sleep\0${secs}\0`)) continue;
      const stat = readFileSync(`/proc/${d}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** `sh -c 'setsid sleep N &'` with a marker: the sleeper is detached and its shell is gone. */
function detached(secs: string, marker: string) {
  spawn('sh', ['-c', `setsid sleep ${secs} </dev/null >/dev/null 2>&1 &`], { env: { ...process.env, [MARKER]: marker }, stdio: 'ignore' });
  return until(async () => sleepers(secs).length === 1, 5000);
}

// Unique per run (the fraction is this process's pid): concurrent runs of this file stay apart.
const S = (n: number) => `${3800 + n}.${process.pid}`;
const SECS = [1, 2, 3, 4, 5, 6].map(S);
let dir: string;
let saved: string | undefined;
beforeAll(() => {
  saved = process.env.TINYKUBE_POD_CGROUPS;
  process.env.TINYKUBE_POD_CGROUPS = 'off';
  dir = mkdtempSync(join(tmpdir(), 'tk-tracker-'));
});
afterAll(() => {
  if (saved === undefined) delete process.env.TINYKUBE_POD_CGROUPS;
  else process.env.TINYKUBE_POD_CGROUPS = saved;
  for (const s of SECS) for (const pid of sleepers(s)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('container tracker (/proc)', () => {
  it('finds a container’s detached processes by their marker, and only that container’s', async () => {
    const t = createTracker({ podsDir: dir, log: silentLogger() });
    try {
      expect(t.mode).toBe('proc');
      await detached(S(1), t.marker({ pod: 'p1', name: 'c', run: 0 }));
      await detached(S(2), t.marker({ pod: 'p1', name: 'other', run: 0 }));
      await detached(S(3), t.marker({ pod: 'p1', name: 'c', run: 1 }));
      // One run only: the next run of the same container is spared.
      await t.kill({ pod: 'p1', name: 'c', run: 0 });
      expect(sleepers(S(1))).toEqual([]);
      expect(sleepers(S(3))).toHaveLength(1);
      expect(sleepers(S(2))).toHaveLength(1);
      expect(await t.signal({ pod: 'p1', name: 'c' }, 'SIGTERM')).toBe(1);
      await until(async () => sleepers(S(3)).length === 0, 5000);
      // The whole Pod.
      await t.kill({ pod: 'p1' });
      expect(sleepers(S(2))).toEqual([]);
    } finally {
      t.close();
    }
  });

  it('at start, kills what a dead tinykube of the same data dir left, not a live one’s nor another data dir’s', async () => {
    const live = createTracker({ podsDir: dir, log: silentLogger() });
    const elsewhere = mkdtempSync(join(tmpdir(), 'tk-tracker-other-'));
    try {
      const cluster = clusterIdOf(dir);
      // A tinykube that is gone: a pid that names no process.
      await detached(S(4), `${cluster}/999999999.12345.dead/p2/c/0`);
      // The live tracker's own (the same data dir: what a second start must never touch).
      await detached(S(5), live.marker({ pod: 'p3', name: 'c', run: 0 }));
      // A dead tinykube of another data dir.
      await detached(S(6), `${clusterIdOf(elsewhere)}/999999999.12345.dead/p4/c/0`);
      expect(killLeftoverContainers(dir)).toBe(1);
      await until(async () => sleepers(S(4)).length === 0, 5000);
      expect(sleepers(S(5))).toHaveLength(1);
      expect(sleepers(S(6))).toHaveLength(1);
      // Once it has stopped, its processes are a dead instance's too.
      live.close();
      expect(killLeftoverContainers(dir)).toBe(1);
      await until(async () => sleepers(S(5)).length === 0, 5000);
      expect(sleepers(S(6))).toHaveLength(1);
    } finally {
      live.close();
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
