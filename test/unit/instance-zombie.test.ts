// A pid file whose process is a zombie (killed with -9, not yet reaped by its parent) is stale:
// `tinykube up` right after a kill -9 must not be refused for it.
import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { alive, claimDataDir, instanceFiles, runningPid } from '../../src/cli/instance.js';
import { until } from '../helpers/wait.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0).reverse()) f();
});

const state = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.charAt(stat.lastIndexOf(')') + 2);
  } catch {
    return undefined;
  }
};

/**
 * A zombie: the shell's background child exits, and the shell, replaced by `sleep`, never waits for
 * it. The child outlives the exec by a moment: one that exits before it is reaped by the shell
 * (seen on a loaded CI machine), and never becomes a zombie.
 */
async function zombie(): Promise<number> {
  const parent: ChildProcess = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  cleanup.push(() => parent.kill('SIGKILL'));
  let out = '';
  parent.stdout!.on('data', (d) => (out += d));
  const pid = await until(async () => (out.includes('\n') ? Number(out.trim()) : undefined));
  await until(async () => state(pid) === 'Z');
  return pid;
}

describe.runIf(process.platform === 'linux')('pid file of a zombie', () => {
  it('counts as dead: the pid file is stale and is replaced', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tk-zombie-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const pid = await zombie();
    expect(alive(pid)).toBe(false);
    writeFileSync(instanceFiles(dir).pidFile, `${pid}\n`);
    expect(runningPid(dir)).toBeUndefined();
    claimDataDir(dir);
    expect(readFileSync(instanceFiles(dir).pidFile, 'utf8')).toBe(`${process.pid}\n`);
    // A live process is still alive.
    expect(alive(process.pid)).toBe(true);
  });
});
