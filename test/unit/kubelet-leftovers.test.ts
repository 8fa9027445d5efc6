// src/kubelet/leftovers.ts alone: after a crash, the main processes recorded in the Pods' pid
// files are killed (their whole process group) when they are still the processes recorded (same
// start time), and the pid files go; a pid now used by another process is left alone.
import { describe, it, expect, vi, beforeEach, afterEach } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { killLeftovers } from '../../src/kubelet/leftovers.js';
import { procStartTime } from '../../src/kubelet/tracker.js';

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tk-leftovers-'));
});
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) process.kill(-c.pid!, 'SIGKILL');
  children.length = 0;
  rmSync(dir, { recursive: true, force: true });
});

/** A detached process group: a shell and its child, as a container's main process and what it started. */
function group(): Promise<{ child: ChildProcess; exited: Promise<string | null> }> {
  const child = spawn('sh', ['-c', 'sleep 30 & wait'], { detached: true, stdio: 'ignore' });
  children.push(child);
  const exited = new Promise<string | null>((r) => child.once('exit', (_code, sig) => r(sig)));
  return new Promise((r) => child.once('spawn', () => r({ child, exited })));
}

const linux = process.platform === 'linux';

describe.runIf(linux)('killLeftovers', () => {
  it('kills the recorded process group when its leader is the one recorded, and removes the pid file', async () => {
    const { child, exited } = await group();
    const podDir = join(dir, 'pod-uid');
    mkdirSync(podDir);
    writeFileSync(join(podDir, 'app.pid'), `${child.pid} ${procStartTime(child.pid!)}\n`);
    const log = { warn: vi.fn() };
    expect(killLeftovers(dir, log)).toBe(1);
    expect(await exited).toBe('SIGKILL');
    expect(existsSync(join(podDir, 'app.pid'))).toBe(false);
    expect(log.warn).toHaveBeenCalledWith({ killed: 1 }, 'killed processes left behind by a previous run');
  });

  it('leaves a process alone whose pid was reused (another start time), and never touches pid 1', async () => {
    const { child } = await group();
    const podDir = join(dir, 'pod-uid');
    mkdirSync(podDir);
    writeFileSync(join(podDir, 'app.pid'), `${child.pid} 1\n`);
    writeFileSync(join(podDir, 'init.pid'), `1 ${procStartTime(1)}\n`);
    const log = { warn: vi.fn() };
    expect(killLeftovers(dir, log)).toBe(0);
    expect(child.exitCode).toBeNull();
    expect(() => process.kill(child.pid!, 0)).not.toThrow();
    expect(existsSync(join(podDir, 'app.pid'))).toBe(false);
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('does nothing without a pods directory', () => {
    expect(killLeftovers(join(dir, 'missing'), { warn: vi.fn() })).toBe(0);
  });
});
